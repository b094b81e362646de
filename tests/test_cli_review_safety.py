"""Safety at every door from the terminal: edit, approve --all-pending, deploy --force, reopen."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from homehabits.cli import app
from homehabits.sources.simulator import DemoSource, SimulationConfig
from tests.fakes.fake_home_assistant import FakeHomeAssistant, serve_in_thread

HA_TOKEN = "ha-token-for-the-cli-1f2e3d"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def home_assistant() -> Iterator[tuple[FakeHomeAssistant, str]]:
    fake = FakeHomeAssistant(token=HA_TOKEN, version="2024.3.3", reload_delay=0.01)
    fake.show_entities_of(DemoSource(SimulationConfig(days=14)).home.context)
    url, stop = serve_in_thread(fake.app)
    yield fake, url
    stop()


def _analyze(runner: CliRunner, db_url: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["analyze", "--demo", "--days", "14", "--db", db_url, "--json"])
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)["suggestions"]
    return found


def _keep_only(runner: CliRunner, db_url: str, found: list[dict[str, Any]], keep: int) -> None:
    for suggestion in found:
        if suggestion["id"] != keep:
            done = runner.invoke(
                app, ["suggestions", "reject", str(suggestion["id"]), "--db", db_url]
            )
            assert done.exit_code == 0, done.output


def _yaml_acting(suggestion: dict[str, Any], service: str, entity: str, path: Path) -> Path:
    automation = dict(suggestion["automation"])
    key = "actions" if "actions" in automation else "action"
    service_key = "action" if key == "actions" else "service"
    automation[key] = [{service_key: service, "target": {"entity_id": entity}}]
    path.write_text(yaml.safe_dump(automation, sort_keys=False), encoding="utf-8")
    return path


def _status(runner: CliRunner, db_url: str, suggestion_id: int) -> dict[str, Any]:
    shown = runner.invoke(
        app, ["suggestions", "show", str(suggestion_id), "--db", db_url, "--json"]
    )
    found: dict[str, Any] = json.loads(shown.stdout)
    return found


def test_approve_all_pending_never_approves_the_only_pending_one_when_it_is_sensitive(
    runner: CliRunner, db_url: str
) -> None:
    found = _analyze(runner, db_url)
    lock = next(s for s in found if s["sensitive"])
    _keep_only(runner, db_url, found, lock["id"])

    result = runner.invoke(app, ["suggestions", "approve", "--all-pending", "--db", db_url])

    assert result.exit_code == 0, result.output
    assert "not approved" in result.output
    assert _status(runner, db_url, lock["id"])["status"] == "pending"


def test_an_edit_to_unlock_is_refused_and_an_edited_lock_is_left_by_all_pending(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    found = _analyze(runner, db_url)
    lamp = next(s for s in found if not s["sensitive"])
    _keep_only(runner, db_url, found, lamp["id"])
    unlock = _yaml_acting(lamp, "lock.unlock", "lock.front_door", tmp_path / "unlock.yaml")
    locking = _yaml_acting(lamp, "lock.lock", "lock.front_door", tmp_path / "lock.yaml")

    refused = runner.invoke(
        app, ["suggestions", "edit", str(lamp["id"]), str(unlock), "--db", db_url]
    )
    edited = runner.invoke(
        app, ["suggestions", "edit", str(lamp["id"]), str(locking), "--db", db_url]
    )
    approved = runner.invoke(app, ["suggestions", "approve", "--all-pending", "--db", db_url])

    assert refused.exit_code == 2
    assert "unlocking" in refused.output
    assert edited.exit_code == 0, edited.output
    assert "Sensitive" in edited.output
    assert _status(runner, db_url, lamp["id"])["sensitive"] is True
    assert "not approved" in approved.output
    assert _status(runner, db_url, lamp["id"])["status"] == "pending"


def test_deploy_takes_ha_url_and_token_refuses_unknown_entities_and_force_warns(
    runner: CliRunner,
    db_url: str,
    tmp_path: Path,
    home_assistant: tuple[FakeHomeAssistant, str],
) -> None:
    fake, url = home_assistant
    found = _analyze(runner, db_url)
    lamp = next(s for s in found if not s["sensitive"])
    elsewhere = _yaml_acting(lamp, "light.turn_on", "light.not_in_this_home", tmp_path / "x.yaml")
    runner.invoke(app, ["suggestions", "edit", str(lamp["id"]), str(elsewhere), "--db", db_url])
    runner.invoke(app, ["suggestions", "approve", str(lamp["id"]), "--db", db_url])
    where = ["--ha-url", url, "--ha-token", HA_TOKEN, "--db", db_url]

    refused = runner.invoke(app, ["suggestions", "deploy", str(lamp["id"]), *where])
    forced = runner.invoke(app, ["suggestions", "deploy", str(lamp["id"]), "--force", *where])

    assert refused.exit_code == 2, refused.output
    assert "light.not_in_this_home" in refused.output
    assert forced.exit_code == 0, forced.output
    assert "deployed" in forced.output
    assert "warning" in forced.output
    assert f"homehabits_{lamp['pattern']['fingerprint']}" in fake.automations


def test_reopen_brings_a_rejected_suggestion_back_and_one_is_not_plural(
    runner: CliRunner, db_url: str
) -> None:
    found = _analyze(runner, db_url)
    first = found[0]
    runner.invoke(app, ["suggestions", "reject", str(first["id"]), "--db", db_url])

    reopened = runner.invoke(app, ["suggestions", "reopen", str(first["id"]), "--db", db_url])
    listed = runner.invoke(app, ["suggestions", "list", "--limit", "1", "--db", db_url])

    assert reopened.exit_code == 0, reopened.output
    assert "pending" in reopened.output
    assert _status(runner, db_url, first["id"])["status"] == "pending"
    assert "1 suggestion" in listed.output
    assert "1 suggestions" not in listed.output


def test_export_can_leave_the_approved_out_and_take_the_deployed(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    found = _analyze(runner, db_url)
    runner.invoke(app, ["suggestions", "approve", str(found[0]["id"]), "--db", db_url])
    out = tmp_path / "homehabits.yaml"

    nothing = runner.invoke(app, ["export", "--out", str(out), "--no-approved", "--db", db_url])
    deployed_only = runner.invoke(
        app, ["export", "--out", str(out), "--no-approved", "--deployed", "--db", db_url]
    )
    approved = runner.invoke(app, ["export", "--out", str(out), "--db", db_url])

    assert nothing.exit_code == 2
    assert "--deployed" in nothing.output
    assert deployed_only.exit_code == 0, deployed_only.output
    assert "Wrote 0 automations" in deployed_only.output
    assert approved.exit_code == 0, approved.output
    assert "Wrote 1 automation " in approved.output
    assert len(yaml.safe_load(out.read_text())) == 1


def test_a_title_with_brackets_is_shown_as_written_when_approved(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    [first, *_] = _analyze(runner, db_url)
    # titles carry the home's own names, which may hold brackets ("Lamp [red]on[/red]")
    with sqlite3.connect(tmp_path / "homehabits.db") as database:
        database.execute(
            "UPDATE suggestions SET title = ? WHERE id = ?", ("Lamp [red]on[/red]", first["id"])
        )

    approved = runner.invoke(app, ["suggestions", "approve", str(first["id"]), "--db", db_url])

    assert approved.exit_code == 0, approved.output
    assert "Lamp [red]on[/red]" in approved.output
