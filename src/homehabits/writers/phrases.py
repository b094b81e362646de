"""Plain-language phrases for actions, triggers, days, times and durations, as an owner says them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from homehabits import phrasing
from homehabits.context import HomeContext
from homehabits.domains import DOMAINS, Phrase, phrase_for
from homehabits.patterns.habit import HabitKind, Pattern
from homehabits.phrasing import ALL_DAYS, DAY_NAMES, WEEKDAYS, WEEKENDS

__all__ = [
    "Action",
    "action_for",
    "attributes_phrase",
    "capitalise",
    "clock",
    "clock_band",
    "counted_band",
    "counted_within",
    "day_count",
    "days_noun",
    "days_phrase",
    "duration",
    "duration_band",
    "last_seen",
    "spread",
    "sun_band",
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


def clock_band(moments: Sequence[datetime], zone: ZoneInfo, centre: time) -> str | None:
    """'between 06:38 and 06:54': the local clock times every counted action fell between.

    Read around the habit's time, so that a band across midnight (23:50–00:10) stays one band;
    the ends are widened to whole minutes, so every action lies inside the words.
    """
    aware = [moment.astimezone(zone) for moment in moments if moment.tzinfo is not None]
    if not aware:
        return None
    middle = centre.hour * 60 + centre.minute
    offsets = [
        (m.hour * 60 + m.minute + m.second / 60 + m.microsecond / 6e7 - middle + 720) % 1440 - 720
        for m in aware
    ]
    first = math.floor(min(offsets) + middle) % 1440
    last = math.ceil(max(offsets) + middle) % 1440
    if first == last:
        return f"at {first // 60:02d}:{first % 60:02d}"
    return f"between {first // 60:02d}:{first % 60:02d} and {last // 60:02d}:{last % 60:02d}"


def sun_band(offsets_seconds: Sequence[float], event: str | None) -> str | None:
    """'between 10 and 22 minutes after sunset': the offsets every counted action fell between."""
    if not offsets_seconds:
        return None
    name = event or "sunset"
    first = math.floor(min(offsets_seconds) / 60)
    last = math.ceil(max(offsets_seconds) / 60)
    if first >= 0:
        if first == last:
            return sun_offset(name, first)
        return f"between {_minutes(first)} and {duration(last * 60)} after {name}"
    if last <= 0:
        if first == last:
            return sun_offset(name, first)
        return f"between {_minutes(-last)} and {duration(-first * 60)} before {name}"
    return f"between {duration(-first * 60)} before and {duration(last * 60)} after {name}"


def _minutes(count: int) -> str:
    # the first end of a band reads as a bare number: "between 10 and 22 minutes"
    return str(count) if count < 90 else duration(count * 60)


def duration_band(lags_seconds: Sequence[float]) -> str | None:
    """'between 13 and 17 minutes': the durations (or lags) every counted action fell between."""
    if not lags_seconds:
        return None
    low, high = min(lags_seconds), max(lags_seconds)
    if high < 90:
        first, last = math.floor(low), math.ceil(high)
        unit, scale = "seconds", 1
    else:
        first, last = math.floor(low / 60), math.ceil(high / 60)
        unit, scale = "minutes", 60
    if first == last:
        return duration(first * scale)
    if unit == "minutes" and last >= 90:
        return f"between {duration(first * 60)} and {duration(last * 60)}"
    return f"between {first} and {last} {unit}"


def counted_within(lags_seconds: Sequence[float]) -> str | None:
    """'within 4 minutes': the longest lag among the counted actions, rounded up."""
    if not lags_seconds:
        return None
    longest = max(lags_seconds)
    seconds = math.ceil(longest) if longest < 90 else math.ceil(longest / 60) * 60
    return f"within {duration(seconds)}"


def counted_band(pattern: Pattern, zone: ZoneInfo) -> str | None:
    """The band the habit's counted actions fell in, as the rationale says it (None: unknown)."""
    if pattern.kind is HabitKind.TIME_OF_DAY and pattern.time_of_day is not None:
        return clock_band(pattern.evidence_times, zone, pattern.time_of_day)
    if pattern.kind is HabitKind.SUN:
        return sun_band(pattern.evidence_lags, pattern.sun_event)
    if pattern.kind is HabitKind.AUTO_OFF:
        return duration_band(pattern.evidence_lags)
    return counted_within(pattern.evidence_lags)


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
