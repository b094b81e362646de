"""`homehabits check`: a good setup shows what the source sees and exits 0, a bad one exits 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from homehabits.cli import app
from tests.service_account_home import FLOWS, OWNER, build_home_with_a_machine_user
from tests.shared_fixture import HA_FIXTURE


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return build_home_with_a_machine_user(tmp_path / "ha")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}"


def test_check_of_a_good_setup_shows_the_home_its_users_and_the_proposed_service_account(
    runner: CliRunner, home: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEHABITS_SERVICE_USERS", "Node-RED")
    monkeypatch.setenv("HOMEHABITS_HA_TOKEN", "a-real-long-lived-token-1f2e3d")
    args = ["check", "--ha-config", str(home), "--db", db_url, "--days", "15"]

    as_json = runner.invoke(app, [*args, "--json"])
    shown = runner.invoke(app, args)

    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    assert document["ok"] is True
    assert document["settings"]["HOMEHABITS_HA_TOKEN"] == "(set, hidden)"
    assert "a-real-long-lived-token" not in as_json.stdout
    assert document["home"]["ha_version"] == "2025.1.2"
    assert document["home"]["recorder_schema_version"] == 47
    assert document["home"]["time_zone"] == "Europe/Berlin"
    assert document["home"]["location"] == {"latitude": 52.52, "longitude": 13.405}
    assert document["home"]["entities"] == 3
    assert document["home"]["persons"] == ["Anna"]
    users = {user["user_id"]: user for user in document["home"]["users"]}
    assert users[OWNER]["person"] == "Anna"
    assert users[FLOWS]["person"] is None
    assert [p["user_id"] for p in document["service_account_proposals"]] == [FLOWS]
    assert any("is not a user of this Home Assistant" in w for w in document["warnings"])

    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "ha version: 2025.1.2" in text
    assert "recorder schema version: 47" in text
    assert "Service account? flows" in text
    assert "warning: service user 'Node-RED' is not a user of this Home Assistant" in text
    assert "a-real-long-lived-token" not in shown.output


def test_check_of_an_unreadable_source_exits_1_with_the_reason(
    runner: CliRunner, tmp_path: Path, db_url: str
) -> None:
    result = runner.invoke(
        app, ["check", "--ha-config", str(tmp_path / "missing"), "--db", db_url, "--json"]
    )

    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert "could not read the home" in document["errors"][0]
    assert "missing" in document["errors"][0]


def test_check_of_a_bad_setting_exits_1_naming_the_setting(
    runner: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEHABITS_ANALYSIS_DAYS", "0")

    result = runner.invoke(app, ["check", "--ha-config", str(home)])

    assert result.exit_code == 1
    assert "HOMEHABITS_ANALYSIS_DAYS" in result.output


def test_check_is_listed_in_the_help(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])

    assert "check" in result.output


def test_check_of_the_real_home_assistant_fixture_proposes_no_service_account(
    runner: CliRunner, tmp_path: Path, db_url: str
) -> None:
    folder = tmp_path / "config"
    shutil.copytree(HA_FIXTURE, folder)

    result = runner.invoke(app, ["check", "--ha-config", str(folder), "--db", db_url, "--json"])

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["home"]["ha_version"] == "2024.3.3"
    assert document["home"]["recorder_schema_version"] == 42
    assert document["service_account_proposals"] == []
    assert document["home"]["persons"] == ["Acceptance Owner"]
