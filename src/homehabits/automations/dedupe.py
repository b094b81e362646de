"""Dedupe: is a habit something the home's automations already do?

Asked twice, of two things: `is_covered` asks of a habit as mining finds it (an automation
already acts the same way on its target where it happens: dropped without a word, it is
not a habit to suggest), and `KnownAutomations.covering` asks of the automation compiled for
it (an automation already has the same trigger and action: left out, saying which one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from homehabits.automations.calls import FoundCall, find_calls
from homehabits.automations.dialects import convert_dialect
from homehabits.automations.fields import duration_to_seconds, parse_time_text
from homehabits.automations.services import direction_of
from homehabits.automations.tree import NodeKind, walk
from homehabits.config import Dialect
from homehabits.context import ExistingAutomation, HomeContext
from homehabits.domains import state_after
from homehabits.patterns._common import MINUTES_PER_DAY, clock_minutes
from homehabits.patterns.habit import HabitKind, Pattern

__all__ = ["NEAR_MINUTES", "KnownAutomations", "is_covered"]

#: Two clock (or sun) triggers this close together count as the same trigger.
NEAR_MINUTES: Final = 30


class KnownAutomations:
    """The home's automations, their triggers and service calls read once for many lookups."""

    def __init__(self, context: HomeContext) -> None:
        """Read every existing automation's triggers and calls."""
        self._known = [
            (
                existing,
                list(existing.triggers) or _raw_triggers(existing),
                find_calls({"actions": list(existing.actions)})
                or find_calls(convert_dialect(existing.raw, Dialect.MODERN)),
            )
            for existing in context.automations
        ]

    def covering(
        self, automation: Mapping[str, Any], *, ignore_id: str | None = None
    ) -> ExistingAutomation | None:
        """The automation that already has the same trigger and acts the same on the target."""
        modern = convert_dialect(automation, Dialect.MODERN)
        ours_triggers = [t for t in _as_list(modern.get("triggers")) if isinstance(t, Mapping)]
        ours_calls = find_calls(modern)
        for existing, theirs_triggers, theirs_calls in self._known:
            if ignore_id is not None and existing.automation_id == ignore_id:
                continue
            same_trigger = any(
                _same_trigger(ours, theirs) for ours in ours_triggers for theirs in theirs_triggers
            )
            if same_trigger and _same_action(ours_calls, theirs_calls):
                return existing
        return None


def _raw_triggers(existing: ExistingAutomation) -> list[Mapping[str, Any]]:
    modern = convert_dialect(existing.raw, Dialect.MODERN)
    return [t for t in _as_list(modern.get("triggers")) if isinstance(t, Mapping)]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _kind(trigger: Mapping[str, Any]) -> Any:
    return trigger.get("trigger", trigger.get("platform"))


def _same_trigger(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> bool:
    kind = _kind(ours)
    if kind != _kind(theirs):
        return False
    if kind == "time":
        return any(
            _clock_near(mine, other)
            for mine in _as_list(ours.get("at"))
            for other in _as_list(theirs.get("at"))
        )
    if kind == "sun":
        if str(ours.get("event", "")).lower() != str(theirs.get("event", "")).lower():
            return False
        mine = duration_to_seconds(ours.get("offset", 0))
        other = duration_to_seconds(theirs.get("offset", 0))
        return mine is not None and other is not None and abs(mine - other) <= NEAR_MINUTES * 60
    if kind == "state":
        entities = set(_entity_list(ours.get("entity_id"))) & set(
            _entity_list(theirs.get("entity_id"))
        )
        return bool(entities) and _same_state(ours.get("to"), theirs.get("to"))
    return False


def _clock_near(mine: Any, other: Any) -> bool:
    a, b = parse_time_text(mine), parse_time_text(other)
    if a is None or b is None:
        return False
    minutes_a = a[0] * 60 + a[1] + a[2] / 60
    minutes_b = b[0] * 60 + b[1] + b[2] / 60
    gap = abs(minutes_a - minutes_b) % 1440
    # on a clock 23:50 and 00:10 are 20 minutes apart
    return min(gap, 1440 - gap) <= NEAR_MINUTES


def _same_state(mine: Any, other: Any) -> bool:
    mine_states = {str(state) for state in _as_list(mine)}
    other_states = {str(state) for state in _as_list(other)}
    return bool(mine_states & other_states)


def _entity_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(item) for item in _as_list(value)]


