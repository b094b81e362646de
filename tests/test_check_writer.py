"""`homehabits check` says who would write the words: whether the Home Assistant it talks to
has an AI Task entity, which one the writer would use, and what HOMEHABITS_WRITER=auto picks."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from homehabits.cli import app
from tests.fakes.fake_home_assistant import FakeHomeAssistant, serve_in_thread

HA_TOKEN = "check-writer-token-3b7d9f1e5a"

Check = Callable[..., tuple[int, dict[str, Any], str]]


@pytest.fixture
def home_assistant() -> Iterator[tuple[FakeHomeAssistant, str]]:
    """The fake Home Assistant of a modern release, served over real HTTP."""
    fake = FakeHomeAssistant(token=HA_TOKEN, version="2026.2.3")
    url, stop = serve_in_thread(fake.app)
    yield fake, url
    stop()


@pytest.fixture
def check(
    home_assistant: tuple[FakeHomeAssistant, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Check:
    """Run `check` against the fake with these HOMEHABITS_* settings: exit code, JSON, text."""
    _, url = home_assistant
    runner = CliRunner()

    def run(**environment: str) -> tuple[int, dict[str, Any], str]:
        for name, value in environment.items():
            monkeypatch.setenv(f"HOMEHABITS_{name.upper()}", value)
        args = ["check", "--ha-url", url, "--ha-token", HA_TOKEN, "--days", "2"]
        args += ["--db", f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}"]
        as_json = runner.invoke(app, [*args, "--json"])
        shown = runner.invoke(app, args)
        assert as_json.exit_code == shown.exit_code, (as_json.output, shown.output)
        return as_json.exit_code, json.loads(as_json.stdout), " ".join(shown.output.split())

    return run


def test_a_home_with_an_ai_task_entity_is_shown_with_the_entity_the_writer_would_use(
    home_assistant: tuple[FakeHomeAssistant, str], check: Check
) -> None:
    fake, _ = home_assistant
    fake.add_ai_task("ai_task.openai")

    code, document, text = check(writer="ai_task")

    assert code == 0, text
    writer = document["writer"]
    assert writer["setting"] == "ai_task"
    assert writer["writes"]["writer"] == "ai_task"
    assert writer["writes"]["author"] == "ai_task.openai"
    assert writer["ai_task"]["entities"] == ["ai_task.openai"]
    assert writer["ai_task"]["preferred"] == "ai_task.openai"
    assert writer["ai_task"]["would_write"] == "ai_task.openai"
    assert writer["ai_task"]["problem"] is None
    # outside the add-on, auto keeps to the template unless a model is configured
    assert writer["auto_would_pick"]["writer"] == "template"
    assert not any("AI Task" in warning for warning in document["warnings"])
    assert "Words (HOMEHABITS_WRITER=ai_task)" in text
    assert "written by: ai_task (ai_task.openai)" in text
    assert "AI Task entities: ai_task.openai" in text
    assert "AI Task would write with: ai_task.openai" in text
    assert "auto would pick: template" in text


def test_auto_outside_the_addon_writes_the_template_and_says_how_to_use_the_ai_task(
    home_assistant: tuple[FakeHomeAssistant, str], check: Check
) -> None:
    fake, _ = home_assistant
    fake.add_ai_task("ai_task.google_ai")

    code, document, text = check()

    assert code == 0, text
    writes = document["writer"]["writes"]
    assert (writes["writer"], writes["author"]) == ("template", None)
    assert "HOMEHABITS_WRITER=ai_task for ai_task.google_ai" in writes["reason"]
    assert "written by: template" in text
    assert "auto picks: template" in text


def test_in_the_addon_auto_picks_the_ai_task(
    home_assistant: tuple[FakeHomeAssistant, str], check: Check
) -> None:
    fake, _ = home_assistant
    fake.add_ai_task("ai_task.ollama")

    code, document, text = check(ingress="true")

    assert code == 0, text
    assert document["writer"]["writes"] == document["writer"]["auto_would_pick"]
    assert document["writer"]["writes"]["writer"] == "ai_task"
    assert document["writer"]["writes"]["author"] == "ai_task.ollama"
    assert "auto picks: ai_task (ai_task.ollama)" in text


def test_a_configured_model_is_what_auto_picks(
    home_assistant: tuple[FakeHomeAssistant, str], check: Check
) -> None:
    fake, _ = home_assistant
    fake.add_ai_task("ai_task.openai")

    code, document, text = check(
        ingress="true",
        openai_base_url="http://127.0.0.1:9/v1",
        openai_model="gpt-4o-mini",
    )

    assert code == 0, text
    auto = document["writer"]["auto_would_pick"]
    assert (auto["writer"], auto["author"]) == ("openai", "gpt-4o-mini")
    assert "auto picks: openai (gpt-4o-mini)" in text


@pytest.mark.parametrize(
    ("version", "entities", "preferred", "chosen", "said"),
    [
        ("2026.2.3", [], None, None, "Home Assistant 2026.2.3 has no AI Task entity"),
        (
            "2024.3.3",
            [],
            None,
            None,
            "Home Assistant 2024.3.3 has no AI Task (it came with 2025.8)",
        ),
        (
            "2026.2.3",
            ["ai_task.openai"],
            "ai_task.openai",
            "ai_task.ollama",
            "no AI Task entity ai_task.ollama (it has ai_task.openai)",
        ),
        (
            "2026.2.3",
            ["ai_task.ollama", "ai_task.openai"],
            None,
            None,
            "AI Task entities (ai_task.ollama, ai_task.openai) but none is preferred",
        ),
    ],
    ids=["no entity", "before 2025.8", "chosen entity missing", "none preferred"],
)
def test_ai_task_chosen_where_it_cannot_write_is_a_warning_naming_why(
    home_assistant: tuple[FakeHomeAssistant, str],
    check: Check,
    version: str,
    entities: list[str],
    preferred: str | None,
    chosen: str | None,
    said: str,
) -> None:
    fake, _ = home_assistant
    fake.version = version
    for entity in entities:
        fake.add_ai_task(entity, preferred=entity == preferred)
    settings = {"writer": "ai_task"} | ({"ai_task_entity": chosen} if chosen else {})

    code, document, text = check(**settings)

    assert code == 0, text
    writer = document["writer"]
    assert writer["writes"]["writer"] == "template"
    assert said in writer["ai_task"]["problem"]
    assert writer["ai_task"]["would_write"] is None
    assert writer["ai_task"]["entities"] == entities
    assert [w for w in document["warnings"] if "HOMEHABITS_WRITER=ai_task" in w] == [
        f"HOMEHABITS_WRITER=ai_task, but {writer['writes']['reason']}"
    ]
    assert f"AI Task cannot write: {writer['ai_task']['problem']}" in text
    assert fake.count("/api/services/ai_task/generate_data") == 0


def test_without_home_assistant_the_ai_task_is_not_asked_and_says_what_is_missing(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    args = ["check", "--demo", "--days", "2", "--db", f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"]

    as_json = runner.invoke(app, [*args, "--json"])

    assert as_json.exit_code == 0, as_json.output
    writer = json.loads(as_json.stdout)["writer"]
    assert writer["ai_task"]["asked"] is False
    assert "HOMEHABITS_HA_URL" in writer["ai_task"]["why_not_asked"]
    assert writer["writes"]["writer"] == "template"


def test_a_home_assistant_that_does_not_answer_is_said_and_check_still_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:  # a port nothing listens on: the connection is refused
        taken.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{taken.getsockname()[1]}"
    monkeypatch.setenv("HOMEHABITS_HA_URL", url)
    monkeypatch.setenv("HOMEHABITS_HA_TOKEN", HA_TOKEN)
    monkeypatch.setenv("HOMEHABITS_WRITER", "ai_task")
    args = ["check", "--demo", "--days", "2", "--db", f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"]

    as_json = CliRunner().invoke(app, [*args, "--json"])

    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    writer = document["writer"]
    assert writer["ai_task"]["asked"] is False
    assert writer["ai_task"]["why_not_asked"].startswith("could not ask Home Assistant about AI")
    assert url in writer["ai_task"]["why_not_asked"]
    assert writer["writes"]["writer"] == "template"
    assert any(
        w.startswith("HOMEHABITS_WRITER=ai_task, but could not") for w in document["warnings"]
    )
