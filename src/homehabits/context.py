"""HomeContext: what a home is made of (entities, devices, areas, automations), read once per run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "Area",
    "Device",
    "Entity",
    "ExistingAutomation",
    "HomeContext",
    "HomeUser",
    "Location",
]


@dataclass(frozen=True, slots=True)
class Area:
    """A room or zone of the home."""

    area_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Device:
    """A physical (or virtual) device, which may hold several entities."""

    device_id: str
    name: str
    manufacturer: str | None = None
    model: str | None = None
    area_id: str | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity of the home, as the owner sees it."""

    entity_id: str
    name: str  # the friendly name
    area_id: str | None = None  # its own area, else its device's
    device_id: str | None = None
    device_class: str | None = None  # e.g. motion, door, garage
    platform: str | None = None
    capabilities: Mapping[str, Any] = field(default_factory=dict)  # e.g. supported_color_modes

    @property
    def domain(self) -> str:
        """The part of the entity id before the dot."""
        return self.entity_id.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class ExistingAutomation:
    """An automation the home already has, normalised to the modern dialect's keys.

    `triggers` items carry `trigger` (the platform), `actions` items carry `action` (the
    service) where the original used `service`; `raw` is the config exactly as read.
    """

    automation_id: str | None  # the `id` in automations.yaml
    alias: str
    entity_id: str | None  # automation.xxx, when known
    triggers: tuple[Mapping[str, Any], ...] = ()
    conditions: tuple[Mapping[str, Any], ...] = ()
    actions: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)
    mode: str = "single"

    def target_entities(self) -> frozenset[str]:
        """Every entity id the actions act on (target/data/entity_id, nested sequences too)."""
        found: set[str] = set()
        _collect_entity_ids(self.actions, found)
        return frozenset(found)

    def trigger_entities(self) -> frozenset[str]:
        """Every entity id the triggers watch."""
        found: set[str] = set()
        for trigger in self.triggers:
            _add_entity_ids(trigger.get("entity_id"), found)
        return frozenset(found)


@dataclass(frozen=True, slots=True)
class Location:
    """Where the home is: for sun times."""

    latitude: float
    longitude: float
    elevation: float = 0.0


@dataclass(frozen=True, slots=True)
class HomeUser:
    """A Home Assistant user (a login), and the person it belongs to, if any."""

    user_id: str  # hex, no dashes
    name: str
    is_owner: bool = False
    is_active: bool = True
    system_generated: bool = False  # made by Home Assistant itself (Supervisor, Cloud...)
    person: str | None = None  # the name of the `person` linked to this user


@dataclass(frozen=True, slots=True)
class HomeContext:
    """Everything known about the home apart from its history; built once per run."""

    time_zone: str
    location: Location | None = None
    ha_version: str | None = None  # e.g. "2024.3.3"
    name: str | None = None
    entities: Mapping[str, Entity] = field(default_factory=dict)
    devices: Mapping[str, Device] = field(default_factory=dict)
    areas: Mapping[str, Area] = field(default_factory=dict)
    automations: tuple[ExistingAutomation, ...] = ()
    users: Mapping[str, str] = field(default_factory=dict)  # user id -> name
    service_user_ids: frozenset[str] = frozenset()
    # the users in detail, when the source can see them (`.storage/auth`, the admin API)
    user_details: Mapping[str, HomeUser] = field(default_factory=dict)
    persons: tuple[str, ...] = ()  # names of the `person` entries, when known
    own_user_id: str | None = None  # the user of the token homehabits itself uses
    temperature_unit: str = "°C"  # "°F" in a home on Home Assistant's US customary units

    @property
    def dedicated_own_user_id(self) -> str | None:
        """The user of homehabits' own token when it is a user of its own; else None.

        Only a user linked to no person, and not the owner, is homehabits' alone: its actions
        are never a person's. A token the owner made on their own profile belongs to a person
        whose actions are the habits to learn, and so does one whose user is not known.
        """
        if not self.own_user_id:
            return None
        user = self.user_details.get(self.own_user_id.strip().replace("-", "").lower())
        if user is None or user.person is not None or user.is_owner:
            return None
        return self.own_user_id

    @property
    def zone(self) -> ZoneInfo:
        """The home's time zone."""
        return ZoneInfo(self.time_zone)

    def friendly_name(self, entity_id: str) -> str:
        """The name the owner knows an entity by; falls back to a tidy entity id."""
        entity = self.entities.get(entity_id)
        if entity is not None and entity.name:
            return entity.name
        object_id = entity_id.split(".", 1)[-1]
        return object_id.replace("_", " ").capitalize()

    def area_id(self, entity_id: str) -> str | None:
        """The area of an entity (its own, else its device's), if any."""
        entity = self.entities.get(entity_id)
        if entity is None:
            return None
        if entity.area_id:
            return entity.area_id
        device = self.devices.get(entity.device_id) if entity.device_id else None
        return device.area_id if device else None

    def area_name(self, entity_id: str) -> str | None:
        """The name of an entity's area, if it has one."""
        area_id = self.area_id(entity_id)
        area = self.areas.get(area_id) if area_id else None
        return area.name if area else None

    def entities_in_area(self, area_id: str) -> tuple[Entity, ...]:
        """The entities placed in an area, directly or through their device."""
        return tuple(e for e in self.entities.values() if self.area_id(e.entity_id) == area_id)

    def automation_by_entity(self, entity_id: str) -> ExistingAutomation | None:
        """The existing automation behind an `automation.*` entity id."""
        for automation in self.automations:
            if automation.entity_id == entity_id:
                return automation
        return None


def _add_entity_ids(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        found.update(part.strip() for part in value.split(",") if "." in part)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, str) and "." in item:
                found.add(item.strip())


def _collect_entity_ids(node: Any, found: set[str]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "entity_id":
                _add_entity_ids(value, found)
            else:
                _collect_entity_ids(value, found)
    elif isinstance(node, list | tuple):
        for item in node:
            _collect_entity_ids(item, found)
