"""The two automation dialects Home Assistant speaks, choosing one and converting between them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from homehabits.config import Dialect, DialectSetting

__all__ = [
    "ACTION_LIST_KEY",
    "CONDITION_LIST_KEY",
    "MODERN_SINCE",
    "SERVICE_KEY",
    "TRIGGER_KEY",
    "TRIGGER_LIST_KEY",
    "choose_dialect",
    "convert_dialect",
    "parse_version",
]

#: The first Home Assistant release that understands triggers/conditions/actions.
MODERN_SINCE: Final = (2024, 10)

#: Top-level list keys per dialect.
TRIGGER_LIST_KEY: Final = {Dialect.MODERN: "triggers", Dialect.LEGACY: "trigger"}
CONDITION_LIST_KEY: Final = {Dialect.MODERN: "conditions", Dialect.LEGACY: "condition"}
ACTION_LIST_KEY: Final = {Dialect.MODERN: "actions", Dialect.LEGACY: "action"}
#: The key naming a trigger's platform, and a service call's service, per dialect.
TRIGGER_KEY: Final = {Dialect.MODERN: "trigger", Dialect.LEGACY: "platform"}
SERVICE_KEY: Final = {Dialect.MODERN: "action", Dialect.LEGACY: "service"}

_VERSION: Final = re.compile(r"^\s*(\d+)\.(\d+)")

# Keys of an action that hold a nested sequence of actions.
_NESTED_SEQUENCES: Final = ("sequence", "then", "else", "default", "parallel")


def parse_version(ha_version: str | None) -> tuple[int, int] | None:
    """The (year, month) of a Home Assistant version such as 2024.10.3 or 2025.1.0b2."""
    if not ha_version:
        return None
    match = _VERSION.match(ha_version)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def choose_dialect(setting: DialectSetting, ha_version: str | None) -> Dialect:
    """The dialect to write: forced by the setting, else from the Home Assistant version.

    An unknown version gets the legacy dialect, because every Home Assistant accepts it.
    """
    if setting is DialectSetting.MODERN:
        return Dialect.MODERN
    if setting is DialectSetting.LEGACY:
        return Dialect.LEGACY
    version = parse_version(ha_version)
    if version is not None and version >= MODERN_SINCE:
        return Dialect.MODERN
    return Dialect.LEGACY


def convert_dialect(config: Mapping[str, Any], dialect: Dialect) -> dict[str, Any]:
    """The same automation in the other dialect's keys; key order and every value are kept."""
    source = Dialect.LEGACY if dialect is Dialect.MODERN else Dialect.MODERN
    renames = {
        TRIGGER_LIST_KEY[source]: TRIGGER_LIST_KEY[dialect],
        CONDITION_LIST_KEY[source]: CONDITION_LIST_KEY[dialect],
        ACTION_LIST_KEY[source]: ACTION_LIST_KEY[dialect],
    }
    converted: dict[str, Any] = {}
    for key, value in config.items():
        new_key = renames.get(key, key)
        if new_key == TRIGGER_LIST_KEY[dialect]:
            converted[new_key] = _convert_triggers(value, source, dialect)
        elif new_key == ACTION_LIST_KEY[dialect]:
            converted[new_key] = _convert_actions(value, source, dialect)
        else:
            converted[new_key] = _copy(value)
    return converted


def _convert_triggers(value: Any, source: Dialect, dialect: Dialect) -> Any:
    if isinstance(value, Mapping):
        return _convert_trigger(value, source, dialect)
    if isinstance(value, list | tuple):
        return [_convert_trigger(item, source, dialect) for item in value]
    return _copy(value)


def _convert_trigger(trigger: Any, source: Dialect, dialect: Dialect) -> Any:
    if not isinstance(trigger, Mapping):
        return _copy(trigger)
    old, new = TRIGGER_KEY[source], TRIGGER_KEY[dialect]
    # A trigger that already carries both keys is left alone: the checker reports it.
    if new in trigger:
        return _copy(trigger)
    return {(new if key == old else key): _copy(value) for key, value in trigger.items()}


def _convert_actions(value: Any, source: Dialect, dialect: Dialect) -> Any:
    if isinstance(value, Mapping):
        return _convert_action(value, source, dialect)
    if isinstance(value, list | tuple):
        return [_convert_action(item, source, dialect) for item in value]
    return _copy(value)


def _convert_action(action: Any, source: Dialect, dialect: Dialect) -> Any:
    if not isinstance(action, Mapping):
        return _copy(action)
    old, new = SERVICE_KEY[source], SERVICE_KEY[dialect]
    is_service_call = isinstance(action.get(old), str) and new not in action
    converted: dict[str, Any] = {}
    for key, value in action.items():
        if is_service_call and key == old:
            converted[new] = value
        elif key in _NESTED_SEQUENCES:
            converted[key] = _convert_actions(value, source, dialect)
        elif key == "choose":
            converted[key] = _convert_choices(value, source, dialect)
        elif key == "repeat" and isinstance(value, Mapping):
            converted[key] = {
                inner: (
                    _convert_actions(part, source, dialect) if inner == "sequence" else _copy(part)
                )
                for inner, part in value.items()
            }
        elif key == "wait_for_trigger":
            converted[key] = _convert_triggers(value, source, dialect)
        else:
            converted[key] = _copy(value)
    return converted


def _convert_choices(value: Any, source: Dialect, dialect: Dialect) -> Any:
    choices = [value] if isinstance(value, Mapping) else value
    if not isinstance(choices, list | tuple):
        return _copy(value)
    return [
        {
            key: (_convert_actions(part, source, dialect) if key == "sequence" else _copy(part))
            for key, part in choice.items()
        }
        if isinstance(choice, Mapping)
        else _copy(choice)
        for choice in choices
    ]


def _copy(value: Any) -> Any:
    """A deep copy of plain YAML data as dicts and lists (tuples from the context become lists)."""
    if isinstance(value, Mapping):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(item) for item in value]
    return value
