"""A config folder built the way Home Assistant writes one, and the errors a bad one gives."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from homehabits.exceptions import SourceError, SourceFormatError, SourceNotFoundError
from homehabits.sources.ha_config import HaConfigSource

from .recorder_builder import RecorderBuilder

OWNER = "5a1f0c9e2b7d4e3f8a6b1c2d3e4f5a6b"
T0 = datetime(2025, 1, 15, 6, 30, tzinfo=UTC)


def _storage(folder: Path, key: str, version: int, minor: int, data: dict[str, Any]) -> None:
    storage = folder / ".storage"
    storage.mkdir(exist_ok=True)
    document = {"version": version, "minor_version": minor, "key": key, "data": data}
    (storage / key).write_text(json.dumps(document, indent=2), encoding="utf-8")


def _entity(entity_id: str, **fields: Any) -> dict[str, Any]:
    entry = {
        "area_id": None,
        "capabilities": None,
        "device_class": None,
        "device_id": None,
        "disabled_by": None,
        "entity_id": entity_id,
        "has_entity_name": False,
        "id": entity_id.replace(".", "_"),
        "name": None,
        "original_device_class": None,
        "original_name": None,
        "platform": "hue",
        "unique_id": entity_id,
    }
    return {**entry, **fields}


def _build_folder(folder: Path) -> Path:
    """A 2025.1 home: two rooms, a Hue bulb, a motion sensor, a modern automation."""
    folder.mkdir()
    (folder / ".HA_VERSION").write_text("2025.1.2\n")
    (folder / "configuration.yaml").write_text(
        "default_config:\n"
        "automation: !include automations.yaml\n"
        "script: !include_dir_merge_named scripts/\n"
        "http:\n  server_port: !env_var HA_PORT\n"
    )
    (folder / "automations.yaml").write_text(
        "- id: '1736900000001'\n"
        "  alias: Hall light on motion\n"
        "  triggers:\n"
        "  - trigger: state\n"
        "    entity_id: binary_sensor.hall_motion\n"
        "    to: 'on'\n"
        "  conditions:\n"
        "  - condition: sun\n"
        "    after: sunset\n"
        "  actions:\n"
        "  - action: light.turn_on\n"
        "    target:\n"
        "      entity_id: light.hall_ceiling\n"
        "  - choose:\n"
        "    - conditions: []\n"
        "      sequence:\n"
        "      - service: notify.notify\n"
        "        data:\n"
        "          message: !secret motion_message\n"
        "  mode: restart\n"
    )
    _storage(
        folder,
        "core.config",
        1,
        4,
        {
            "latitude": 48.137,
            "longitude": 11.575,
            "elevation": 519,
            "location_name": "Flat in Munich",
            "time_zone": "Europe/Berlin",
            "unit_system_v2": "metric",
        },
    )
    _storage(
        folder,
        "core.area_registry",
        1,
        7,
        {
            "areas": [
                {"id": "hall", "name": "Hall", "aliases": [], "floor_id": None},
                {"id": "kitchen", "name": "Kitchen", "aliases": [], "floor_id": None},
            ]
        },
    )
    _storage(
        folder,
        "core.device_registry",
        1,
        8,
        {
            "devices": [
                {
                    "id": "dev_hall_bulb",
                    "name": "Hue white lamp 1",
                    "name_by_user": "Hall ceiling",
                    "manufacturer": "Signify",
                    "model": "LWB010",
                    "area_id": "hall",
                },
                {
                    "id": "dev_motion",
                    "name": "Hue motion sensor",
                    "name_by_user": None,
                    "manufacturer": "Signify",
                    "model": "SML001",
                    "area_id": "hall",
                },
            ],
            "deleted_devices": [],
        },
    )
    _storage(
        folder,
        "core.entity_registry",
        1,
        15,
        {
            "entities": [
                _entity("light.hall_ceiling", device_id="dev_hall_bulb", has_entity_name=True),
                _entity(
                    "binary_sensor.hall_motion",
                    device_id="dev_motion",
                    has_entity_name=True,
                    original_name="Motion",
                    original_device_class="motion",
                ),
                _entity("switch.kettle", name="Kettle", area_id="kitchen", platform="shelly"),
                _entity("switch.old_plug", disabled_by="user", original_name="Old plug"),
                _entity(
                    "automation.hall_light_on_motion",
                    platform="automation",
                    unique_id="1736900000001",
                    original_name="Hall light on motion",
                ),
            ],
            "deleted_entities": [],
        },
    )
    _storage(
        folder,
        "auth",
        1,
        1,
        {"users": [{"id": OWNER, "name": "Anna", "is_owner": True, "group_ids": []}]},
    )
    home = RecorderBuilder(schema_version=47)
    home.state("light.hall_ceiling", "off", T0, attributes={"friendly_name": "Hall ceiling"})
    home.state("light.hall_ceiling", "on", T0 + timedelta(minutes=1), user_id=OWNER)
    home.state("sensor.outdoor", "3.5", T0, attributes={"friendly_name": "Outdoor temperature"})
    engine = sa.create_engine(f"sqlite:///{folder / 'home-assistant_v2.db'}")
    home.write(engine)
    engine.dispose()
    return folder


async def test_a_folder_as_home_assistant_writes_it_gives_names_areas_and_automations(
    tmp_path: Path,
) -> None:
    source = HaConfigSource(_build_folder(tmp_path / "config"))

    context = await source.read_context()

    assert context.time_zone == "Europe/Berlin"
    assert context.ha_version == "2025.1.2"
    assert context.name == "Flat in Munich"
    assert context.location is not None
    assert context.location.elevation == 519
    assert context.friendly_name("light.hall_ceiling") == "Hall ceiling"  # the owner's name
    assert context.friendly_name("binary_sensor.hall_motion") == "Hue motion sensor Motion"
    assert context.friendly_name("switch.kettle") == "Kettle"
    assert context.friendly_name("sensor.outdoor") == "Outdoor temperature"  # recorder only
    assert context.area_name("light.hall_ceiling") == "Hall"  # through its device
    assert context.area_name("switch.kettle") == "Kitchen"  # its own area
    assert context.entities["binary_sensor.hall_motion"].device_class == "motion"
    assert "switch.old_plug" not in context.entities  # disabled
    assert context.devices["dev_hall_bulb"].model == "LWB010"
    (automation,) = context.automations
    assert automation.entity_id == "automation.hall_light_on_motion"
    assert automation.mode == "restart"
    assert automation.triggers[0]["trigger"] == "state"
    assert automation.actions[1]["choose"][0]["sequence"][0]["action"] == "notify.notify"
    assert automation.target_entities() == {"light.hall_ceiling"}


async def test_unknown_yaml_tags_are_skipped_with_a_warning_includes_quietly(
    tmp_path: Path,
) -> None:
    source = HaConfigSource(_build_folder(tmp_path / "config"))

    context = await source.read_context()
    read = await source.read_events(T0, T0 + timedelta(hours=1), context)

    warnings = " | ".join(read.warnings)
    assert "!include" not in warnings
    assert "!env_var skipped" in warnings
    assert "secret 'motion_message' not found" in warnings
    assert read.frame.filter(pl.col("state") == "on")["origin"].to_list() == ["user"]


async def test_the_recorder_url_comes_from_secrets_and_the_container_path_is_mapped(
    tmp_path: Path,
) -> None:
    folder = _build_folder(tmp_path / "config")
    (folder / "home-assistant_v2.db").rename(folder / "history.db")
    (folder / "configuration.yaml").write_text("recorder:\n  db_url: !secret recorder_url\n")
    (folder / "secrets.yaml").write_text('recorder_url: "sqlite:////config/history.db"\n')
    source = HaConfigSource(folder)

    context = await source.read_context()
    read = await source.read_events(T0, T0 + timedelta(hours=1), context)

    assert str(folder.resolve() / "history.db") in source.description
    assert read.frame.height == 3


async def test_the_time_zone_can_be_overridden(tmp_path: Path) -> None:
    source = HaConfigSource(_build_folder(tmp_path / "config"), time_zone_override="Europe/Vienna")

    assert (await source.read_context()).time_zone == "Europe/Vienna"


def test_a_missing_folder_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        HaConfigSource(tmp_path / "nowhere")


def test_a_folder_that_is_not_a_home_assistant_config_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("shopping list")

    with pytest.raises(SourceError, match="does not look like a Home Assistant config folder"):
        HaConfigSource(tmp_path)


async def test_a_registry_with_broken_json_names_the_file_and_line(tmp_path: Path) -> None:
    folder = _build_folder(tmp_path / "config")
    (folder / ".storage" / "core.area_registry").write_text(
        '{\n  "version": 1,\n  "data": {"areas": [\n    {"id": "hall",}\n  ]}\n}\n'
    )

    with pytest.raises(SourceFormatError, match=r"core\.area_registry, line 4: not valid JSON"):
        await HaConfigSource(folder).read_context()


async def test_broken_automations_yaml_is_a_warning_naming_the_file_and_line(
    tmp_path: Path,
) -> None:
    folder = _build_folder(tmp_path / "config")
    (folder / "automations.yaml").write_text("- id: one\n  alias: [unclosed\n  mode: single\n")
    source = HaConfigSource(folder)

    context = await source.read_context()

    assert context.automations == ()
    assert any(
        re.search(r"automations\.yaml, line \d: not valid YAML", warning)
        for warning in source.warnings
    )


async def test_broken_configuration_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    folder = _build_folder(tmp_path / "config")
    (folder / "configuration.yaml").write_text("recorder:\n  db_url: [unclosed\n")

    with pytest.raises(SourceFormatError, match=r"configuration\.yaml, line \d: not valid YAML"):
        await HaConfigSource(folder).read_context()


async def test_a_home_on_us_customary_units_sets_its_temperatures_in_fahrenheit(
    tmp_path: Path,
) -> None:
    folder = _build_folder(tmp_path / "config")
    metric = await HaConfigSource(folder).read_context()
    core = json.loads((folder / ".storage" / "core.config").read_text())
    core["data"]["unit_system_v2"] = "us_customary"
    (folder / ".storage" / "core.config").write_text(json.dumps(core))

    customary = await HaConfigSource(folder).read_context()

    assert metric.temperature_unit == "°C"
    assert customary.temperature_unit == "°F"
