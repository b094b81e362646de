"""The short words an automation carries: alias, description and category, from friendly names."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import time
from typing import Any, Final

from homehabits import phrasing
from homehabits.context import HomeContext
from homehabits.domains import CATEGORIES, DOMAINS, Setting, phrase_for
from homehabits.patterns.habit import HabitKind, Pattern
from homehabits.safety import is_garage

__all__ = [
    "CATEGORIES",
    "alias_for",
    "auto_off_seconds",
    "category_for",
    "clean_text",
    "clock_text",
    "days_phrase",
    "description_for",
    "duration_phrase",
    "rounded_time",
    "state_phrase",
]

_MAX_NAME: Final = 60
_PREFIX: Final = "Suggested by homehabits: "


def clean_text(text: str, *, limit: int = _MAX_NAME) -> str:
    """A name fit for one line: control characters dropped, spaces collapsed, length capped."""
    visible = "".join(
        " " if unicodedata.category(char).startswith(("C", "Z")) else char for char in text
    )
    single = " ".join(visible.split())
    return single if len(single) <= limit else single[: limit - 1].rstrip() + "…"


def rounded_time(moment: time) -> time:
    """A time of day rounded to the nearest minute (23:59:40 becomes 00:00)."""
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6
    minutes = round(seconds / 60) % 1440
    return time(minutes // 60, minutes % 60)


def clock_text(moment: time) -> str:
    """A time of day as HH:MM, rounded to the nearest minute."""
    rounded = rounded_time(moment)
    return f"{rounded.hour:02d}:{rounded.minute:02d}"


def days_phrase(weekdays: tuple[int, ...]) -> str:
    """'' for every day, ' on weekdays', ' at weekends', or e.g. ' on Tue and Thu'."""
    days = phrasing.days_phrase(weekdays, short=True, every_day="")
    return f" {days}" if days else ""


def duration_phrase(seconds: float) -> str:
    """A duration as the owner would say it: 45 s, 15 min, 1 h 30 min."""
    return phrasing.duration(seconds)


def _worded_settings(entity_id: str, state: str) -> list[Setting]:
    """The settings of the entity's domain that an alias puts in words (position, temperature)."""
    domain = DOMAINS.get(entity_id.split(".", 1)[0])
    settings = domain.settings if domain is not None else ()
    return [s for s in settings if s.words and (s.states is None or state in s.states)]


def state_phrase(entity_id: str, state: str, attributes: Mapping[str, Any] | None = None) -> str:
    """What a habit does to an entity, in a few words: on, off, to 21 °C, open, playing."""
    attributes = attributes or {}
    for setting in _worded_settings(entity_id, state):
        if setting.attribute in attributes and setting.words:
            return setting.words.format(attributes[setting.attribute])
    phrase = phrase_for(entity_id.split(".", 1)[0], state)
    return phrase.alias or state.replace("_", " ")


def _name(context: HomeContext, entity_id: str) -> str:
    """The owner's name for an entity on one line; a tidy entity id when the name is blank."""
    cleaned = clean_text(context.friendly_name(entity_id))
    if cleaned:
        return cleaned
    return entity_id.split(".", 1)[-1].replace("_", " ").capitalize()


def _names(context: HomeContext, pattern: Pattern) -> str:
    """The target's name, or a group's names: 'Sofa lamp, Shelf lights and Corner lamp'."""
    names = [_name(context, entity_id) for entity_id in pattern.targets]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _trigger_phrase(context: HomeContext, entity_id: str, state: str) -> str:
    entity = context.entities.get(entity_id)
    device_class = entity.device_class if entity else None
    if entity_id.startswith("binary_sensor.") and device_class in ("door", "window", "garage_door"):
        return "opens" if state == "on" else "closes"
    if entity_id.startswith("binary_sensor.") and device_class in ("motion", "occupancy"):
        return "detects motion" if state == "on" else "stops detecting motion"
    if state in ("on", "off"):
        return f"turns {state}"
    return f"becomes {state.replace('_', ' ')}"


def _sun_phrase(pattern: Pattern) -> str:
    event = pattern.sun_event or "sunset"
    offset = pattern.sun_offset_minutes or 0
    if offset == 0:
        return f"at {event}"
    side = "after" if offset > 0 else "before"
    return f"{duration_phrase(abs(offset) * 60)} {side} {event}"


