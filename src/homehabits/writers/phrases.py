"""Plain-language phrases for actions, triggers, days, times and durations, as an owner says them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from homehabits import phrasing
from homehabits.context import HomeContext
from homehabits.domains import DOMAINS, Phrase, phrase_for
from homehabits.phrasing import ALL_DAYS, DAY_NAMES, WEEKDAYS, WEEKENDS

__all__ = [
    "Action",
    "action_for",
    "attributes_phrase",
    "capitalise",
    "clock",
    "day_count",
    "days_noun",
    "days_phrase",
    "duration",
    "last_seen",
    "spread",
    "sun_offset",
    "trigger_condition",
    "trigger_event",
]

_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_OPENING_CLASSES = frozenset({"door", "window", "garage_door", "opening", "garage"})
_MOTION_CLASSES = frozenset({"motion", "occupancy", "presence"})


#: What is done to an entity (the domain table's words); the writers' name for it.
Action = Phrase


def action_for(domain: str, state: str) -> Action:
    """The action that puts an entity of `domain` into `state`."""
    return phrase_for(domain, state)


def _device_class(context: HomeContext, entity_id: str) -> str | None:
    entity = context.entities.get(entity_id)
    return entity.device_class if entity else None


def trigger_event(context: HomeContext, entity_id: str, state: str | None, *, past: bool) -> str:
    """'the Front door opens' (or, past, 'the Front door opened')."""
    name = context.friendly_name(entity_id)
    domain = entity_id.split(".", 1)[0]
    device_class = _device_class(context, entity_id)
    if domain == "binary_sensor" and device_class in _MOTION_CLASSES:
        if state == "off":
            return f"the {name} {'stopped' if past else 'stops'} detecting motion"
        return f"the {name} {'detected' if past else 'detects'} motion"
    opens = domain in DOMAINS and DOMAINS[domain].on_state == "open"  # a cover, a valve
    if (domain == "binary_sensor" and device_class in _OPENING_CLASSES) or opens:
        if state in ("on", "open", "opening"):
            return f"the {name} {'opened' if past else 'opens'}"
        if state in ("off", "closed", "closing"):
            return f"the {name} {'closed' if past else 'closes'}"
    if domain in ("person", "device_tracker"):
        if state == "home":
            return f"{name} {'arrived' if past else 'arrives'} home"
        if state == "not_home":
            return f"{name} {'left' if past else 'leaves'} home"
    if state in ("on", "off"):
        return f"the {name} {'turned' if past else 'turns'} {state}"
    if state is None:
        return f"the {name} {'changed' if past else 'changes'}"
    readable = state.replace("_", " ")
    return f"the {name} {'changed' if past else 'changes'} to {readable}"


def trigger_condition(context: HomeContext, entity_id: str, state: str | None) -> str:
    """'the Hall motion has shown no motion', for a sensor that stays quiet."""
    name = context.friendly_name(entity_id)
    if _device_class(context, entity_id) in _MOTION_CLASSES:
        return f"the {name} has shown no motion"
    readable = (state or "unchanged").replace("_", " ")
    return f"the {name} has been {readable}"


def clock(moment: time) -> str:
    """24-hour clock time, as '06:45'."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def spread(minutes: float | None) -> str:
    """' (± 8 min)', or nothing when the spread is unknown."""
    if minutes is None:
        return ""
    return f" (± {max(1, round(minutes))} min)"


def duration(seconds: float) -> str:
    """'20 seconds', '15 minutes', '1 hour 30 minutes'."""
    # up to 89 minutes reads better in minutes in a sentence ("75 minutes after sunset")
    return phrasing.duration(seconds, spelled_out=True, hours_from_minutes=90)


def sun_offset(event: str | None, offset_minutes: int | None) -> str:
    """'15 minutes after sunset', 'at sunrise'."""
    name = event or "sunset"
    minutes = offset_minutes or 0
    if minutes == 0:
        return f"at {name}"
    side = "after" if minutes > 0 else "before"
    return f"{duration(abs(minutes) * 60)} {side} {name}"


def days_phrase(weekdays: tuple[int, ...]) -> str:
    """'every day', 'on weekdays', 'at weekends', 'on Tuesdays and Thursdays'."""
    return phrasing.days_phrase(weekdays)


def days_noun(weekdays: tuple[int, ...]) -> str:
    """What the days are called when counted: 'days', 'weekdays', 'weekend days', 'Mondays'."""
    days = tuple(sorted(set(weekdays)))
    if days == ALL_DAYS or not days:
        return "days"
    if days == WEEKDAYS:
        return "weekdays"
    if days == WEEKENDS:
        return "weekend days"
    return phrasing.day_list(days)


def day_count(observed: int, possible: int, weekdays: tuple[int, ...]) -> str:
    """'on 21 of the last 23 weekdays' (or 'on 8 weekend days' when the total is unknown)."""
    noun = days_noun(weekdays)
    if possible > 0:
        return f"on {observed} of the last {possible} {noun}"
    return f"on {observed} {noun}"


def attributes_phrase(attributes: Mapping[str, Any]) -> str:
    """' at 50 % brightness', ' to 21 °C' — the settings the action applies, if any."""
    parts: list[str] = []
    if "brightness_pct" in attributes:
        parts.append(f"at {round(float(attributes['brightness_pct']))} % brightness")
    elif "brightness" in attributes:
        parts.append(f"at {round(float(attributes['brightness']) / 255 * 100)} % brightness")
    if "temperature" in attributes:
        parts.append(f"to {float(attributes['temperature']):g} °C")
    if "position" in attributes:
        parts.append(f"to {round(float(attributes['position']))} % open")
    return "".join(f" {part}" for part in parts)


def last_seen(moments: tuple[datetime, ...], zone: ZoneInfo) -> str:
    """' Last time: Monday 23 November at 06:41.' in the home's time zone, or nothing."""
    aware = [moment for moment in moments if moment.tzinfo is not None]
    if not aware:
        return ""
    local = max(aware).astimezone(zone)
    day = f"{DAY_NAMES[local.weekday()]} {local.day} {_MONTH_NAMES[local.month - 1]}"
    return f" Last time: {day} at {local.hour:02d}:{local.minute:02d}."


def capitalise(text: str) -> str:
    """The text with its first letter upper-case and the rest untouched."""
    return text[:1].upper() + text[1:]
