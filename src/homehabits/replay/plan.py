"""An automation read for replay: its triggers, conditions and timed service calls, one dialect."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from homehabits.automations.calls import find_calls
from homehabits.automations.dialects import convert_dialect
from homehabits.automations.fields import duration_to_seconds, is_entity_id
from homehabits.automations.tree import walk
from homehabits.config import Dialect

__all__ = ["Call", "Plan", "read_plan"]

# the keys of a trigger or condition that name entities whose history the replay reads
_ENTITY_KEYS: Final = ("entity_id", "at", "zone")


@dataclass(frozen=True, slots=True)
class Call:
    """One service call the automation makes, `offset` seconds after it fired."""

    offset: float
    service: str
    data: Mapping[str, Any]
    entity_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """What the replay needs of one automation, in the modern dialect's keys."""

    triggers: tuple[Mapping[str, Any], ...]
    conditions: tuple[Any, ...]
    calls: tuple[Call, ...]
    mode: str
    skipped: tuple[str, ...]  # actions the replay cannot follow

    @property
    def delay(self) -> float:
        """Seconds from firing to its last service call."""
        return max((call.offset for call in self.calls), default=0.0)

    def entity_ids(self) -> frozenset[str]:
        """Every entity the triggers, conditions and calls name: the history the replay reads."""
        found: set[str] = set()
        # the one walk of the automation tree finds the conditions nested in and/or/not too
        for node in walk({"triggers": list(self.triggers), "conditions": list(self.conditions)}):
            if isinstance(node.value, Mapping):
                for key in _ENTITY_KEYS:
                    found.update(item for item in _items(node.value.get(key)) if is_entity_id(item))
        for call in self.calls:
            found.update(call.entity_ids)
        return frozenset(found)


def read_plan(automation: Mapping[str, Any]) -> Plan:
    """The automation (either dialect) as triggers, conditions and service calls with delays.

    Service calls are read in order from the top-level actions; a `delay` moves the calls
    after it later. Calls nested in choose/if/repeat are taken as made at that point, without
    their own conditions; a wait or a delay that is a template is skipped (counted as none).
    Items with `enabled: false` are left out, as Home Assistant does.
    """
    modern = convert_dialect(automation, Dialect.MODERN)
    triggers = tuple(item for item in _items(modern.get("triggers")) if _enabled(item))
    conditions = tuple(item for item in _items(modern.get("conditions")) if _enabled(item))
    calls: list[Call] = []
    skipped: list[str] = []
    offset = 0.0
    for action in _items(modern.get("actions")):
        if not isinstance(action, Mapping) or not _enabled(action):
            continue
        if "delay" in action:
            seconds = duration_to_seconds(action["delay"])
            if seconds is None:
                skipped.append("action delay (a template)")
            else:
                offset += max(0.0, seconds)
            continue
        if any(key in action for key in ("wait_template", "wait_for_trigger")):
            skipped.append("action wait")
            continue
        for found in find_calls({"actions": [action]}):
            calls.append(Call(offset, found.service, dict(found.data), found.entity_ids))
    mode = modern.get("mode", "single")
    return Plan(
        triggers=triggers,
        conditions=conditions,
        calls=tuple(calls),
        mode=mode if isinstance(mode, str) else "single",
        skipped=tuple(skipped),
    )


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _enabled(item: Any) -> bool:
    return not (isinstance(item, Mapping) and item.get("enabled") is False)
