"""Plain-language phrases for actions, triggers, days, times and durations, as an owner says them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from homehabits.context import HomeContext
from homehabits.patterns.habit import ALL_DAYS, WEEKDAYS, WEEKENDS

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

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
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


@dataclass(frozen=True, slots=True)
class Action:
    """What is done to an entity, in the three forms the words need."""

    verb: str  # "Turns on", "Sets", "Opens"
    past: str  # "turned on", "set", "opened"
    suffix: str  # what follows the name: "" or " to heat"
    state_word: str  # for titles: "on", "closed", "to heat"
    undo_past: str  # the opposite, for "after it was turned on"

    def does(self, name: str) -> str:
        """'Turns on the Kitchen light'."""
        return f"{self.verb} the {name}{self.suffix}"

    def did(self, name: str) -> str:
        """'turned on the Kitchen light'."""
        return f"{self.past} the {name}{self.suffix}"

    def was_done(self, name: str) -> str:
        """'Kitchen light turned on'."""
        return f"{name} {self.past}{self.suffix}"


_ON_OFF = {
    "on": Action("Turns on", "turned on", "", "on", "turned off"),
    "off": Action("Turns off", "turned off", "", "off", "turned on"),
}
_BY_DOMAIN: dict[str, dict[str, Action]] = {
    "cover": {
        "open": Action("Opens", "opened", "", "open", "closed"),
        "closed": Action("Closes", "closed", "", "closed", "opened"),
    },
    "lock": {
        "locked": Action("Locks", "locked", "", "locked", "unlocked"),
        "unlocked": Action("Unlocks", "unlocked", "", "unlocked", "locked"),
    },
    "media_player": {
        "playing": Action("Starts playing on", "started playing on", "", "playing", "stopped"),
        "paused": Action("Pauses", "paused", "", "paused", "started"),
        "off": Action("Turns off", "turned off", "", "off", "turned on"),
        "on": Action("Turns on", "turned on", "", "on", "turned off"),
        "idle": Action("Stops", "stopped", "", "stopped", "started"),
    },
    "vacuum": {
        "cleaning": Action("Starts", "started", "", "cleaning", "docked"),
        "docked": Action("Sends home", "sent home", "", "docked", "started"),
        "returning": Action("Sends home", "sent home", "", "docked", "started"),
    },
    "alarm_control_panel": {
        "disarmed": Action("Disarms", "disarmed", "", "disarmed", "armed"),
    },
}


def action_for(domain: str, state: str) -> Action:
    """The action that puts an entity of `domain` into `state`."""
    known = _BY_DOMAIN.get(domain, {}).get(state)
    if known is not None:
        return known
    if domain == "alarm_control_panel" and state.startswith("armed_"):
        how = state.removeprefix("armed_").replace("_", " ")
        return Action("Arms", "armed", f" ({how})", f"armed ({how})", "disarmed")
    if domain == "climate" and state != "off":
        mode = state.replace("_", "/")
        return Action("Sets", "set", f" to {mode}", f"to {mode}", "turned off")
    if state in _ON_OFF:
        return _ON_OFF[state]
    readable = state.replace("_", " ")
    return Action("Sets", "set", f" to {readable}", f"to {readable}", "changed back")


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
    if (domain == "binary_sensor" and device_class in _OPENING_CLASSES) or domain == "cover":
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


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def duration(seconds: float) -> str:
    """'20 seconds', '15 minutes', '1 hour 30 minutes'."""
    if round(seconds) < 60:
        return _plural(max(1, round(seconds)), "second")
    minutes = round(seconds / 60)
    if minutes < 90:
        return _plural(minutes, "minute")
    hours, rest = divmod(minutes, 60)
    return _plural(hours, "hour") + (f" {_plural(rest, 'minute')}" if rest else "")


def sun_offset(event: str | None, offset_minutes: int | None) -> str:
    """'15 minutes after sunset', 'at sunrise'."""
    name = event or "sunset"
    minutes = offset_minutes or 0
    if minutes == 0:
        return f"at {name}"
    side = "after" if minutes > 0 else "before"
    return f"{duration(abs(minutes) * 60)} {side} {name}"


def _day_list(weekdays: tuple[int, ...]) -> str:
    names = [_DAY_NAMES[day] + "s" for day in sorted(set(weekdays))]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def days_phrase(weekdays: tuple[int, ...]) -> str:
    """'every day', 'on weekdays', 'at weekends', 'on Tuesdays and Thursdays'."""
    days = tuple(sorted(set(weekdays)))
    if days == ALL_DAYS or not days:
        return "every day"
    if days == WEEKDAYS:
        return "on weekdays"
    if days == WEEKENDS:
        return "at weekends"
    return f"on {_day_list(days)}"


def days_noun(weekdays: tuple[int, ...]) -> str:
    """What the days are called when counted: 'days', 'weekdays', 'weekend days', 'Mondays'."""
    days = tuple(sorted(set(weekdays)))
    if days == ALL_DAYS or not days:
        return "days"
    if days == WEEKDAYS:
        return "weekdays"
    if days == WEEKENDS:
        return "weekend days"
    return _day_list(days)


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
    day = f"{_DAY_NAMES[local.weekday()]} {local.day} {_MONTH_NAMES[local.month - 1]}"
    return f" Last time: {day} at {local.hour:02d}:{local.minute:02d}."


def capitalise(text: str) -> str:
    """The text with its first letter upper-case and the rest untouched."""
    return text[:1].upper() + text[1:]
