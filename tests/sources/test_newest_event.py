"""The newest change of every kind of source is inside the window the miners see."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from homehabits.context import HomeContext
from homehabits.events import check_events
from homehabits.patterns._common import in_window
from homehabits.sources.base import Source
from homehabits.sources.event_file import EventFileSource
from homehabits.sources.ha_api import HomeAssistantApiSource
from homehabits.sources.ha_config import HaConfigSource
from homehabits.sources.recorder import RecorderSource
from homehabits.sources.simulator import DemoSource, SimulationConfig
from tests.fakes.fake_home_assistant import FakeHomeAssistant
from tests.required_services import missing_service
from tests.shared_fixture import HA_FIXTURE

from .recorder_builder import RecorderBuilder

# What Home Assistant writes since it takes `time.time()` for last_updated_ts: finer than a
# microsecond. These once rounded one microsecond past the window's end and fell out of it.
SUB_MICROSECOND_TIMES = (1796289606.4702635, 1796289606.7141294, 1796289606.6712735)
HOME = HomeContext(time_zone="Europe/Berlin")


async def _what_the_miners_see(source: Source, context: HomeContext) -> pl.DataFrame:
    """The default window's events, cut to the window as mine() cuts them."""
    end = source.default_window_end() or datetime.now(UTC)
    start = end - timedelta(days=30)
    read = await source.read_events(start, end, context)
    return in_window(read.frame, start, end)


@pytest.mark.parametrize("newest", SUB_MICROSECOND_TIMES)
async def test_the_newest_recorder_row_is_read_when_written_finer_than_a_microsecond(
    tmp_path: Path, newest: float
) -> None:
    home = RecorderBuilder()
    when = datetime.fromtimestamp(newest, tz=UTC)
    home.state("light.desk", "off", when - timedelta(minutes=5))
    home.state("light.desk", "on", when)
    home._states[-1]["last_updated_ts"] = newest  # as Home Assistant wrote it
    path = tmp_path / "home-assistant_v2.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    home.write(engine)
    engine.dispose()

    frame = await _what_the_miners_see(RecorderSource(f"sqlite:///{path}"), HOME)

    assert frame["state"].to_list() == ["off", "on"]


def test_epoch_seconds_become_the_same_microsecond_as_fromtimestamp_gives() -> None:
    raw = pl.DataFrame(
        {
            "time": list(SUB_MICROSECOND_TIMES),
            "entity_id": ["light.desk"] * 3,
            "state": ["on", "off", "on"],
        }
    )

    times = check_events(raw).frame["time"].to_list()

    assert times == sorted(datetime.fromtimestamp(t, tz=UTC) for t in SUB_MICROSECOND_TIMES)


async def test_the_newest_row_of_a_config_folder_is_read(tmp_path: Path) -> None:
    if not HA_FIXTURE.is_dir():
        missing_service("the shared Home Assistant fixture is not on this machine")
    folder = tmp_path / "config"
    shutil.copytree(HA_FIXTURE, folder)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    database = sqlite3.connect(folder / "home-assistant_v2.db")
    with database:
        newest = database.execute(
            "SELECT state_id FROM states s JOIN states_meta m USING (metadata_id) "
            "WHERE m.entity_id = 'light.bed_light' ORDER BY last_updated_ts DESC LIMIT 1"
        ).fetchone()[0]
        latest = database.execute("SELECT MAX(last_updated_ts) FROM states").fetchone()[0]
        # a moment after everything else, written as a modern Home Assistant writes it
        moved = float(int(latest) + 1) + 0.4702635
        database.execute(
            "UPDATE states SET last_updated_ts = ? WHERE state_id = ?", (moved, newest)
        )
    database.close()
    source = HaConfigSource(folder)

    frame = await _what_the_miners_see(source, await source.read_context())

    assert frame["entity_id"][-1] == "light.bed_light"
    assert frame["time"][-1] == datetime.fromtimestamp(moved, tz=UTC)


async def test_the_newest_line_of_an_event_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "time,entity_id,state,old_state,origin\n"
        "1796289000.25,light.hall,on,off,user\n"
        f"{SUB_MICROSECOND_TIMES[0]},light.hall,off,on,user\n"
    )

    frame = await _what_the_miners_see(EventFileSource(path, time_zone="UTC"), HOME)

    assert frame["state"].to_list() == ["on", "off"]


async def test_the_newest_change_of_a_live_home_is_read() -> None:
    fake = FakeHomeAssistant(token="token")
    fake.add_entity("light.kitchen", name="Kitchen", state="off", attributes={})
    now = datetime.now(UTC)
    fake.record("light.kitchen", "on", now - timedelta(hours=2), user_id="a" * 32)
    fake.record("light.kitchen", "off", now - timedelta(milliseconds=5), user_id="a" * 32)
    source = HomeAssistantApiSource(
        "http://ha.local:8123",
        "token",
        transport=fake.transport(),
        ws_connect=fake.ws_connect,
        backoff=0.0,
    )

    frame = await _what_the_miners_see(source, await source.read_context())

    assert frame["state"].to_list() == ["on", "off"]


async def test_the_newest_simulated_change_is_read() -> None:
    source = DemoSource(SimulationConfig(days=3))
    home = source.home

    frame = await _what_the_miners_see(source, home.context)

    assert frame.height == home.frame.height
    assert frame["time"].max() == home.frame["time"].max()
