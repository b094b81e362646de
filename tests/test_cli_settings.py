"""A settings mistake stops every command at start, in one line naming the flag or variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from homehabits.cli import app


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}"


@pytest.mark.parametrize(
    ("arguments", "flag", "variable"),
    [
        (["analyze", "--demo", "--days", "0"], "--days 0", "HOMEHABITS_ANALYSIS_DAYS"),
        (["analyze", "--demo", "--days", "400"], "--days 400", "HOMEHABITS_ANALYSIS_DAYS"),
        (
            ["analyze", "--demo", "--time-zone", "Mars/Base"],
            "--time-zone: unknown time zone 'Mars/Base'",
            "HOMEHABITS_TIME_ZONE",
        ),
        (["analyze", "--ha-url", "homeassistant.local"], "--ha-url", "HOMEHABITS_HA_URL"),
        (["analyze", "--demo", "--ha-token", "changeme"], "--ha-token", "HOMEHABITS_HA_TOKEN"),
        (["serve", "--port", "0"], "--port 0", "HOMEHABITS_PORT"),
        (["serve", "--host", "0.0.0.0"], "--host", "HOMEHABITS_HOST"),
    ],
)
def test_a_bad_flag_is_named_by_the_flag_not_the_variable(
    db_url: str, arguments: list[str], flag: str, variable: str
) -> None:
    result = CliRunner().invoke(app, [*arguments, "--db", db_url])

    assert result.exit_code == 2, result.output
    assert flag in result.output
    assert variable not in result.output
    assert "Traceback" not in result.output


def test_a_bad_database_flag_is_named_by_the_flag() -> None:
    result = CliRunner().invoke(app, ["suggestions", "list", "--db", "mysql://u:pw@db/hh"])

    assert result.exit_code == 2
    assert "--db" in result.output
    assert "HOMEHABITS_DATABASE_URL" not in result.output
    assert ":pw@" not in result.output


def test_a_list_setting_in_json_is_one_user_per_item(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEHABITS_SERVICE_USERS", '["Node-RED"]')

    result = CliRunner().invoke(app, ["analyze", "--demo", "--days", "3", "--db", db_url])

    assert result.exit_code == 0, result.output


def _homehabits(cwd: Path, *arguments: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """The real command, in a folder of its own, with only the given HOMEHABITS_* variables."""
    environment = {k: v for k, v in os.environ.items() if not k.upper().startswith("HOMEHABITS")}
    environment.update(variables)
    environment["COLUMNS"] = "80"
    return subprocess.run(
        [sys.executable, "-c", "from homehabits.cli import main; main()", *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_misspelt_variable_stops_the_command_in_one_line(tmp_path: Path) -> None:
    done = _homehabits(tmp_path, "suggestions", "list", HOMEHABITS_API_TOKN="a-long-random-token")

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "HOMEHABITS_API_TOKN" in line
    assert "did you mean HOMEHABITS_API_TOKEN?" in line


def test_a_misspelt_key_in_the_env_file_stops_the_command(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("HOMEHABITS_SERVICE_USER=Node-RED\n")

    done = _homehabits(tmp_path, "suggestions", "list")

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "HOMEHABITS_SERVICE_USER " in done.stderr
    assert "did you mean HOMEHABITS_SERVICE_USERS?" in done.stderr


def test_a_bogus_source_stops_serve_before_it_listens(tmp_path: Path) -> None:
    done = _homehabits(tmp_path, "serve", HOMEHABITS_SOURCE="bogus:x")

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "HOMEHABITS_SOURCE" in line
    assert "recorder:URL" in line


def test_an_error_shows_brackets_as_written_not_as_markup(db_url: str) -> None:
    result = CliRunner().invoke(
        app, ["analyze", "--demo", "--time-zone", "x[red]y", "--db", db_url]
    )

    assert result.exit_code == 2
    assert "'x[red]y'" in result.output
