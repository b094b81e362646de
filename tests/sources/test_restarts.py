"""Home Assistant's start-up rows, as real recorders hold them, are never a person's action."""

from __future__ import annotations

import shutil
import stat
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa

from homehabits.context import HomeContext
from homehabits.event_cleaning import clean_events
from homehabits.patterns import mine
from homehabits.patterns._common import manual_actions
from homehabits.sources.ha_config import HaConfigSource
from homehabits.sources.recorder import RecorderSource
from tests.required_services import missing_service
from tests.shared_fixture import HA_FIXTURE

from .recorder_builder import RecorderBuilder

BERLIN = ZoneInfo("Europe/Berlin")
SWITCHABLE = ["light", "switch", "input_boolean"]
OWNER = "18bbd69a38024c1db6cdb2eaf5bbc03b"


async def test_the_start_up_rows_of_a_real_home_assistant_are_its_own(tmp_path: Path) -> None:
    if not HA_FIXTURE.is_dir():
        missing_service("the shared Home Assistant fixture is not on this machine")
    folder = tmp_path / "config"
    shutil.copytree(HA_FIXTURE, folder)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    source = HaConfigSource(folder)
    context = await source.read_context()
    end = source.default_window_end()
    assert end is not None
    read = await source.read_events(end - timedelta(days=1), end, context)

    cleaned = clean_events(read.frame)
    switchable = cleaned.filter(pl.col("domain").is_in(SWITCHABLE))
    counts = dict(switchable.group_by(pl.col("origin").cast(pl.String)).len().iter_rows())

    # the fixture's "18 by the integration" are its two start-ups (nine entities each); of the
    # owner's 30, the 24 that a script switched on and back off within a second are bounces
    assert counts == {"user": 6, "automation": 8, "system": 18}
    assert set(manual_actions(cleaned)["user_id"]) == {OWNER}
    assert (
        read.frame.filter(pl.col("domain").is_in(SWITCHABLE), pl.col("origin") == "user").height
        == 30
    )


def _recorder_with_a_restart_every_night(path: Path, days: int) -> str:
    """Fourteen lights; a person's kitchen light at 07:00; Home Assistant restarting at 03:30."""
    home = RecorderBuilder()
    lights = [f"light.room_{n}" for n in range(14)]
    first = datetime(2024, 5, 1, tzinfo=BERLIN)
    for light in lights:
        home.state(light, "off", first - timedelta(hours=1))
    for day in range(days):
        midnight = first + timedelta(days=day)
        restart = midnight + timedelta(hours=3, minutes=30)
        for n, light in enumerate([*lights, "sun.sun", "zone.home"]):
            home.state(light, "off", restart + timedelta(milliseconds=3 * n))
            home._states[-1]["old_state_id"] = None  # a start-up: no state before it
        morning = midnight + timedelta(hours=7, minutes=day % 5)
        home.state("light.room_0", "on", morning, user_id=OWNER)
        home.state("light.room_0", "off", morning + timedelta(minutes=40), user_id=OWNER)
    engine = sa.create_engine(f"sqlite:///{path}")
    home.write(engine)
    engine.dispose()
    return f"sqlite:///{path}"


async def test_a_restart_every_night_read_from_the_recorder_is_no_habit(tmp_path: Path) -> None:
    url = _recorder_with_a_restart_every_night(tmp_path / "home-assistant_v2.db", days=21)
    source = RecorderSource(url)
    context = HomeContext(time_zone="Europe/Berlin")
    end = source.default_window_end()
    assert end is not None
    start = end - timedelta(days=21)
    read = await source.read_events(start, end, context)

    found = mine(read.frame, context, window_start=start, window_end=end)

    assert {(h.target_entity, h.target_state) for h in found} <= {
        ("light.room_0", "on"),
        ("light.room_0", "off"),
    }
    assert found
    assert not any(h.time_of_day is not None and h.time_of_day.hour == 3 for h in found)
