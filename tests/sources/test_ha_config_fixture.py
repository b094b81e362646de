"""A real Home Assistant 2024.3.3 config folder (a temporary copy of the shared fixture)."""

from __future__ import annotations

import hashlib
import shutil
import stat
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from homehabits.sources.ha_config import HaConfigSource
from tests.required_services import missing_service
from tests.shared_fixture import HA_FIXTURE

FIXTURE = HA_FIXTURE
OWNER = "18bbd69a38024c1db6cdb2eaf5bbc03b"
SWITCHABLE = ["light", "switch", "input_boolean"]


@pytest.fixture
def config_folder(tmp_path: Path) -> Path:
    if not FIXTURE.is_dir():
        missing_service("the shared Home Assistant fixture is not on this machine")
    folder = tmp_path / "config"
    shutil.copytree(FIXTURE, folder)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return folder


def _file_names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def _whole_history(source: HaConfigSource) -> pl.DataFrame:
    context = await source.read_context()
    end = source.default_window_end()
    assert end is not None
    read = await source.read_events(end - timedelta(days=1), end + timedelta(seconds=1), context)
    return read.frame


async def test_the_context_has_the_time_zone_location_and_version_of_the_home(
    config_folder: Path,
) -> None:
    context = await HaConfigSource(config_folder).read_context()

    assert context.time_zone == "Europe/Berlin"
    assert context.location is not None
    assert (context.location.latitude, context.location.longitude) == (52.52, 13.405)
    assert context.location.elevation == 34
    assert context.ha_version == "2024.3.3"
    assert context.name == "Acceptance Home"
    assert {area.name for area in context.areas.values()} == {"Living Room", "Kitchen", "Bedroom"}
    assert context.users[OWNER] == "Acceptance Owner"


async def test_entities_have_the_names_home_assistant_shows(config_folder: Path) -> None:
    context = await HaConfigSource(config_folder).read_context()

    assert context.friendly_name("light.ceiling_lights") == "Ceiling Lights"
    assert context.friendly_name("switch.decorative_lights") == "Decorative Lights"
    assert context.friendly_name("sensor.sun_next_dawn") == "Sun Next dawn"
    assert context.friendly_name("input_boolean.accept_trigger") == "Acceptance trigger"
    # In the recorder only (set up in YAML, no registry entry): named from its attributes.
    assert context.friendly_name("zone.home") == "Acceptance Home"
    assert context.entities["light.ceiling_lights"].capabilities["supported_color_modes"] == [
        "color_temp",
        "hs",
    ]


async def test_both_existing_automations_come_out_in_the_modern_dialect(
    config_folder: Path,
) -> None:
    context = await HaConfigSource(config_folder).read_context()
    by_id = {automation.automation_id: automation for automation in context.automations}

    evening = by_id["evening_lights"]
    assert evening.entity_id == "automation.evening_lights"
    assert evening.triggers == ({"trigger": "time", "at": "13:29:58"},)
    assert evening.actions[0]["action"] == "light.turn_on"
    assert evening.target_entities() == {"light.living_room_rgbww_lights"}
    follows = by_id["ceiling_follows_switch"]
    # Its entity id comes from the registry (the alias was renamed after it was created).
    assert follows.entity_id == "automation.ceiling_follows_decorative_switch"
    assert follows.trigger_entities() == {"switch.decorative_lights"}
    assert context.automation_by_entity("automation.evening_lights") is evening


async def test_the_origin_of_every_switchable_change_matches_what_happened(
    config_folder: Path,
) -> None:
    frame = await _whole_history(HaConfigSource(config_folder))
    switchable = frame.filter(pl.col("domain").is_in(SWITCHABLE))

    counts = dict(switchable.group_by("origin").len().cast({"origin": pl.String}).rows())
    assert counts == {"user": 30, "automation": 8, "device": 18}
    by_automation = switchable.filter(pl.col("origin") == "automation")
    # 4 by the state-triggered automation (parent context set) ...
    assert (
        by_automation.filter(
            pl.col("state") == "on", pl.col("entity_id") == "light.ceiling_lights"
        ).height
        == 4
    )
    # ... and 4 by time-triggered ones, found only through the automation_triggered events.
    time_triggered = by_automation.filter(
        (pl.col("state") == "off") | (pl.col("entity_id") == "light.living_room_rgbww_lights")
    )
    assert time_triggered.height == 4
    assert set(switchable.filter(pl.col("origin") == "user")["user_id"]) == {OWNER}


async def test_the_owner_named_as_a_service_account_counts_as_a_service(
    config_folder: Path,
) -> None:
    frame = await _whole_history(HaConfigSource(config_folder, service_users=["Acceptance Owner"]))

    switchable = frame.filter(pl.col("domain").is_in(SWITCHABLE))
    assert switchable.filter(pl.col("origin") == "service").height == 30
    assert switchable.filter(pl.col("origin") == "user").is_empty()


async def test_reading_the_folder_leaves_the_recorder_file_byte_identical(
    config_folder: Path,
) -> None:
    database = config_folder / "home-assistant_v2.db"
    before = _digest(database)
    files_before = _file_names(config_folder)

    await _whole_history(HaConfigSource(config_folder))

    assert _digest(database) == before
    assert _file_names(config_folder) == files_before


async def test_the_container_recorder_path_is_mapped_into_the_folder(config_folder: Path) -> None:
    source = HaConfigSource(config_folder)

    assert str(config_folder / "home-assistant_v2.db") in source.description
    assert not source.warnings  # `automation: !include automations.yaml` is normal, not a problem
