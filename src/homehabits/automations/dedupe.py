"""Dedupe: is a compiled habit something the home's automations already do?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homehabits.automations.calls import FoundCall, find_calls
from homehabits.automations.dialects import convert_dialect
from homehabits.automations.fields import duration_to_seconds, parse_time_text
from homehabits.automations.services import direction_of
from homehabits.config import Dialect
from homehabits.context import ExistingAutomation, HomeContext

__all__ = ["NEAR_MINUTES", "KnownAutomations", "already_automated"]

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


def already_automated(
    automation: Mapping[str, Any],
    context: HomeContext,
    *,
    ignore_id: str | None = None,
) -> ExistingAutomation | None:
    """The home's automation that already has the same trigger and acts the same on the target."""
    return KnownAutomations(context).covering(automation, ignore_id=ignore_id)


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