def alias_for(pattern: Pattern, context: HomeContext) -> str:
    """A short alias such as 'Kitchen light on at 06:45 on weekdays'."""
    name = _names(context, pattern)
    attributes = dict(pattern.action_attributes)
    doing = state_phrase(pattern.target_entity, pattern.target_state, attributes)
    days = days_phrase(pattern.weekdays)
    kind = pattern.kind
    if kind is HabitKind.TIME_OF_DAY and pattern.time_of_day is not None:
        text = f"{name} {doing} at {clock_text(pattern.time_of_day)}{days}"
    elif kind is HabitKind.SUN:
        text = f"{name} {doing} {_sun_phrase(pattern)}{days}"
    elif kind is HabitKind.SEQUENCE and pattern.trigger_entity:
        trigger_name = _name(context, pattern.trigger_entity)
        when = _trigger_phrase(context, pattern.trigger_entity, pattern.trigger_state or "on")
        text = f"{name} {doing} when {trigger_name} {when}"
    elif kind is HabitKind.AUTO_OFF:
        minutes = duration_phrase(auto_off_seconds(pattern))
        motion = pattern.trigger_entity not in (None, pattern.target_entity)
        text = f"{name} {doing} after {minutes}" + (" without motion" if motion else "")
    elif kind is HabitKind.PRESENCE:
        text = f"{name} {doing} when everyone leaves"
    else:
        text = f"{name} {doing}"
    return text[:1].upper() + text[1:]


def description_for(pattern: Pattern, context: HomeContext) -> str:
    """One sentence saying what homehabits saw, starting 'Suggested by homehabits: '."""
    name = _names(context, pattern)
    done = f"{name} {'were' if pattern.group_members else 'was'} {_done_phrase(pattern)} by hand"
    days = days_phrase(pattern.weekdays)
    kind = pattern.kind
    if kind is HabitKind.TIME_OF_DAY and pattern.time_of_day is not None:
        seen = f"{done} at about {clock_text(pattern.time_of_day)}{days}"
    elif kind is HabitKind.SUN:
        seen = f"{done} {_sun_phrase(pattern)}{days}"
    elif kind is HabitKind.SEQUENCE and pattern.trigger_entity:
        trigger_name = _name(context, pattern.trigger_entity)
        when = _trigger_phrase(context, pattern.trigger_entity, pattern.trigger_state or "on")
        seen = f"{done} soon after {trigger_name} {when}"
    elif kind is HabitKind.AUTO_OFF:
        after = duration_phrase(auto_off_seconds(pattern))
        if pattern.trigger_entity not in (None, pattern.target_entity):
            sensor = _name(context, str(pattern.trigger_entity))
            seen = f"{done} about {after} after {sensor} stopped detecting motion"
        else:
            seen = f"{done} after it had been on for about {after}"
    elif kind is HabitKind.PRESENCE:
        seen = f"{done} after everyone had left"
    else:
        seen = done
    evidence = ""
    if pattern.days_possible > 0 and pattern.days_observed > 0:
        evidence = f" on {pattern.days_observed} of {pattern.days_possible} days"
    elif pattern.occurrences > 0:
        evidence = f" {pattern.occurrences} times"
    return f"{_PREFIX}{seen}{evidence}."


def _done_phrase(pattern: Pattern) -> str:
    state, attributes = pattern.target_state, dict(pattern.action_attributes)
    done = phrase_for(pattern.target_entity.split(".", 1)[0], state).done
    # "set to 40 %" says more than "opened" when the action carries a setting
    if done and not (attributes and _worded_settings(pattern.target_entity, state)):
        return done
    return "set " + state_phrase(pattern.target_entity, state, attributes)


def category_for(pattern: Pattern, context: HomeContext) -> str:
    """lighting, climate, covers, media, security, energy or convenience."""
    domain = DOMAINS.get(pattern.target_entity.split(".", 1)[0])
    if is_garage(pattern.target_entity, context, by_name=False) or (
        domain is not None and domain.category == "security"
    ):
        return "security"
    if pattern.kind in (HabitKind.PRESENCE, HabitKind.AUTO_OFF):
        return "energy"
    return domain.category if domain is not None else "convenience"


def auto_off_seconds(pattern: Pattern) -> float:
    """How long before switching off: the no-motion time for the motion variant, else the on time."""
    motion = pattern.trigger_entity not in (None, pattern.target_entity)
    seconds = (pattern.lag_seconds if motion else None) or pattern.duration_seconds
    return float(seconds or pattern.lag_seconds or 0.0)
