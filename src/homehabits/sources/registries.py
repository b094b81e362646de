"""Home Assistant's registries and automation configs turned into HomeContext pieces.

Pure functions on already-loaded JSON: the `.storage` files (`data.entities`, `data.devices`,
`data.areas`) and the WebSocket `config/*_registry/list` answers have the same entry shapes,
so the config-folder source and the live-API source share this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from homehabits.automations.dialects import (
    ACTION_LIST_KEY,
    CONDITION_LIST_KEY,
    TRIGGER_LIST_KEY,
    convert_dialect,
)
from homehabits.config import Dialect
from homehabits.context import Area, Device, Entity, ExistingAutomation, HomeUser

__all__ = [
    "areas_from_registry",
    "automation_entity_ids",
    "automation_from_config",
    "automations_from_configs",
    "devices_from_registry",
    "entities_from_registry",
    "home_users",
    "service_user_ids",
    "slugify",
    "tidy_entity_name",
    "unmatched_service_users",
    "users_from_auth",
]


def devices_from_registry(device_entries: Iterable[Mapping[str, Any]]) -> dict[str, Device]:
    """Devices by id; the owner's own name (`name_by_user`) wins over the integration's."""
    devices: dict[str, Device] = {}
    for entry in device_entries:
        device_id = entry.get("id")
        if not isinstance(device_id, str) or not device_id:
            continue
        devices[device_id] = Device(
            device_id=device_id,
            name=_device_name(entry) or "",
            manufacturer=_text(entry.get("manufacturer")),
            model=_text(entry.get("model")),
            area_id=_text(entry.get("area_id")),
        )
    return devices


def areas_from_registry(area_entries: Iterable[Mapping[str, Any]]) -> dict[str, Area]:
    """Areas by id; accepts the storage shape (`id`) and the WebSocket shape (`area_id`)."""
    areas: dict[str, Area] = {}
    for entry in area_entries:
        area_id = entry.get("area_id") or entry.get("id")
        if not isinstance(area_id, str) or not area_id:
            continue
        areas[area_id] = Area(area_id=area_id, name=_text(entry.get("name")) or area_id)
    return areas


def entities_from_registry(
    entity_entries: Iterable[Mapping[str, Any]],
    device_entries: Iterable[Mapping[str, Any]],
) -> dict[str, Entity]:
    """Enabled entities by entity id, named the way Home Assistant names them.

    The name is the owner's registry `name`; else, for entities that take their device's name,
    device name + `original_name`; else `original_name`. It is "" when the registry does not
    know it, so the caller can fill it from the recorder's `friendly_name`.
    """
    device_names = {
        str(entry["id"]): _device_name(entry) for entry in device_entries if entry.get("id")
    }
    entities: dict[str, Entity] = {}
    for entry in entity_entries:
        entity_id = entry.get("entity_id")
        if not isinstance(entity_id, str) or "." not in entity_id:
            continue
        if entry.get("disabled_by"):
            # A disabled entity writes no history and cannot be acted on.
            continue
        device_id = _text(entry.get("device_id"))
        capabilities = entry.get("capabilities")
        entities[entity_id] = Entity(
            entity_id=entity_id,
            name=_entity_name(entry, device_names.get(device_id) if device_id else None),
            area_id=_text(entry.get("area_id")),
            device_id=device_id,
            device_class=_text(entry.get("device_class"))
            or _text(entry.get("original_device_class")),
            platform=_text(entry.get("platform")),
            capabilities=dict(capabilities) if isinstance(capabilities, Mapping) else {},
        )
    return entities


def users_from_auth(user_entries: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """User id → name from `.storage/auth` `data.users` (or the WebSocket user list)."""
    users: dict[str, str] = {}
    for entry in user_entries:
        user_id = entry.get("id")
        if isinstance(user_id, str) and user_id:
            users[user_id] = _text(entry.get("name")) or user_id
    return users


def service_user_ids(service_users: Iterable[str], users: Mapping[str, str]) -> frozenset[str]:
    """Service accounts given by user id or by name, as Home Assistant user ids (hex)."""
    by_name = {name.casefold(): user_id for user_id, name in users.items()}
    found = set()
    for user in service_users:
        user_id = by_name.get(user.strip().casefold(), user)
        found.add(user_id.strip().replace("-", "").lower())
    return frozenset(found)


def unmatched_service_users(service_users: Iterable[str], users: Mapping[str, str]) -> list[str]:
    """The configured service users that name no known user, by id or by name (as written)."""
    names = {name.casefold() for name in users.values()}
    ids = {_plain_id(user_id) for user_id in users}
    return [
        wanted.strip()
        for wanted in service_users
        if wanted.strip()
        and wanted.strip().casefold() not in names
        and _plain_id(wanted) not in ids
    ]


def home_users(
    user_entries: Iterable[Mapping[str, Any]], person_entries: Iterable[Mapping[str, Any]]
) -> dict[str, HomeUser]:
    """Users in detail by id (`.storage/auth` or `config/auth/list`), each with its person.

    `person_entries` are `.storage/person` items (or any mapping with `user_id` and `name`).
    """
    persons = {
        _plain_id(str(entry["user_id"])): _text(entry.get("name")) or ""
        for entry in person_entries
        if isinstance(entry.get("user_id"), str) and entry.get("user_id")
    }
    users: dict[str, HomeUser] = {}
    for entry in user_entries:
        user_id = entry.get("id")
        if not isinstance(user_id, str) or not user_id:
            continue
        plain = _plain_id(user_id)
        users[plain] = HomeUser(
            user_id=plain,
            name=_text(entry.get("name")) or user_id,
            is_owner=entry.get("is_owner") is True,
            is_active=entry.get("is_active") is not False,
            system_generated=entry.get("system_generated") is True,
            person=persons.get(plain),
        )
    return users


def _plain_id(user_id: str) -> str:
    return user_id.strip().replace("-", "").lower()


def automation_entity_ids(entity_entries: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Automation config `id` → its `automation.*` entity id, from the entity registry."""
    return {
        str(entry["unique_id"]): str(entry["entity_id"])
        for entry in entity_entries
        if entry.get("platform") == "automation"
        and entry.get("unique_id")
        and entry.get("entity_id")
    }


