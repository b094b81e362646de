"""homehabits reads a real Home Assistant: its API, a copy of its config folder, its live recorder."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from homehabits.automations.dialects import choose_dialect
from homehabits.cli import app
from homehabits.config import DialectSetting
from tests.real_ha.conftest import RealHomeAssistant

pytestmark = pytest.mark.real_ha

_LIGHT = "light.bed_light"  # a demo light both instances have


@pytest.fixture(scope="session")
def real_ha_with_activity(real_ha: RealHomeAssistant) -> RealHomeAssistant:
    """The instance after a user switched a light on and off through the REST API."""
    with real_ha.client() as client:
        for service in ("turn_on", "turn_off"):
            answer = client.post(f"/api/services/light/{service}", json={"entity_id": _LIGHT})
            assert answer.status_code == 200, answer.text
    return real_ha


def _run(tmp_path: Path, *arguments: str) -> dict[str, Any]:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}"
    result = CliRunner().invoke(app, [*arguments, "--db", db_url, "--json"])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _api_flags(ha: RealHomeAssistant) -> list[str]:
    return ["--ha-url", ha.url, "--ha-token", ha.token]


def test_check_over_the_api_shows_the_real_version_its_owner_and_its_entities(
    real_ha_with_activity: RealHomeAssistant, tmp_path: Path
) -> None:
    ha = real_ha_with_activity

    document = _run(tmp_path, "check", *_api_flags(ha))

    assert document["ok"] is True
    assert document["source"] == "ha-api"
    home = document["home"]
    assert home["ha_version"] == ha.version
    assert choose_dialect(DialectSetting.AUTO, home["ha_version"]).value == ha.dialect
    assert home["time_zone"] == "Europe/Berlin"
    assert home["location"] == {"latitude": 52.52, "longitude": 13.405}
    assert home["entities"] > 50  # the demo integration's lights, sensors, covers...
    people = {user["name"]: user for user in home["users"] if not user["system_generated"]}
    assert people["Acceptance Owner"]["owner"] is True
    assert people["Acceptance Owner"]["person"] == "Acceptance Owner"
    assert home["state_changes_in_window"] >= 2


def test_analyze_over_the_api_reads_the_changes_and_records_a_succeeded_run(
    real_ha_with_activity: RealHomeAssistant, tmp_path: Path
) -> None:
    ha = real_ha_with_activity

    run = _run(tmp_path, "analyze", *_api_flags(ha), "--days", "2")["run"]

    assert run["status"] == "succeeded"
    assert run["ha_version"] == ha.version
    assert run["time_zone"] == "Europe/Berlin"
    assert run["events_read"] >= 2
    assert run["errors"] == []


def _copy_of_config_folder(ha: RealHomeAssistant, target: Path) -> Path:
    """The config folder as it is now; the recorder by SQLite's backup API, as HA writes it."""
    shutil.copytree(
        ha.config_dir,
        target,
        ignore=shutil.ignore_patterns("home-assistant_v2.db*", "*.log*", "tts", "deps"),
    )
    live = sqlite3.connect(f"file:{ha.database}?mode=ro", uri=True)
    copy = sqlite3.connect(target / ha.database.name)
    try:
        live.backup(copy)
    finally:
        copy.close()
        live.close()
    return target


def test_analyze_of_a_copy_of_the_config_folder_reads_its_version_and_history(
    real_ha_with_activity: RealHomeAssistant, tmp_path: Path
) -> None:
    ha = real_ha_with_activity
    folder = _copy_of_config_folder(ha, tmp_path / "config")

    checked = _run(tmp_path, "check", "--ha-config", str(folder), "--days", "2")
    run = _run(tmp_path, "analyze", "--ha-config", str(folder), "--days", "2")["run"]

    assert checked["ok"] is True
    assert checked["home"]["ha_version"] == ha.version
    assert checked["home"]["time_zone"] == "Europe/Berlin"
    owners = [user["name"] for user in checked["home"]["users"] if user["owner"]]
    assert owners == ["Acceptance Owner"]
    assert run["status"] == "succeeded"
    assert run["ha_version"] == ha.version
    assert run["events_read"] >= 2
    assert run["errors"] == []


def test_analyze_of_the_live_recorder_database_reads_it_without_writing(
    real_ha_with_activity: RealHomeAssistant, tmp_path: Path
) -> None:
    ha = real_ha_with_activity
    wal = ha.database.with_name(ha.database.name + "-wal")

    run = _run(tmp_path, "analyze", "--recorder", f"sqlite:///{ha.database}", "--days", "2")["run"]

    assert run["status"] == "succeeded"
    assert run["events_read"] >= 2
    assert run["errors"] == []
    assert (
        wal.exists()
    )  # Home Assistant's WAL file is still there: the reader did not checkpoint it
