"""Fleet homes listed in a text file: recorder databases and live Home Assistants, each alone."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from homehabits.config import Settings
from homehabits.exceptions import ConfigError
from homehabits.fleet.homes import list_homes
from homehabits.fleet.run import run_fleet
from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.records import RunStatus
from homehabits.store.tables import AnalysisRunRow, SuggestionRow
from tests.sources.recorder_builder import RecorderBuilder

PERSON = "ab" * 16


def _recorder(path: Path, *, hour: int) -> str:
    """A recorder whose person turns the hall light on at `hour`:00 (Berlin) every day."""
    home = RecorderBuilder()
    zone = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 10, 1, tzinfo=zone)
    home.state("light.hall", "off", first.astimezone(UTC))
    for day in range(21):
        on = (first + timedelta(days=day, hours=hour, minutes=(day * 7) % 9)).astimezone(UTC)
        home.state("light.hall", "on", on, user_id=PERSON)
        home.state("light.hall", "off", on + timedelta(hours=1), user_id=PERSON)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(f"sqlite:///{path}")
    home.write(engine)
    engine.dispose()
    return f"sqlite:///{path}"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _rows(url: str, table: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list(await session.scalars(select(table).order_by(table.id)))
    finally:
        await engine.dispose()


def test_recorder_homes_are_analysed_and_a_missing_one_or_a_down_home_assistant_fails_alone(
    cluster_client: Any, tmp_path: Path
) -> None:
    morning = _recorder(tmp_path / "anna" / "home-assistant_v2.db", hour=7)
    evening = _recorder(tmp_path / "ben.db", hour=19)
    (tmp_path / "c.token").write_text("secret\n", encoding="utf-8")
    listing = tmp_path / "homes.txt"
    listing.write_text(
        "# the customers\n"
        f"recorder:{morning}\n"
        f"ben recorder:{evening}\n"
        f"gone recorder:sqlite:///{tmp_path}/nowhere/home-assistant_v2.db\n"
        f"carl ha-api:http://127.0.0.1:{_closed_port()} c.token\n",
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path}/fleet.db"
    settings = Settings(database_url=url, analysis_days=21, time_zone="Europe/Berlin")

    report = run_fleet(cluster_client, list_homes(str(listing)), settings)

    outcomes = {o.home_id: o for o in report.outcomes}
    assert sorted(outcomes) == ["anna", "ben", "carl", "gone"]
    assert outcomes["anna"].status == outcomes["ben"].status == "succeeded"
    assert outcomes["gone"].status == outcomes["carl"].status == "failed"
    assert "nowhere" in (outcomes["gone"].error or "")
    runs = {run.home_id: run for run in asyncio.run(_rows(url, AnalysisRunRow))}
    assert runs["carl"].status is RunStatus.FAILED
    assert runs["carl"].errors
    assert "secret" not in runs["carl"].errors[0]
    suggestions = asyncio.run(_rows(url, SuggestionRow))
    assert {s.home_id for s in suggestions} == {"anna", "ben"}
    # each home's habit, at its own hour: no home's data leaked into another's
    anna = "".join(s.yaml for s in suggestions if s.home_id == "anna")
    ben = "".join(s.yaml for s in suggestions if s.home_id == "ben")
    assert 'at: "07:' in anna
    assert 'at: "19:' not in anna
    assert 'at: "19:' in ben
    assert 'at: "07:' not in ben


def test_a_home_list_names_the_line_of_a_mistake(tmp_path: Path) -> None:
    listing = tmp_path / "homes.txt"
    listing.write_text("a recorder:sqlite:///a.db\nb ftp:example.org\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"--homes homes.txt line 2: 'ftp:example.org' is no"):
        list_homes(str(listing))
    listing.write_text("x recorder:sqlite:///a.db\nx recorder:sqlite:///b.db\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2: home id 'x' is already homes.txt line 1's"):
        list_homes(str(listing))
    listing.write_text("ha-api:http://h:8123\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 1: ha-api:http://h:8123 needs the file"):
        list_homes(str(listing))
    with pytest.raises(ConfigError, match=r"--homes .*nothing-here: no such folder or file"):
        list_homes(str(tmp_path / "nothing-here"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"no homes in this folder"):
        list_homes(str(tmp_path / "empty"))


def test_a_fleet_folder_is_read_through_an_fsspec_url(tmp_path: Path) -> None:
    folder = tmp_path / "homes" / "home_id=h1"
    folder.mkdir(parents=True)
    (folder / "events.parquet").write_bytes(b"")
    homes = list_homes(f"file://{tmp_path}/homes")
    assert [(h.home_id, h.kind) for h in homes] == [("h1", "events")]
    assert homes[0].location == f"{folder}/events.parquet"
