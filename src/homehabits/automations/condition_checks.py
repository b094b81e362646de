"""Checks of one condition: time and state in full, and/or/not and other types by their shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homehabits.automations.fields import (
    check_duration,
    check_enabled,
    check_entity_ids,
    check_state_value,
    check_time,
    check_weekdays,
    is_template,
)
from homehabits.exceptions import AutomationCheckError

__all__ = ["check_condition"]

_CONDITION_KEYS: Final = {
    "time": frozenset({"after", "before", "weekday"}),
    "state": frozenset({"entity_id", "state", "attribute", "for", "match"}),
}


def check_condition(condition: Any, path: str) -> None:
    """Refuse one condition Home Assistant would refuse (the walk visits the ones it holds)."""
    if isinstance(condition, str):
        if not is_template(condition):
            raise AutomationCheckError(
                f"a condition written as text must be a template, got {condition!r}", path=path
            )
        return
    if not isinstance(condition, Mapping):
        raise AutomationCheckError(f"a condition must be a mapping, got {condition!r}", path=path)
    kind = condition.get("condition")
    if kind is None:
        # the shorthand {and|or|not: [...]}
        shorthand = [key for key in ("and", "or", "not") if key in condition]
        if not shorthand:
            raise AutomationCheckError(
                "a condition needs 'condition', e.g. condition: state", path=path
            )
        return
    if not isinstance(kind, str):
        raise AutomationCheckError(
            f"'condition' must name a condition type, got {kind!r}", path=f"{path}.condition"
        )
    check_enabled(condition, path)
    if kind in ("and", "or", "not"):
        if "conditions" not in condition:
            raise AutomationCheckError(f"an {kind!r} condition needs 'conditions'", path=path)
        return
    known = _CONDITION_KEYS.get(kind)
    if known is None:
        return
    for key in condition:
        if key not in known and key not in ("condition", "alias", "enabled"):
            raise AutomationCheckError(
                f"extra keys not allowed: {key!r} (a {kind} condition has "
                f"{', '.join(sorted(known))})",
                path=f"{path}.{key}",
            )
    if kind == "time":
        _check_time_condition(condition, path)
    else:
        _check_state_condition(condition, path)


def _check_time_condition(condition: Mapping[str, Any], path: str) -> None:
    if not any(key in condition for key in ("after", "before", "weekday")):
        raise AutomationCheckError(
            "a time condition needs at least one of 'after', 'before' or 'weekday'", path=path
        )
    for key in ("after", "before"):
        if key in condition:
            check_time(condition[key], f"{path}.{key}", key)
    if "weekday" in condition:
        check_weekdays(condition["weekday"], f"{path}.weekday", "weekday")


def _check_state_condition(condition: Mapping[str, Any], path: str) -> None:
    for key in ("entity_id", "state"):
        if key not in condition:
            raise AutomationCheckError(f"a state condition needs {key!r}", path=path)
    check_entity_ids(
        condition["entity_id"], f"{path}.entity_id", "entity_id", allow_registry_ids=True
    )
    check_state_value(condition["state"], f"{path}.state", "state", allow_none=False)
    if "for" in condition:
        check_duration(condition["for"], f"{path}.for", "for", positive=True, allow_template=True)
    if "match" in condition and condition["match"] not in ("all", "any"):
        raise AutomationCheckError(
            f"'match' must be all or any, got {condition['match']!r}", path=f"{path}.match"
        )
