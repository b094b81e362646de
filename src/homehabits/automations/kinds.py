"""Triggers, conditions and actions for each kind of habit, written in the modern dialect."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homehabits.automations.fields import WEEKDAY_NAMES
from homehabits.automations.naming import auto_off_seconds, clean_text, rounded_time
from homehabits.automations.services import ServiceCall, action_item, service_call_for
from homehabits.config import Dialect
from homehabits.context import HomeContext
from homehabits.domains import DOMAINS
from homehabits.exceptions import AutomationError
from homehabits.patterns.habit import ALL_DAYS, HabitKind, Pattern

__all__ = ["HabitParts", "habit_parts", "target_call", "target_calls", "weekday_condition"]


@dataclass(frozen=True, slots=True)
class HabitParts:
    """What an automation for a habit is made of, in the modern dialect's keys."""

    triggers: list[dict[str, Any]]
    conditions: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    mode: str = "single"


def target_call(pattern: Pattern, context: HomeContext) -> ServiceCall:
    """The service call that does what the person did by hand."""
    entity = context.entities.get(pattern.target_entity)
    return service_call_for(
        pattern.target_entity,
        pattern.target_state,
        dict(pattern.action_attributes),
        device_class=entity.device_class if entity else None,
        name=clean_text(context.friendly_name(pattern.target_entity)) or None,
    )


def target_calls(pattern: Pattern, context: HomeContext) -> list[ServiceCall]:
    """Every call the habit's action makes: the target's, each group member's, then settings
    a state's service cannot carry (a media player's volume)."""
    calls: list[ServiceCall] = []
    for entity_id, attributes in _member_settings(pattern):
        entity = context.entities.get(entity_id)
        call = service_call_for(
            entity_id,
            pattern.target_state,
            attributes,
            device_class=entity.device_class if entity else None,
            name=clean_text(context.friendly_name(entity_id)) or None,
        )
        calls.append(call)
        domain = DOMAINS.get(entity_id.split(".", 1)[0])
        further = domain.further_calls(pattern.target_state, attributes) if domain else []
        domain_name = entity_id.split(".", 1)[0]
        calls += [ServiceCall(f"{domain_name}.{name}", entity_id, data) for name, data in further]
    return calls


def _member_settings(pattern: Pattern) -> list[tuple[str, dict[str, Any]]]:
    return [
        (pattern.target_entity, dict(pattern.action_attributes)),
        *((m.entity_id, dict(m.action_attributes)) for m in pattern.group_members),
    ]


def _action_items(calls: list[ServiceCall]) -> list[dict[str, Any]]:
    """One action per service and data: a group set alike is one call with several targets."""
    merged: dict[tuple[str, str], tuple[ServiceCall, list[str]]] = {}
    for call in calls:
        key = (call.service, repr(sorted(call.data.items())))
        if key in merged:
            merged[key][1].append(call.entity_id)
        else:
            merged[key] = (call, [call.entity_id])
    items = []
    for call, entity_ids in merged.values():
        item = action_item(call, Dialect.MODERN)
        if len(entity_ids) > 1:
            item["target"] = {"entity_id": entity_ids}
        items.append(item)
    return items


def weekday_condition(weekdays: tuple[int, ...] | list[int]) -> dict[str, Any]:
    """A time condition that holds on these weekdays (Monday = 0)."""
    return {"condition": "time", "weekday": [WEEKDAY_NAMES[day] for day in sorted(set(weekdays))]}


def habit_parts(pattern: Pattern, context: HomeContext) -> HabitParts:
    """Triggers, conditions, actions and mode for any kind of habit except override."""
    actions = _action_items(target_calls(pattern, context))
    if pattern.kind is HabitKind.TIME_OF_DAY:
        return _time_of_day(pattern, actions)
    if pattern.kind is HabitKind.SUN:
        return _sun(pattern, actions)
    if pattern.kind is HabitKind.SEQUENCE:
        return _sequence(pattern, actions)
    if pattern.kind is HabitKind.AUTO_OFF:
        return _auto_off(pattern, actions)
    if pattern.kind is HabitKind.PRESENCE:
        return _presence(pattern, actions)
    raise AutomationError(f"a {pattern.kind.value} habit is not compiled here")


