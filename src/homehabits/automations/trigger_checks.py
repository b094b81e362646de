"""Checks of triggers: time, sun and state in full, other types by their shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homehabits.automations.dialects import TRIGGER_KEY
from homehabits.automations.fields import (
    check_duration,
    check_enabled,
    check_entity_ids,
    check_state_value,
    check_text,
    check_time,
)
from homehabits.config import Dialect
from homehabits.exceptions import AutomationCheckError

__all__ = ["check_trigger"]

_TRIGGER_COMMON_KEYS: Final = frozenset({"id", "alias", "enabled", "variables"})
_TRIGGER_KEYS: Final = {
    "time": frozenset({"at"}),
    "sun": frozenset({"event", "offset"}),
    "state": frozenset({"entity_id", "from", "to", "not_from", "not_to", "for", "attribute"}),
}


def check_trigger(trigger: Any, path: str, index: int, dialect: Dialect | None) -> None:
    """Refuse a trigger Home Assistant would refuse; `index` is its place in the list."""
    if not isinstance(trigger, Mapping):
        raise AutomationCheckError(f"a trigger must be a mapping, got {trigger!r}", path=path)
    if "platform" in trigger and "trigger" in trigger:
        raise AutomationCheckError(
            f"trigger {index} mixes 'platform' and 'trigger'; use only one", path=path
        )
    if dialect is Dialect.LEGACY and "trigger" in trigger:
        raise AutomationCheckError(
            "extra keys not allowed: 'trigger' (Home Assistant before 2024.10 names the "
            "trigger type 'platform')",
            path=f"{path}.trigger",
        )
    if dialect is Dialect.MODERN and "platform" in trigger:
        raise AutomationCheckError(
            "'platform' is a legacy key; the modern dialect names the trigger type 'trigger'",
            path=f"{path}.platform",
        )
    type_key = TRIGGER_KEY[Dialect.LEGACY] if "platform" in trigger else TRIGGER_KEY[Dialect.MODERN]
    if type_key not in trigger:
        wanted = TRIGGER_KEY[dialect or Dialect.MODERN]
        raise AutomationCheckError(f"a trigger needs {wanted!r}, e.g. {wanted}: time", path=path)
    platform = trigger[type_key]
    if not isinstance(platform, str) or not platform:
        raise AutomationCheckError(
            f"{type_key!r} must name a trigger type such as time, got {platform!r}",
            path=f"{path}.{type_key}",
        )
    _check_trigger_common(trigger, path)
    known = _TRIGGER_KEYS.get(platform)
    if known is None:
        return
    for key in trigger:
        if key not in known and key not in _TRIGGER_COMMON_KEYS and key != type_key:
            raise AutomationCheckError(
                f"extra keys not allowed: {key!r} (a {platform} trigger has "
                f"{', '.join(sorted(known))})",
                path=f"{path}.{key}",
            )
    if platform == "time":
        _check_time_trigger(trigger, path)
    elif platform == "sun":
        _check_sun_trigger(trigger, path)
    else:
        _check_state_trigger(trigger, path)


def _check_trigger_common(trigger: Mapping[str, Any], path: str) -> None:
    if "id" in trigger:
        check_text(trigger["id"], f"{path}.id", "id")
    if "alias" in trigger:
        check_text(trigger["alias"], f"{path}.alias", "alias")
    check_enabled(trigger, path)


def _check_time_trigger(trigger: Mapping[str, Any], path: str) -> None:
    if "at" not in trigger:
        raise AutomationCheckError("a time trigger needs 'at'", path=path)
    value = trigger["at"]
    items = value if isinstance(value, list) else [value]
    if not items:
        raise AutomationCheckError("'at' needs at least one time", path=f"{path}.at")
    for position, item in enumerate(items):
        where = f"{path}.at[{position}]" if isinstance(value, list) else f"{path}.at"
        if isinstance(item, Mapping):
            check_entity_ids(item.get("entity_id"), where, "entity_id")
            if "offset" in item:
                check_duration(item["offset"], where, "offset", positive=False)
        else:
            check_time(item, where, "at")


def _check_sun_trigger(trigger: Mapping[str, Any], path: str) -> None:
    event = trigger.get("event")
    if not isinstance(event, str) or event.lower() not in ("sunset", "sunrise"):
        raise AutomationCheckError(
            f"'event' must be sunset or sunrise, got {event!r}", path=f"{path}.event"
        )
    if "offset" in trigger:
        check_duration(trigger["offset"], f"{path}.offset", "offset", positive=False)


def _check_state_trigger(trigger: Mapping[str, Any], path: str) -> None:
    if "entity_id" not in trigger:
        raise AutomationCheckError("a state trigger needs 'entity_id'", path=path)
    check_entity_ids(
        trigger["entity_id"], f"{path}.entity_id", "entity_id", allow_registry_ids=True
    )
    for key in ("from", "to", "not_from", "not_to"):
        if key in trigger:
            check_state_value(trigger[key], f"{path}.{key}", key)
    for plain, negated in (("from", "not_from"), ("to", "not_to")):
        if plain in trigger and negated in trigger:
            raise AutomationCheckError(
                f"cannot have both {plain!r} and {negated!r}", path=f"{path}.{negated}"
            )
    if "for" in trigger:
        check_duration(trigger["for"], f"{path}.for", "for", positive=True, allow_template=True)
    if "attribute" in trigger:
        check_text(trigger["attribute"], f"{path}.attribute", "attribute")
