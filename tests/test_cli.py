"""The command line as a user runs it: analyze the demo home, read the suggestions back."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from homehabits.automations.compile import check_automation
from homehabits.cli import app
from homehabits.config import Dialect
from tests.required_services import missing_service
from tests.shared_fixture import HA_FIXTURE


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _analyze_json(runner: CliRunner, db_url: str, *extra: str) -> dict:
    result = runner.invoke(app, ["analyze", "--demo", "--db", db_url, "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_analyze_demo_json_is_one_document_with_checked_automations(
    runner: CliRunner, db_url: str
) -> None:
    document = _analyze_json(runner, db_url)

    assert set(document) == {"run", "suggestions"}
    assert document["run"]["status"] == "succeeded", document["run"]["errors"]
    assert document["run"]["events_read"] > 1000
    assert document["suggestions"], "the demo home has planted habits to suggest"
    for suggestion in document["suggestions"]:
        assert {"id", "title", "description", "rationale", "confidence", "status"} <= set(
            suggestion
        )
        assert suggestion["pattern"]["kind"]
        assert suggestion["pattern"]["fingerprint"]
        dialect = Dialect(suggestion["dialect"])
        check_automation(suggestion["automation"], dialect)
        assert yaml.safe_load(suggestion["yaml"]) == suggestion["automation"]


def test_demo_home_speaks_legacy_dialect_of_its_2024_3_home_assistant(
    runner: CliRunner, db_url: str
) -> None:
    document = _analyze_json(runner, db_url)

    for suggestion in document["suggestions"]:
        assert suggestion["dialect"] == "legacy"
        assert "trigger" in suggestion["automation"]
        assert "triggers" not in suggestion["automation"]


def test_second_run_does_not_suggest_the_same_habits_again(runner: CliRunner, db_url: str) -> None:
    first = _analyze_json(runner, db_url)
    second = _analyze_json(runner, db_url)

    first_prints = {s["pattern"]["fingerprint"] for s in first["suggestions"]}
    second_prints = {s["pattern"]["fingerprint"] for s in second["suggestions"]}
    assert first_prints
    assert not first_prints & second_prints


def test_suggestions_list_and_show_read_the_store(runner: CliRunner, db_url: str) -> None:
    document = _analyze_json(runner, db_url)
    first = document["suggestions"][0]

    listed = runner.invoke(app, ["suggestions", "list", "--db", db_url, "--json"])
    shown = runner.invoke(app, ["suggestions", "show", str(first["id"]), "--db", db_url])

    assert listed.exit_code == 0, listed.output
    assert {s["id"] for s in json.loads(listed.stdout)} == {
        s["id"] for s in document["suggestions"]
    }
    assert shown.exit_code == 0, shown.output
    assert first["title"] in shown.stdout


def test_approve_then_reject_changes_the_status(runner: CliRunner, db_url: str) -> None:
    document = _analyze_json(runner, db_url)
    first, second = document["suggestions"][:2]

    approved = runner.invoke(app, ["suggestions", "approve", str(first["id"]), "--db", db_url])
    rejected = runner.invoke(
        app, ["suggestions", "reject", str(second["id"]), "--reason", "not us", "--db", db_url]
    )
    pending = runner.invoke(
        app, ["suggestions", "list", "--status", "approved", "--db", db_url, "--json"]
    )

    assert approved.exit_code == 0, approved.output
    assert rejected.exit_code == 0, rejected.output
    assert [s["id"] for s in json.loads(pending.stdout)] == [first["id"]]


def test_unknown_suggestion_is_a_clear_error(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["suggestions", "show", "9999", "--db", db_url])

    assert result.exit_code == 2
    assert "9999" in result.output


def test_two_sources_at_once_are_refused(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["analyze", "--demo", "--events", str(tmp_path / "x.csv"), "--db", db_url]
    )

    assert result.exit_code == 2
    assert "choose one source" in result.output


def test_bad_setting_stops_with_the_setting_named(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEHABITS_ANALYSIS_DAYS", "zero")

    result = runner.invoke(app, ["analyze", "--demo", "--db", db_url])

    assert result.exit_code == 2
    assert "HOMEHABITS_ANALYSIS_DAYS" in result.output


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    runner = CliRunner()
    for command in ("analyze", "simulate", "serve", "export", "suggestions", "runs", "prune"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert f"homehabits {command}" in readme, f"README does not show `homehabits {command}`"


FIXTURE = HA_FIXTURE


@pytest.fixture
def ha_config(tmp_path: Path) -> Path:
    if not FIXTURE.is_dir():
        missing_service(f"the Home Assistant fixture folder is not at {FIXTURE}")
    folder = tmp_path / "config"
    shutil.copytree(FIXTURE, folder)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return folder


def test_analyze_a_home_assistant_config_folder_reads_it_and_leaves_it_as_it_was(
    runner: CliRunner, db_url: str, ha_config: Path
) -> None:
    database = ha_config / "home-assistant_v2.db"
    before = hashlib.sha256(database.read_bytes()).hexdigest()

    result = runner.invoke(
        app, ["analyze", "--ha-config", str(ha_config), "--db", db_url, "--json"]
    )

    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)["run"]
    assert run["status"] == "succeeded"
    assert run["ha_version"] == "2024.3.3"
    assert run["time_zone"] == "Europe/Berlin"
    assert run["events_read"] > 200
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in ha_config.iterdir()) == sorted(p.name for p in FIXTURE.iterdir())


def test_a_corrupt_recorder_database_is_a_clear_error_and_exit_code_2(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    broken = tmp_path / "home-assistant_v2.db"
    broken.write_bytes(b"this is not a database" * 100)

    result = runner.invoke(app, ["analyze", "--recorder", f"sqlite:///{broken}", "--db", db_url])

    assert result.exit_code == 2
    assert "not an SQLite database" in result.output


def test_an_event_file_with_bad_lines_is_analysed_and_the_lines_are_reported(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    events = tmp_path / "events.csv"
    made = runner.invoke(app, ["simulate", "--out", str(events), "--days", "21"])
    assert made.exit_code == 0, made.output
    lines = events.read_text().splitlines()
    lines[3] = "yesterday," + lines[3].split(",", 1)[1]
    lines[6] = lines[6].replace("light.", "Not An Entity ", 1) if "light." in lines[6] else "x,y"
    events.write_text("\n".join(lines) + "\n")

    result = runner.invoke(
        app,
        [
            "analyze",
            "--events",
            str(events),
            "--time-zone",
            "Europe/Berlin",
            "--days",
            "21",
            "--db",
            db_url,
            "--json",
        ],
    )

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["run"]["events_rejected"] == 2
    assert document["run"]["status"] == "partial"
    assert any("2 rows skipped" in error for error in document["run"]["errors"])
    assert document["suggestions"]


def test_approve_all_pending_leaves_the_sensitive_ones_for_the_owner(
    runner: CliRunner, db_url: str
) -> None:
    document = _analyze_json(runner, db_url)
    sensitive = {s["id"] for s in document["suggestions"] if s["sensitive"]}
    assert sensitive

    result = runner.invoke(app, ["suggestions", "approve", "--all-pending", "--db", db_url])
    pending = runner.invoke(
        app, ["suggestions", "list", "--status", "pending", "--db", db_url, "--json"]
    )

    assert result.exit_code == 0, result.output
    assert "not approved" in result.output
    assert {s["id"] for s in json.loads(pending.stdout)} == sensitive


def test_runs_lists_the_latest_analyses_newest_first(runner: CliRunner, db_url: str) -> None:
    first = _analyze_json(runner, db_url)["run"]
    second = _analyze_json(runner, db_url)["run"]

    result = runner.invoke(app, ["runs", "--db", db_url, "--json"])

    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [run["id"] for run in listed] == [second["id"], first["id"]]
    assert listed[1]["suggestions_created"] == first["suggestions_created"] > 0
    assert listed[0]["suggestions_refreshed"] == first["suggestions_created"]
