"""Choosing what `analyze` reads, as a new user would: no silent demo, no silent UTC, plain text."""

from __future__ import annotations

import json
import shutil
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from homehabits.cli import app
from tests.shared_fixture import HA_FIXTURE
from tests.sources.recorder_builder import RecorderBuilder

SOURCE_FLAGS = ("--ha-config", "--recorder", "--ha-url", "--events", "--demo")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "homehabits.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite+aiosqlite:///{db_path}"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _words(text: str) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("flags", "environment"),
    [
        ([], {}),
        (["--ha-token", "a-long-lived-token"], {}),
        (
            [],
            {
                "HOMEHABITS_HA_URL": "http://homeassistant.local:8123",
                "HOMEHABITS_HA_TOKEN": "a-long-lived-token",
            },
        ),
    ],
    ids=["nothing", "only a token", "the service's environment"],
)
def test_analyze_without_a_source_lists_the_sources_and_analyses_nothing(
    runner: CliRunner,
    db_url: str,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    environment: dict[str, str],
) -> None:
    monkeypatch.delenv("HOMEHABITS_SOURCE", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    result = runner.invoke(app, ["analyze", *flags, "--db", db_url])

    assert result.exit_code == 2
    assert "no source given" in result.output
    for flag in SOURCE_FLAGS:
        assert flag in result.output
    assert "HOMEHABITS_SOURCE" in result.output
    assert not db_path.exists()  # no run, no demo suggestions in the owner's database


def test_the_demo_home_is_analysed_when_asked_for(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["analyze", "--demo", "--days", "14", "--db", db_url, "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["run"]["source"].startswith("demo")


def test_serve_without_a_source_says_so_before_starting(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOMEHABITS_SOURCE", raising=False)

    result = runner.invoke(app, ["serve", "--db", db_url, "--port", "1"])

    assert result.exit_code == 2
    assert "HOMEHABITS_SOURCE" in result.output
    assert "serve needs a home to analyse" in _words(result.output)


def test_error_text_is_printed_as_written_not_as_rich_markup(
    runner: CliRunner, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = runner.invoke(
        app, ["analyze", "--events", "x[red].csv", "--time-zone", "UTC", "--db", db_url]
    )

    assert result.exit_code == 2
    assert "x[red].csv does not exist" in _words(result.output)


def test_the_lines_of_skipped_rows_are_shown_on_the_command_line(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "time,entity_id,state,origin\n"
        "2024-03-04T06:30:00Z,light.kitchen,on,user\n"
        "2024-03-04T06:45:00Z,light.kitchen,off,user\n"
        "yesterday morning,light.kitchen,on,user\n"  # line 4
        "2024-03-05T06:31:00Z,light.kitchen,on,user\n"
        "2024-03-05T06:50:00Z,light.kitchen,off,user\n"
        "2024-03-06T06:29:00Z,Kitchen Light!,on,user\n"  # line 7
    )
    arguments = ["analyze", "--events", str(events), "--time-zone", "Europe/Berlin"]
    place = ["--latitude", "52.52", "--longitude", "13.405", "--db", db_url]

    result = runner.invoke(app, [*arguments, *place])
    as_json = runner.invoke(app, [*arguments, *place, "--json"])

    assert result.exit_code == 0, result.output
    shown = _words(result.output)
    assert "skipped: line 4: unparseable time; line 7: malformed entity id" in shown
    examples = json.loads(as_json.stdout)["run"]["rejected_examples"]
    assert examples == [
        {"row": 4, "reason": "unparseable time"},
        {"row": 7, "reason": "malformed entity id"},
    ]


def test_an_event_file_without_a_time_zone_is_refused_saying_what_to_give(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    events = tmp_path / "events.csv"
    events.write_text("time,entity_id,state,origin\n2024-03-04 06:30:00,light.hall,on,user\n")

    result = runner.invoke(app, ["analyze", "--events", str(events), "--db", db_url])

    assert result.exit_code == 2
    assert "give --time-zone (and --latitude/--longitude for sun habits)" in _words(result.output)


def test_a_recorder_without_a_time_zone_is_refused_and_with_one_is_read(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    home = RecorderBuilder()
    start = datetime.now(UTC) - timedelta(days=2)
    home.state("light.hall", "off", start)
    home.state("light.hall", "on", start + timedelta(hours=1), user_id="ab" * 16)
    database = tmp_path / "recorder" / "home-assistant_v2.db"
    database.parent.mkdir()
    engine = sa.create_engine(f"sqlite:///{database}")
    home.write(engine)
    engine.dispose()
    url = f"sqlite:///{database}"

    refused = runner.invoke(app, ["analyze", "--recorder", url, "--db", db_url])
    read = runner.invoke(
        app,
        ["analyze", "--recorder", url, "--time-zone", "Europe/Berlin", "--db", db_url, "--json"],
    )

    assert refused.exit_code == 2
    assert "give --time-zone (and --latitude/--longitude for sun habits)" in _words(refused.output)
    assert read.exit_code == 0, read.output
    run = json.loads(read.stdout)["run"]
    assert run["time_zone"] == "Europe/Berlin"
    assert any("--latitude/--longitude" in error for error in run["warnings"])


def test_latitude_without_longitude_is_refused(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["analyze", "--demo", "--latitude", "52.5", "--db", db_url])

    assert result.exit_code == 2
    assert "--latitude and --longitude together" in result.output


def test_a_copied_folder_whose_db_url_leads_elsewhere_names_that_database_and_warns(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    if not HA_FIXTURE.is_dir():
        pytest.skip("the shared Home Assistant fixture is not on this machine")
    folder = tmp_path / "copy"
    shutil.copytree(HA_FIXTURE, folder)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    live = tmp_path / "live" / "home-assistant_v2.db"
    live.parent.mkdir()
    shutil.copy(folder / "home-assistant_v2.db", live)
    (folder / "secrets.yaml").write_text(f'recorder_db_url: "sqlite:///{live}"\n')

    result = runner.invoke(app, ["analyze", "--ha-config", str(folder), "--db", db_url, "--json"])
    shown = runner.invoke(app, ["analyze", "--ha-config", str(folder), "--db", db_url])

    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)["run"]
    assert str(live) in run["source"]
    assert any("outside" in error and str(live) in error for error in run["warnings"])
    assert "recorder database" in _words(shown.output)  # the progress line names it
    assert "outside" in _words(shown.output)
