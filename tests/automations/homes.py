"""Small homes and habits for the automation tests, built from the contract types."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import time
from typing import Any

from homehabits.context import Area, Entity, ExistingAutomation, HomeContext
from homehabits.patterns.habit import HabitKind, Pattern

__all__ = ["existing_automation", "habit", "home"]

_NAMES = {
    "light.kitchen": ("Kitchen light", None),
    "light.hallway": ("Hallway light", None),
    "switch.coffee_maker": ("Coffee maker", None),
    "fan.bathroom_extractor": ("Bathroom extractor", None),
    "cover.living_room_blind": ("Living room blind", None),
    "cover.garage_door": ("Garage door", "garage"),
    "climate.living_room": ("Living room thermostat", None),
    "media_player.kitchen_radio": ("Kitchen radio", None),
    "vacuum.robot": ("Robot vacuum", None),
    "lock.front_door": ("Front door", None),
    "alarm_control_panel.home": ("Home alarm", None),
    "input_boolean.guest_mode": ("Guest mode", None),
    "humidifier.bedroom": ("Bedroom humidifier", None),
    "binary_sensor.front_door": ("Front door sensor", "door"),
    "binary_sensor.bathroom_motion": ("Bathroom motion", "motion"),
    "person.alice": ("Alice", None),
    "person.bob": ("Bob", None),
}


def home(
    *,
    ha_version: str | None = "2024.11.0",
    automations: Iterable[ExistingAutomation] = (),
    names: Mapping[str, str] | None = None,
) -> HomeContext:
    """A home with a few rooms' worth of entities and the given automations."""
    overrides = names or {}
    entities = {
        entity_id: Entity(
            entity_id=entity_id,
            name=overrides.get(entity_id, name),
            area_id="kitchen" if "kitchen" in entity_id else None,
            device_class=device_class,
        )
        for entity_id, (name, device_class) in _NAMES.items()
    }
    return HomeContext(
        time_zone="Europe/Berlin",
        ha_version=ha_version,
        entities=entities,
        areas={"kitchen": Area("kitchen", "Kitchen")},
        automations=tuple(automations),
    )


def habit(kind: HabitKind = HabitKind.TIME_OF_DAY, **fields: Any) -> Pattern:
    """A habit of the given kind with sensible parameters; any field can be replaced."""
    defaults: dict[str, Any] = {
        "target_entity": "light.kitchen",
        "target_state": "on",
        "occurrences": 20,
        "days_observed": 18,
        "days_possible": 22,
        "adherence": 0.82,
        "confidence": 0.8,
    }
    if kind in (HabitKind.TIME_OF_DAY, HabitKind.OVERRIDE):
        defaults["time_of_day"] = time(6, 45)
    if kind is HabitKind.SUN:
        defaults |= {"sun_event": "sunset", "sun_offset_minutes": 15}
    if kind is HabitKind.SEQUENCE:
        defaults |= {
            "target_entity": "light.hallway",
            "trigger_entity": "binary_sensor.front_door",
            "trigger_state": "on",
            "lag_seconds": 20.0,
        }
    if kind is HabitKind.AUTO_OFF:
        defaults |= {
            "target_entity": "fan.bathroom_extractor",
            "target_state": "off",
            "duration_seconds": 900.0,
        }
    if kind is HabitKind.PRESENCE:
        defaults |= {
            "target_state": "off",
            "related_entities": ("person.alice", "person.bob"),
            "trigger_state": "not_home",
        }
    return Pattern(kind=kind, **(defaults | fields))


def existing_automation(
    config: Mapping[str, Any], entity_id: str | None = None
) -> ExistingAutomation:
    """An automation as a source reads it: raw config, and triggers/actions in modern keys."""
    triggers = config.get("triggers", config.get("trigger", []))
    actions = config.get("actions", config.get("action", []))
    conditions = config.get("conditions", config.get("condition", []))
    return ExistingAutomation(
        automation_id=config.get("id"),
        alias=config.get("alias", ""),
        entity_id=entity_id,
        triggers=tuple(_renamed(t, "platform", "trigger") for t in _listed(triggers)),
        conditions=tuple(_listed(conditions)),
        actions=tuple(_renamed(a, "service", "action") for a in _listed(actions)),
        raw=dict(config),
        mode=config.get("mode", "single"),
    )


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _renamed(item: Mapping[str, Any], old: str, new: str) -> dict[str, Any]:
    return {(new if key == old else key): value for key, value in item.items()}
