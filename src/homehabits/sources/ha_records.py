"""What Home Assistant's APIs answer, as plain dataclasses, and how a JSON state becomes one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "HaConfig",
    "HaRegistries",
    "HaState",
    "LogbookEntry",
    "number_or_none",
    "state_of",
    "text_or_none",
    "timestamp",
]


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
