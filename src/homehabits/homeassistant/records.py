"""What Home Assistant's APIs answer, as plain frozen dataclasses, and how its JSON becomes one.

Only this package reads Home Assistant's JSON; everything else gets these records. Registry
entries keep Home Assistant's own shape (that of `.storage/core.*_registry`), because the
config-folder source reads the very same shape from disk and `homehabits.sources.registries`
turns both into HomeContext pieces; an automation config stays the plain dict that
`automations/` works on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

__all__ = [
    "REGISTRY_COMMANDS",
    "HaConfig",
    "HaRegistries",
    "HaState",
    "LogbookEntry",
    "config_of",
    "logbook_entry_of",
    "number_or_none",
    "registries_of",
    "state_of",
    "text_or_none",
    "timestamp",
]

#: What is asked over the WebSocket to read the home's registries, in this order.
REGISTRY_COMMANDS: Final = (
    "config/entity_registry/list",
    "config/device_registry/list",
    "config/area_registry/list",
    "config/auth/list",
    "auth/current_user",
)


@dataclass(frozen=True, slots=True)
class HaConfig:
    """What `GET /api/config` says about the home."""

    version: str
    time_zone: str
    latitude: float | None = None
    longitude: float | None = None
    elevation: float | None = None
    location_name: str | None = None
    temperature_unit: str = "°C"  # from `unit_system.temperature`


@dataclass(frozen=True, slots=True)
class HaState:
    """One state of one entity, from `/api/states` or the history API."""

    entity_id: str
    state: str
    attributes: Mapping[str, Any]
    last_changed: datetime | None
    last_updated: datetime | None

    @property
    def friendly_name(self) -> str | None:
        """The name the UI shows (`friendly_name`), if the state has one."""
        return _shown(self.attributes.get("friendly_name"))

    @property
    def device_class(self) -> str | None:
        """What kind of device it is (`device_class`: door, motion, …), if said."""
        return _shown(self.attributes.get("device_class"))

    @property
    def automation_id(self) -> str | None:
        """For an `automation.*` state: the id of its config (`attributes.id`)."""
        value = self.attributes.get("id")
        return str(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class LogbookEntry:
    """One logbook line: a state change and what caused it (the `context_*` fields)."""

    when: datetime
    entity_id: str | None
    state: str | None
    context_user_id: str | None = None
    context_event_type: str | None = None
    context_domain: str | None = None
    context_entity_id: str | None = None


@dataclass(frozen=True, slots=True)
class HaRegistries:
    """The registries and automation configs, read over one WebSocket connection.

    Entries keep Home Assistant's own shape (that of `.storage/core.*_registry`), which
    `homehabits.sources.registries` turns into HomeContext pieces.
    """

    entities: list[dict[str, Any]]
    devices: list[dict[str, Any]]
    areas: list[dict[str, Any]]
    users: list[dict[str, Any]] | None  # None: the token may not list users (not an admin)
    automation_configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # by entity id
    token_user_id: str | None = None  # the user whose token reads (and deploys): homehabits


def config_of(body: Mapping[str, Any]) -> HaConfig:
    """The home's settings from a `GET /api/config` answer that has a version."""
    return HaConfig(
        version=str(body["version"]),
        time_zone=str(body.get("time_zone") or "UTC"),
        latitude=number_or_none(body.get("latitude")),
        longitude=number_or_none(body.get("longitude")),
        elevation=number_or_none(body.get("elevation")),
        location_name=text_or_none(body.get("location_name")),
        temperature_unit=_temperature_unit(body.get("unit_system")),
    )


def state_of(item: Mapping[str, Any]) -> HaState:
    """One state from `/api/states` or the history API."""
    attributes = item.get("attributes")
    return HaState(
        entity_id=str(item.get("entity_id", "")),
        state=str(item.get("state", "")),
        attributes=attributes if isinstance(attributes, dict) else {},
        last_changed=timestamp(item.get("last_changed")),
        last_updated=timestamp(item.get("last_updated")),
    )


def logbook_entry_of(item: Mapping[str, Any]) -> LogbookEntry | None:
    """One logbook line; None for a line without a readable time."""
    when = timestamp(item.get("when"))
    if when is None:
        return None
    return LogbookEntry(
        when=when,
        entity_id=text_or_none(item.get("entity_id")),
        state=text_or_none(item.get("state")),
        context_user_id=text_or_none(item.get("context_user_id")),
        context_event_type=text_or_none(item.get("context_event_type")),
        context_domain=text_or_none(item.get("context_domain")),
        context_entity_id=text_or_none(item.get("context_entity_id")),
    )


def timestamp(value: Any) -> datetime | None:
    """An aware datetime from ISO text; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def number_or_none(value: Any) -> float | None:
    """A float, or None where there is none."""
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def text_or_none(value: Any) -> str | None:
    """Non-empty text, or None."""
    if value is None:
        return None
    text = str(value)
    return text or None


def _temperature_unit(unit_system: Any) -> str:
    unit = unit_system.get("temperature") if isinstance(unit_system, dict) else None
    return "°F" if unit == "°F" else "°C"


def registries_of(answers: list[Any], automation_entity_ids: list[str]) -> HaRegistries:
    """One record from the WebSocket answers: registries, users, own user, automation configs.

    The answers come in the order `REGISTRY_COMMANDS` asks, then one `automation/config`
    answer per automation entity id.
    """
    entities, devices, areas, users, current_user = answers[:5]
    configs: dict[str, dict[str, Any]] = {}
    for entity_id, answer in zip(automation_entity_ids, answers[5:], strict=True):
        config = answer.get("config") if isinstance(answer, dict) else None
        if isinstance(config, dict):
            configs[entity_id] = config
    return HaRegistries(
        entities=_dicts_or_empty(entities),
        devices=_dicts_or_empty(devices),
        areas=_dicts_or_empty(areas),
        users=_dicts_or_empty(users) if isinstance(users, list) else None,
        automation_configs=configs,
        token_user_id=text_or_none(current_user.get("id"))
        if isinstance(current_user, dict)
        else None,
    )


def _shown(value: Any) -> str | None:
    return str(value) if value else None


def _dicts_or_empty(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
