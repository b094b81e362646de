"""Checks of single values in an automation: times, durations, entity ids, services and states.

Each check follows Home Assistant's own validation (helpers/config_validation.py) for the forms
homehabits writes, and raises AutomationCheckError naming the key and what was wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from homehabits.exceptions import AutomationCheckError
from homehabits.phrasing import ALL_DAYS, day_key

__all__ = [
    "DURATION_UNITS",
    "WEEKDAY_NAMES",
    "as_list_at",
    "check_duration",
    "check_enabled",
    "check_entity_ids",
    "check_service",
    "check_state_value",
    "check_text",
    "check_time",
    "check_weekdays",
    "duration_to_seconds",
    "is_entity_id",
    "is_template",
    "parse_time_text",
]

#: Home Assistant's weekday names, Monday first (the index is datetime.weekday()).
WEEKDAY_NAMES: Final = tuple(day_key(day) for day in ALL_DAYS)  # mon … sun

#: The keys of a duration written as a mapping, e.g. {minutes: 5}.
DURATION_UNITS: Final = ("days", "hours", "minutes", "seconds", "milliseconds")

# Home Assistant's entity id rule: lowercase slugs, no leading/trailing or double underscores.
_ENTITY_ID: Final = re.compile(r"^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$")
# An entity registry id, accepted where Home Assistant takes "entity ids or uuids".
_REGISTRY_ID: Final = re.compile(r"^[\da-f]{32}$")
_TIME: Final = re.compile(r"^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$")
_TIME_ENTITY_DOMAINS: Final = frozenset({"input_datetime", "sensor", "time"})

_BOOLEAN_HINT: Final = " (YAML reads unquoted on/off/yes/no as true/false: write it in quotes)"


def is_template(value: Any) -> bool:
    """Whether a value is a Jinja template, which Home Assistant renders at run time."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def is_entity_id(value: Any) -> bool:
    """Whether a value is an entity id in Home Assistant's format, e.g. light.kitchen."""
    return isinstance(value, str) and _ENTITY_ID.match(value) is not None