def _same_action(ours: list[FoundCall], theirs: list[FoundCall]) -> bool:
    for mine in ours:
        direction = direction_of(mine.service, mine.data)
        for other in theirs:
            if not set(mine.entity_ids) & set(_acted_on(other)):
                continue
            other_direction = direction_of(other.service, other.data)
            if "any" in (direction, other_direction) or direction == other_direction:
                return True
    return False


def _acted_on(call: FoundCall) -> list[str]:
    """The entities a call really acts on: light.turn_on leaves a switch alone."""
    domain = call.service.split(".", 1)[0]
    return [
        entity
        for entity in call.entity_ids
        if domain == "homeassistant" or entity.split(".", 1)[0] == domain
    ]


def is_covered(pattern: Pattern, automations: Iterable[ExistingAutomation]) -> bool:
    """Whether an existing automation already does this habit (same target, state and trigger)."""
    if pattern.kind is HabitKind.OVERRIDE:
        return False  # an override is about an existing automation by definition
    for automation in automations:
        if pattern.target_entity not in automation.target_entities():
            continue
        states = _states_set(automation.actions, pattern.target_entity)
        if states is not None and pattern.target_state not in states:
            continue
        if any(_trigger_matches(pattern, trigger) for trigger in automation.triggers):
            return True
    return False


def _trigger_matches(pattern: Pattern, trigger: Mapping[str, Any]) -> bool:
    """Whether one trigger of an automation fires where the habit happens."""
    platform = trigger.get("trigger") or trigger.get("platform")
    clock_habit = pattern.kind in (HabitKind.TIME_OF_DAY, HabitKind.SUN)
    if platform == "time" and pattern.time_of_day is not None and clock_habit:
        habit = pattern.time_of_day.hour * 60 + pattern.time_of_day.minute
        return any(
            abs((clock - habit + MINUTES_PER_DAY / 2) % MINUTES_PER_DAY - MINUTES_PER_DAY / 2)
            <= NEAR_MINUTES
            for clock in clock_minutes(trigger.get("at"))
        )
    if platform == "sun" and pattern.kind is HabitKind.SUN:
        offset = _offset_minutes(trigger.get("offset"))
        return trigger.get("event") == pattern.sun_event and (
            offset is None or abs(offset - (pattern.sun_offset_minutes or 0)) <= NEAR_MINUTES
        )
    if platform in ("state", "numeric_state", "zone"):
        watched = _entity_ids(trigger.get("entity_id"))
        if pattern.trigger_entity is not None:
            return pattern.trigger_entity in watched
        if pattern.kind is HabitKind.PRESENCE:
            return bool(watched & ({*pattern.related_entities, "zone.home"}))
    return False


def _states_set(actions: Iterable[Any], entity_id: str) -> set[str] | None:
    """The states the actions set on an entity; None when a service's effect is unknown."""
    states: set[str] = set()
    for node in walk({"actions": list(actions)}):
        action = node.value
        if node.kind is not NodeKind.ACTION or not isinstance(action, Mapping):
            continue
        if not ("action" in action or "service" in action):
            continue
        if entity_id not in _entity_ids(_targets_of(action)):
            continue
        service = str(action.get("action") or action.get("service") or "")
        data = action.get("data")
        state = state_after(
            service, data if isinstance(data, Mapping) else None, entity_id=entity_id
        )
        if state is None:
            return None  # toggle, scenes…: could be any state
        states.add(state)
    return states


def _targets_of(action: Mapping[str, Any]) -> list[Any]:
    found = [action.get("entity_id")]
    for key in ("target", "data"):
        part = action.get(key)
        if isinstance(part, Mapping):
            found.append(part.get("entity_id"))
    return found


def _entity_ids(value: Any) -> set[str]:
    """Entity ids from text ("a.b, c.d"), a list, or nested lists of them."""
    found: set[str] = set()
    if isinstance(value, str):
        found.update(part.strip() for part in value.split(",") if "." in part)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= _entity_ids(item)
    return found


def _offset_minutes(value: Any) -> float | None:
    """A sun trigger's offset ("-00:30:00", "00:15", or seconds) in minutes."""
    if value is None:
        return 0.0
    if isinstance(value, int | float):
        return float(value) / 60
    text = str(value).strip()
    sign = -1.0 if text.startswith("-") else 1.0
    parts = text.lstrip("+-").split(":")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        return None
    while len(numbers) < 3:
        numbers.append(0.0)
    hours, minutes, seconds = numbers[:3]
    return sign * (hours * 60 + minutes + seconds / 60)
