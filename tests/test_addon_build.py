"""The repository as Home Assistant's Supervisor sees it when a user adds it: an add-on
repository whose add-on builds from what a clone holds, with one place for its address.

The Supervisor reads `repository.yaml` at the clone's root, takes every `config.{json,yaml,yml}`
outside hidden folders and `rootfs` for an add-on, and builds each in its config's folder
(the build context). These tests look at the tracked files, which are what a clone holds.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
_CONFIG_SUFFIXES = {".json", ".yaml", ".yml"}


def _tracked() -> list[str]:
    """The files a clone of the repository holds (git-ignored ones are not among them)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: cannot tell what a clone holds")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return [path for path in listed.split("\0") if path and (ROOT / path).exists()]


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _let_in(path: str, patterns: list[str]) -> bool:
    """Whether Docker sends `path` with the build context: the last pattern that matches the
    path or one of its folders decides; a `!` pattern lets in."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    sent = True
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.removeprefix("!").rstrip("/").removeprefix("**/")
        deep = pattern.removeprefix("!").startswith("**/")
        for candidate in candidates:
            name = candidate.rsplit("/", 1)[-1] if deep else candidate
            if fnmatch.fnmatchcase(name, glob):
                sent = negated
                break
    return sent


def _copied_sources() -> list[str]:
    """The sources of the Dockerfile's COPY instructions (from the build context)."""
    sources: list[str] = []
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        words = line.split()
        if words and words[0].upper() == "COPY" and not any(w.startswith("--from") for w in words):
            sources += [word for word in words[1:-1] if not word.startswith("--")]
    return sources


def test_the_repository_is_an_add_on_repository_with_one_add_on_at_its_root() -> None:
    tracked = _tracked()
    configs = [
        path
        for path in tracked
        if Path(path).stem == "config"
        and Path(path).suffix in _CONFIG_SUFFIXES
        and not any(part.startswith(".") or part == "rootfs" for part in Path(path).parts)
    ]
    repository = yaml.safe_load((ROOT / "repository.yaml").read_text(encoding="utf-8"))

    assert "repository.yaml" in tracked
    assert repository["name"]
    assert configs == ["config.yaml"]
    # what the Supervisor reads from the add-on's folder
    for beside in ("build.yaml", "Dockerfile", "DOCS.md", "CHANGELOG.md", "translations/en.yaml"):
        assert beside in tracked, beside


def test_everything_the_dockerfile_copies_is_in_a_clone_and_sent_with_the_context() -> None:
    tracked = _tracked()
    patterns = _dockerignore()
    sources = _copied_sources()

    assert {"pyproject.toml", "requirements.lock", "src/", "addon/run"} <= set(sources)
    for source in sources:
        inside = [p for p in tracked if p == source.rstrip("/") or p.startswith(source)]
        assert inside, f"the Dockerfile copies {source}, which a clone does not hold"
        assert any(_let_in(path, patterns) for path in inside), f".dockerignore keeps {source} out"
    # the whole package goes in: templates, static files and migrations too
    package = [path for path in tracked if path.startswith("src/")]
    assert package
    assert [path for path in package if not _let_in(path, patterns)] == []
    # and nothing the image does not need
    assert not _let_in("tests/test_addon_build.py", patterns)
    assert not _let_in(".git/HEAD", patterns)


def test_the_add_on_version_is_the_project_version() -> None:
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    assert config["version"] == project["version"]


def test_the_repository_address_is_written_in_repository_yaml_alone() -> None:
    address = yaml.safe_load((ROOT / "repository.yaml").read_text(encoding="utf-8"))["url"]
    owner_and_name = re.sub(r"^https://github\.com/", "", address).rstrip("/")

    holding = []
    for path in _tracked():
        if path.endswith((".png", ".lock")) or path.startswith("tests/"):
            continue
        text = (ROOT / path).read_text(encoding="utf-8", errors="replace")
        if address in text or f"/{owner_and_name}/" in text:
            holding.append(path)

    assert holding == ["repository.yaml"]


def test_the_source_the_image_installs_builds_the_whole_package(tmp_path: Path) -> None:
    patterns = _dockerignore()
    context = tmp_path / "context"
    for path in _tracked():
        if _let_in(path, patterns) and not path.startswith("addon/"):
            (context / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, context / path)
    python = sys.executable if importlib.util.find_spec("pip") else shutil.which("python3")
    assert python, "no Python with pip to build the package with"

    subprocess.run(
        [python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path), "."],
        cwd=context,
        check=True,
        capture_output=True,
    )

    (wheel,) = tmp_path.glob("homehabits-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        str(Path(path).relative_to("src"))
        for path in _tracked()
        if path.startswith("src/homehabits/") and not path.endswith(".pyc")
    }
    assert expected <= names, sorted(expected - names)[:5]
