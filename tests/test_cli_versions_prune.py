"""From the terminal: a suggestion's versions, rolling back to one, and pruning after a run."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.cli import app


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "homehabits.db"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, list(args))


def _analyze(runner: CliRunner, database: Path) -> dict[str, Any]:
    result = _invoke(runner, "analyze", "--demo", "--db", f"sqlite:///{database}", "--json")
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _json(runner: CliRunner, *args: str) -> Any:
    result = _invoke(runner, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_versions_and_rollback_from_the_command_line(
    runner: CliRunner, database: Path, tmp_path: Path
) -> None:
    document = _analyze(runner, database)
    db = f"sqlite:///{database}"
    chosen = document["suggestions"][0]
    edited = tmp_path / "ours.yaml"
    edited.write_text(automation_to_yaml({**chosen["automation"], "alias": "Our own name"}))
    assert (
        _invoke(runner, "suggestions", "edit", str(chosen["id"]), str(edited), "--db", db).exit_code
        == 0
    )

    table = _invoke(runner, "suggestions", "versions", str(chosen["id"]), "--db", db)
    rolled = _invoke(
        runner, "suggestions", "rollback", str(chosen["id"]), "--version", "1", "--db", db
    )

    assert table.exit_code == 0, table.output
    assert "2 versions" in table.stdout
    assert f"found by run {document['run']['id']}" in table.stdout
    assert "edited" in table.stdout
    assert "homehabits" in table.stdout
    assert rolled.exit_code == 0, rolled.output
    assert f"Suggestion {chosen['id']} is back at version 1" in rolled.stdout
    versions = _json(runner, "suggestions", "versions", str(chosen["id"]), "--db", db)
    assert [(v["number"], v["reason"], v["current"]) for v in versions] == [
        (3, "rolled back to version 1", True),
        (2, "edited", False),
        (1, f"found by run {document['run']['id']}", False),
    ]
    shown = _json(runner, "suggestions", "show", str(chosen["id"]), "--db", db)
    assert shown["automation"] == chosen["automation"]
    assert yaml.safe_load(shown["yaml"])["alias"] != "Our own name"


def test_rolling_back_to_a_version_there_is_not_names_the_ones_there_are(
    runner: CliRunner, database: Path
) -> None:
    document = _analyze(runner, database)
    chosen = document["suggestions"][0]["id"]

    result = _invoke(
        runner,
        "suggestions",
        "rollback",
        str(chosen),
        "--version",
        "4",
        "--db",
        f"sqlite:///{database}",
    )

    assert result.exit_code == 2
    assert f"suggestion {chosen} has no version 4 (its versions: 1)" in result.stderr


def test_each_analysis_prunes_what_is_older_than_90_days_and_prune_dry_run_says_what_it_would(
    runner: CliRunner, database: Path
) -> None:
    db = f"sqlite:///{database}"
    first = _analyze(runner, database)
    [rejected, *kept] = [s["id"] for s in first["suggestions"]]
    assert _invoke(runner, "suggestions", "reject", str(rejected), "--db", db).exit_code == 0
    approved = kept[0]
    assert _invoke(runner, "suggestions", "approve", str(approved), "--db", db).exit_code == 0
    _seem_days_old(database, 100, run_id=first["run"]["id"], suggestion_id=rejected)
    # the only run is the newest: the next one names its habits after it, so it is kept
    early = _invoke(runner, "prune", "--dry-run", "--db", db)
    assert early.stdout.strip() == "Nothing older than 90 days to prune."

    second = _invoke(runner, "analyze", "--demo", "--db", db)

    assert second.exit_code == 0, second.output
    progress = " ".join(second.stderr.split())  # as one line, however the terminal wraps it
    assert "removed 0 runs" in progress
    assert "1 rejected or retired suggestion" in progress
    assert "the database was vacuumed" in progress
    with sqlite3.connect(database) as connection:
        habits_of_first = connection.execute(
            "SELECT count(*) FROM patterns WHERE run_id = ?", (first["run"]["id"],)
        ).fetchone()[0]
        habits_of_second = connection.execute(
            "SELECT count(*) FROM patterns WHERE run_id != ?", (first["run"]["id"],)
        ).fetchone()[0]
    assert habits_of_first == 0
    assert habits_of_second > 0
    left = {
        s["id"]: s["status"]
        for s in _json(runner, "suggestions", "list", "--limit", "500", "--db", db)
    }
    assert rejected not in left
    assert left[approved] == "approved"
    assert all(left.get(sid) in {"pending", "approved"} for sid in kept)  # the first run's others
    dry = _invoke(runner, "prune", "--dry-run", "--db", db)
    assert dry.exit_code == 0
    assert dry.stdout.strip() == "Nothing older than 90 days to prune."


def _seem_days_old(database: Path, days: int, *, run_id: int, suggestion_id: int) -> None:
    """The run, and the rejection of the suggestion, as if they were `days` old."""
    then = (datetime.now(UTC) - timedelta(days=days)).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE analysis_runs SET started_at = ? WHERE id = ?", (then, run_id))
        connection.execute(
            "UPDATE suggestions SET updated_at = ? WHERE id = ?", (then, suggestion_id)
        )
        connection.execute(
            "UPDATE feedback SET created_at = ? WHERE suggestion_id = ?", (then, suggestion_id)
        )