def automations_from_configs(
    configs: Iterable[Mapping[str, Any]],
    entity_entries: Iterable[Mapping[str, Any]] = (),
) -> tuple[ExistingAutomation, ...]:
    """Every automation config normalised, each with its entity id (registry, else from alias)."""
    by_unique_id = automation_entity_ids(entity_entries)
    automations = []
    for config in configs:
        if not isinstance(config, Mapping):
            continue
        automation_id = config.get("id")
        entity_id = by_unique_id.get(str(automation_id)) if automation_id is not None else None
        if entity_id is None:
            alias = _text(config.get("alias")) or _text(automation_id)
            entity_id = f"automation.{slugify(alias)}" if alias else None
        automations.append(automation_from_config(dict(config), entity_id))
    return tuple(automations)


def automation_from_config(config: Mapping[str, Any], entity_id: str | None) -> ExistingAutomation:
    """One automation from `automations.yaml` (legacy, modern or mixed dialect), modern keys."""
    automation_id = config.get("id")
    # a mixed config may hold both keys: every item of both counts, each in the modern keys
    triggers_key, actions_key = TRIGGER_LIST_KEY[Dialect.MODERN], ACTION_LIST_KEY[Dialect.MODERN]
    modern = convert_dialect(
        {
            triggers_key: [_trigger(item) for item in _items(config, TRIGGER_LIST_KEY)],
            actions_key: _items(config, ACTION_LIST_KEY),
        },
        Dialect.MODERN,
    )
    triggers, actions = modern[triggers_key], modern[actions_key]
    conditions = [_condition(item) for item in _items(config, CONDITION_LIST_KEY)]
    alias = _text(config.get("alias")) or _text(automation_id) or entity_id or "Unnamed automation"
    mode = config.get("mode")
    return ExistingAutomation(
        automation_id=str(automation_id) if automation_id is not None else None,
        alias=alias,
        entity_id=entity_id,
        triggers=tuple(triggers),
        conditions=tuple(conditions),
        actions=tuple(actions),
        raw=dict(config),
        mode=mode if isinstance(mode, str) and mode else "single",
    )


def slugify(text: str) -> str:
    """Home Assistant's object id for a name: lower case ASCII, words joined by `_`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    return slug or "unknown"


def tidy_entity_name(entity_id: str) -> str:
    """A readable name made from an entity id: `light.living_room` → `Living room`."""
    object_id = entity_id.split(".", 1)[-1]
    return object_id.replace("_", " ").capitalize()


def _items(config: Mapping[str, Any], keys: Mapping[Dialect, str]) -> list[Any]:
    """The list under the modern key and the legacy key (both may be present, or a single item)."""
    found: list[Any] = []
    for key in (keys[Dialect.MODERN], keys[Dialect.LEGACY]):
        value = config.get(key)
        if value is None:
            continue
        found.extend(value if isinstance(value, list) else [value])
    return found


def _trigger(item: Any) -> Any:
    return item if isinstance(item, Mapping) else {"trigger": str(item)}


def _condition(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        # A bare template string is Home Assistant's shorthand for a template condition.
        return {"condition": "template", "value_template": item}
    return dict(item) if isinstance(item, Mapping) else {"condition": str(item)}


def _device_name(entry: Mapping[str, Any]) -> str | None:
    return _text(entry.get("name_by_user")) or _text(entry.get("name"))


def _entity_name(entry: Mapping[str, Any], device_name: str | None) -> str:
    own_name = _text(entry.get("name"))
    if own_name:
        return own_name
    original = _text(entry.get("original_name"))
    if entry.get("has_entity_name") and device_name:
        return f"{device_name} {original}" if original else device_name
    return original or ""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