def _days(pattern: Pattern) -> list[dict[str, Any]]:
    days = set(pattern.weekdays)
    if not days or days == set(ALL_DAYS):
        return []
    if not days <= set(ALL_DAYS):
        raise AutomationError(f"weekdays must be 0 (Monday) to 6 (Sunday), got {pattern.weekdays}")
    return [weekday_condition(pattern.weekdays)]


def _time_of_day(pattern: Pattern, actions: list[dict[str, Any]]) -> HabitParts:
    if pattern.time_of_day is None:
        raise AutomationError("a time-of-day habit needs its time of day")
    at = rounded_time(pattern.time_of_day).strftime("%H:%M:%S")
    return HabitParts([{"trigger": "time", "at": at}], _days(pattern), actions)


def _sun(pattern: Pattern, actions: list[dict[str, Any]]) -> HabitParts:
    if pattern.sun_event not in ("sunset", "sunrise"):
        raise AutomationError(f"a sun habit needs sunset or sunrise, got {pattern.sun_event!r}")
    trigger: dict[str, Any] = {"trigger": "sun", "event": pattern.sun_event}
    offset = round(pattern.sun_offset_minutes or 0)
    if offset:
        hours, minutes = divmod(abs(offset), 60)
        trigger["offset"] = f"{'+' if offset > 0 else '-'}{hours:02d}:{minutes:02d}:00"
    return HabitParts([trigger], _days(pattern), actions)


def _sequence(pattern: Pattern, actions: list[dict[str, Any]]) -> HabitParts:
    if not pattern.trigger_entity or not pattern.trigger_state:
        raise AutomationError("a sequence habit needs the entity and state it follows")
    trigger: dict[str, Any] = {
        "trigger": "state",
        "entity_id": pattern.trigger_entity,
        "to": pattern.trigger_state,
    }
    # a duration on a sequence means the trigger state must hold that long first
    if pattern.duration_seconds:
        trigger["for"] = _hold_for(pattern.duration_seconds)
    return HabitParts([trigger], [], actions)


def _auto_off(pattern: Pattern, actions: list[dict[str, Any]]) -> HabitParts:
    seconds = auto_off_seconds(pattern)
    if seconds <= 0:
        raise AutomationError("an auto-off habit needs how long the entity stays on")
    domain = DOMAINS.get(pattern.target_entity.split(".", 1)[0])
    on_state = domain.on_state if domain is not None else "on"
    motion = pattern.trigger_entity not in (None, pattern.target_entity)
    if motion:
        trigger = {
            "trigger": "state",
            "entity_id": pattern.trigger_entity,
            "to": pattern.trigger_state or "off",
            "for": _hold_for(seconds),
        }
        still_on = {"condition": "state", "entity_id": pattern.target_entity, "state": on_state}
        return HabitParts([trigger], [still_on], actions, mode="restart")
    trigger = {
        "trigger": "state",
        "entity_id": pattern.target_entity,
        "to": pattern.trigger_state or on_state,
        "for": _hold_for(seconds),
    }
    return HabitParts([trigger], [], actions, mode="restart")


def _presence(pattern: Pattern, actions: list[dict[str, Any]]) -> HabitParts:
    people = list(dict.fromkeys(pattern.related_entities))
    if not people:
        raise AutomationError("a presence habit needs the people who must all be away")
    away = pattern.trigger_state or "not_home"
    triggers: list[dict[str, Any]] = [
        {"trigger": "state", "entity_id": person, "to": away} for person in people
    ]
    everyone_away = {
        "condition": "state",
        "entity_id": people if len(people) > 1 else people[0],
        "state": away,
    }
    return HabitParts(triggers, [everyone_away], actions)


def _hold_for(seconds: float) -> dict[str, int]:
    if seconds < 60:
        return {"seconds": max(1, round(seconds))}
    return {"minutes": round(seconds / 60)}
