"""What the project installs: declared, locked and installed the same way by CI and the README."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
#: SQLAlchemy loads these by the database URL's driver name; no module imports them.
URL_DRIVERS = {"aiosqlite", "psycopg", "pymysql"}


def _requirements(extra: str | None = None) -> list[Requirement]:
    project = PYPROJECT["project"]
    texts = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(text) for text in texts]


def _imported_distributions(folder: Path) -> set[str]:
    modules: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    third_party = modules - set(sys.stdlib_module_names) - {"homehabits", "tests", "__future__"}
    owners = packages_distributions()
    # a module no installed distribution provides keeps its own name: it shows as undeclared
    return {canonicalize_name(owners.get(module, [module])[0]) for module in third_party}


def _locked() -> dict[str, list[Version]]:
    versions: dict[str, list[Version]] = {}
    for match in re.finditer(
        r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", (ROOT / "requirements.lock").read_text(), re.M
    ):
        versions.setdefault(canonicalize_name(match[1]), []).append(Version(match[2]))
    return versions


def test_every_package_the_code_imports_is_a_declared_dependency() -> None:
    declared = {canonicalize_name(r.name) for r in _requirements()}

    assert _imported_distributions(ROOT / "src") - declared == set()


def test_every_package_the_tests_and_benchmarks_import_is_declared() -> None:
    declared = {canonicalize_name(r.name) for r in _requirements() + _requirements("test")}
    imported = _imported_distributions(ROOT / "tests") | _imported_distributions(ROOT / "bench")

    assert imported - declared == set()


def test_every_declared_dependency_is_used_by_the_code() -> None:
    declared = {canonicalize_name(r.name) for r in _requirements()}

    assert declared - _imported_distributions(ROOT / "src") == URL_DRIVERS


def test_one_postgresql_driver_family() -> None:
    declared = {canonicalize_name(r.name) for r in _requirements()}

    assert declared & {"asyncpg", "psycopg2", "psycopg2-binary", "pg8000"} == set()


@pytest.mark.parametrize("name", ["openai", "polars", "sqlalchemy", "fastapi", "pydantic"])
def test_libraries_whose_majors_break_stop_before_the_next_major(name: str) -> None:
    (requirement,) = [r for r in _requirements() if canonicalize_name(r.name) == name]

    assert any(spec.operator == "<" for spec in requirement.specifier), requirement


@pytest.mark.parametrize("extra", [None, "test"])
def test_the_lock_pins_every_declared_dependency_within_its_range(extra: str | None) -> None:
    locked = _locked()

    for requirement in _requirements(extra):
        versions = locked.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in requirements.lock"
        assert all(requirement.specifier.contains(v) for v in versions), (requirement, versions)


def test_ci_runs_exactly_the_test_command_the_readme_shows() -> None:
    readme = (ROOT / "README.md").read_text()
    (command,) = [line for line in readme.splitlines() if line.endswith(" && pytest -q")]
    steps = command.split(" && ")
    script = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]

    assert steps[0] == "python3 -m venv .venv"
    assert "pip install -r requirements.lock" in steps
    start = script.index("pip install -q -r requirements.lock")
    ci_steps = [line.replace(" -q", "", 1) if line.startswith("pip ") else line for line in script]
    ci_steps = [line.removesuffix(" || status=$?") for line in ci_steps[start:]]
    assert ci_steps[: len(steps) - 2] == steps[2:]


def test_ci_never_softens_a_service_that_failed_to_start() -> None:
    script = (ROOT / ".ci" / "run").read_text()

    assert "|| true" not in script
    assert "|| echo" not in script
    assert "REQUIRE_TEST_SERVICES=1" in script
