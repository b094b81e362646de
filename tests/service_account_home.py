"""A config folder of a home where a Node-RED-like user acts beside a person."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.sources.recorder_builder import RecorderBuilder

__all__ = ["FLOWS", "OWNER", "build_home_with_a_machine_user"]

OWNER = "5a1f0c9e2b7d4e3f8a6b1c2d3e4f5a6b"
FLOWS = "9c8b7a6f5e4d4c3b2a1f0e9d8c7b6a5f"
_START = datetime(2025, 1, 1, tzinfo=UTC)
DAYS = 14


def _storage(folder: Path, key: str, data: dict[str, Any]) -> None:
    storage = folder / ".storage"
    storage.mkdir(exist_ok=True)
    document = {"version": 1, "minor_version": 1, "key": key, "data": data}
    (storage / key).write_text(json.dumps(document, indent=2), encoding="utf-8")


def _entity(entity_id: str, name: str) -> dict[str, Any]:
    return {
        "entity_id": entity_id,
        "id": entity_id.replace(".", "_"),
        "name": name,
        "platform": "hue",
        "unique_id": entity_id,
        "disabled_by": None,
        "device_id": None,
        "area_id": None,
    }


def build_home_with_a_machine_user(folder: Path, *, machine_name: str = "flows") -> Path:
    """Anna (a person) turns the hall light on at varying times each evening; the user
    `machine_name` (linked to no person) switches the aquarium light and pump together at
    07:30:00 sharp every morning, as a Node-RED flow does."""
    folder.mkdir()
    (folder / ".HA_VERSION").write_text("2025.1.2\n")
    (folder / "configuration.yaml").write_text("default_config:\n")
    _storage(
        folder,
        "core.config",
        {
            "latitude": 52.52,
            "longitude": 13.405,
            "elevation": 34,
            "location_name": "Flat in Berlin",
            "time_zone": "Europe/Berlin",
            "unit_system_v2": "metric",
        },
    )
    _storage(
        folder,
        "core.entity_registry",
        {
            "entities": [
                _entity("light.hall_ceiling", "Hall ceiling"),
                _entity("light.aquarium", "Aquarium light"),
                _entity("switch.aquarium_pump", "Aquarium pump"),
            ]
        },
    )
    _storage(folder, "core.device_registry", {"devices": []})
    _storage(folder, "core.area_registry", {"areas": []})
    _storage(
        folder,
        "auth",
        {
            "users": [
                {"id": OWNER, "name": "Anna", "is_owner": True, "system_generated": False},
                {"id": FLOWS, "name": machine_name, "is_owner": False, "system_generated": False},
            ]
        },
    )
    _storage(
        folder,
        "person",
        {"items": [{"id": "anna", "name": "Anna", "user_id": OWNER, "device_trackers": []}]},
    )
    rng = random.Random(7)
    home = RecorderBuilder(schema_version=47)
    for entity_id in ("light.hall_ceiling", "light.aquarium", "switch.aquarium_pump"):
        home.state(entity_id, "off", _START - timedelta(hours=1))
    for day in range(DAYS):
        midnight = _START + timedelta(days=day)
        morning = midnight + timedelta(hours=6, minutes=30, microseconds=40_000)  # 07:30 Berlin
        home.state("light.aquarium", "on", morning, user_id=FLOWS)
        home.state(
            "switch.aquarium_pump", "on", morning + timedelta(milliseconds=300), user_id=FLOWS
        )
        evening = midnight + timedelta(hours=19, minutes=0, microseconds=90_000)
        home.state("light.aquarium", "off", evening, user_id=FLOWS)
        home.state(
            "switch.aquarium_pump", "off", evening + timedelta(milliseconds=250), user_id=FLOWS
        )
        anna_on = midnight + timedelta(hours=17, seconds=rng.randint(0, 1500))
        home.state("light.hall_ceiling", "on", anna_on, user_id=OWNER)
        anna_off = midnight + timedelta(hours=21, seconds=rng.randint(0, 2400))
        home.state("light.hall_ceiling", "off", anna_off, user_id=OWNER)
    engine = sa.create_engine(f"sqlite:///{folder / 'home-assistant_v2.db'}")
    home.write(engine)
    engine.dispose()
    return folder