def parse_time_text(value: Any) -> tuple[int, int, int] | None:
    """(hour, minute, second) of a time of day written as H:MM or HH:MM:SS, else None."""
    if not isinstance(value, str):
        return None
    match = _TIME.match(value.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    second = int(match.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second


def check_text(value: Any, path: str, key: str, *, allow_empty: bool = True) -> None:
    """A plain text value, such as an alias or a description."""
    if not isinstance(value, str):
        raise AutomationCheckError(f"{key!r} must be text, got {value!r}", path=path)
    if not allow_empty and not value.strip():
        raise AutomationCheckError(f"{key!r} must not be empty", path=path)


def check_time(value: Any, path: str, key: str) -> None:
    """A time of day ("06:45:00") or an input_datetime/sensor entity holding one."""
    if parse_time_text(value) is not None:
        return
    if is_entity_id(value) and value.split(".", 1)[0] in _TIME_ENTITY_DOMAINS:
        return
    hint = ""
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 16:45:00 as the number 60300 (base 60)
        hint = ' (write times in quotes, e.g. "16:45:00")'
    raise AutomationCheckError(
        f"{key!r} must be a time like 06:45:00, got {value!r}{hint}", path=path
    )


def check_duration(
    value: Any, path: str, key: str, *, positive: bool, allow_template: bool = False
) -> None:
    """A duration: "HH:MM:SS" (signed), seconds, or a mapping such as {minutes: 5}."""
    if allow_template and is_template(value):
        return
    seconds = _duration_seconds(value, path, key, allow_template=allow_template)
    if positive and seconds is not None and seconds < 0:
        raise AutomationCheckError(f"{key!r} must not be negative, got {value!r}", path=path)


def duration_to_seconds(value: Any) -> float | None:
    """The length of a duration in seconds (negative for a negative offset), or None if unclear."""
    try:
        return _duration_seconds(value, "", "", allow_template=False)
    except AutomationCheckError:
        return None


def _duration_seconds(value: Any, path: str, key: str, *, allow_template: bool) -> float | None:
    shape = f"{key!r} must be a duration like 00:05:00 or {{minutes: 5}}, got {value!r}"
    if isinstance(value, bool):
        raise AutomationCheckError(shape, path=path)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return _duration_text_seconds(value, shape, path)
    if isinstance(value, Mapping):
        return _duration_mapping_seconds(value, shape, path, allow_template=allow_template)
    raise AutomationCheckError(shape, path=path)


def _duration_text_seconds(value: str, shape: str, path: str) -> float:
    text = value.strip()
    sign = -1.0 if text.startswith("-") else 1.0
    body = text[1:] if text[:1] in "+-" else text
    parts = body.split(":")
    if len(parts) == 1 and parts[0].isdigit():
        return sign * int(parts[0])
    if len(parts) not in (2, 3) or not all(part.isdigit() for part in parts):
        raise AutomationCheckError(shape, path=path)
    numbers = [int(part) for part in parts] + [0]
    return sign * (numbers[0] * 3600 + numbers[1] * 60 + numbers[2])


def _duration_mapping_seconds(
    value: Mapping[str, Any], shape: str, path: str, *, allow_template: bool
) -> float | None:
    unknown = [unit for unit in value if unit not in DURATION_UNITS]
    if unknown:
        raise AutomationCheckError(
            f"{shape}; unknown unit {unknown[0]!r} (use {', '.join(DURATION_UNITS)})", path=path
        )
    if not value:
        raise AutomationCheckError(shape, path=path)
    factors = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "milliseconds": 0.001}
    total = 0.0
    for unit, amount in value.items():
        if allow_template and is_template(amount):
            return None
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise AutomationCheckError(f"{shape}; {unit!r} must be a number", path=path)
        total += amount * factors[unit]
    return total


def check_entity_ids(
    value: Any,
    path: str,
    key: str,
    *,
    allow_all: bool = False,
    allow_template: bool = False,
    allow_registry_ids: bool = False,
) -> list[str]:
    """One entity id, a comma-separated text of them, or a list; returns them as a list."""
    if allow_template and is_template(value):
        return []
    if isinstance(value, str):
        items: list[Any] = [part.strip() for part in value.split(",")]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise AutomationCheckError(
            f"{key!r} must be an entity id like light.kitchen or a list of them, got {value!r}",
            path=path,
        )
    if not items:
        raise AutomationCheckError(f"{key!r} needs at least one entity id", path=path)
    for item in items:
        if allow_all and isinstance(item, str) and item in ("all", "none"):
            continue
        if allow_template and is_template(item):
            continue
        if allow_registry_ids and isinstance(item, str) and _REGISTRY_ID.match(item):
            continue
        if not is_entity_id(item):
            raise AutomationCheckError(
                f"unknown entity id format {item!r} "
                "(expected domain.object_id in lowercase, like light.kitchen)",
                path=path,
            )
    return [str(item) for item in items]


def check_service(value: Any, path: str, key: str) -> None:
    """A service to call: lowercase domain.service such as light.turn_on (or a template)."""
    if is_template(value):
        return
    if not is_entity_id(value):
        raise AutomationCheckError(
            f"{key!r} must be a service like light.turn_on (lowercase domain.service), "
            f"got {value!r}",
            path=path,
        )


def check_state_value(value: Any, path: str, key: str, *, allow_none: bool = True) -> None:
    """A state to match: text, a list of texts, or (where allowed) null for any state."""
    if value is None and allow_none:
        return
    if isinstance(value, str):
        return
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return
    hint = _BOOLEAN_HINT if isinstance(value, bool) else ""
    raise AutomationCheckError(
        f"{key!r} must be a state in quotes like 'on', got {value!r}{hint}", path=path
    )


def check_weekdays(value: Any, path: str, key: str) -> None:
    """A weekday name or a list of them: mon, tue, wed, thu, fri, sat, sun."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if item not in WEEKDAY_NAMES:
            raise AutomationCheckError(
                f"{key!r} must be mon, tue, wed, thu, fri, sat or sun, got {item!r}", path=path
            )


def as_list_at(value: Any, path: str, *, allow_empty: bool = False) -> list[Any]:
    """A single item or a list as a list; an empty or non-list value is refused."""
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        if not value and not allow_empty:
            raise AutomationCheckError(f"{path.split('.')[-1]!r} must not be empty", path=path)
        return value
    if value is None and allow_empty:
        return []
    raise AutomationCheckError(f"{path.split('.')[-1]!r} must be a list, got {value!r}", path=path)


def check_enabled(item: Mapping[str, Any], path: str) -> None:
    """The `enabled` switch of a trigger, condition or action: true, false or a template."""
    if "enabled" in item and not (
        isinstance(item["enabled"], bool) or is_template(item["enabled"])
    ):
        raise AutomationCheckError(
            f"'enabled' must be true or false, got {item['enabled']!r}", path=f"{path}.enabled"
        )
