"""Override habits: change an existing automation so the person no longer has to undo it."""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Mapping
from typing import Any

from homehabits.automations.dialects import CONDITION_LIST_KEY, TRIGGER_LIST_KEY, convert_dialect
from homehabits.automations.fields import WEEKDAY_NAMES, parse_time_text
from homehabits.automations.kinds import weekday_condition
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Dialect
from homehabits.context import ExistingAutomation, HomeContext
from homehabits.exceptions import AutomationError
from homehabits.patterns.habit import ALL_DAYS, Pattern

__all__ = ["compile_override", "overridden_automation"]

_STEP_MINUTES = 15


def overridden_automation(pattern: Pattern, context: HomeContext) -> ExistingAutomation | None:
    """The existing automation an override habit is about (by its id, else its entity)."""
    for automation in context.automations:
        if pattern.automation_id and automation.automation_id == pattern.automation_id:
            return automation
    if pattern.trigger_entity:
        return context.automation_by_entity(pattern.trigger_entity)
    return None


def compile_override(
    pattern: Pattern, context: HomeContext, dialect: Dialect
) -> tuple[dict[str, Any], str]:
    """The existing automation with a new condition (or a later time), and a diff of the change.

    The automation keeps its id, so deploying it replaces the one the home has.
    """
    existing = overridden_automation(pattern, context)
    if existing is None:
        raise AutomationError(
            "the automation this habit overrides is not among the home's automations"
        )
    if not existing.automation_id:
        raise AutomationError(
            f"the automation {existing.alias!r} has no id, so homehabits cannot replace it"
        )
    before = convert_dialect(_config_of(existing), dialect)
    before["id"] = existing.automation_id
    after = copy.deepcopy(before)
    conditions_key = CONDITION_LIST_KEY[dialect]
    conditions = _as_list(after.get(conditions_key))
    keep_days = [day for day in _running_days(conditions) if day not in set(pattern.weekdays)]
    if keep_days:
        conditions.append(weekday_condition(keep_days))
        after = _with_conditions(after, conditions_key, conditions, dialect)
    else:
        # undone on every day it runs: the person wants it later, not never
        _move_later(after, dialect, pattern, existing.alias)
    diff = "".join(
        difflib.unified_diff(
            automation_to_yaml(before).splitlines(keepends=True),
            automation_to_yaml(after).splitlines(keepends=True),
            fromfile=f"{existing.alias} (now)",
            tofile=f"{existing.alias} (suggested)",
        )
    )
    return after, diff


def _config_of(existing: ExistingAutomation) -> dict[str, Any]:
    if existing.raw:
        return dict(existing.raw)
    config: dict[str, Any] = {"id": existing.automation_id, "alias": existing.alias}
    config["triggers"] = [dict(trigger) for trigger in existing.triggers]
    if existing.conditions:
        config["conditions"] = [dict(condition) for condition in existing.conditions]
    config["actions"] = [dict(action) for action in existing.actions]
    config["mode"] = existing.mode
    return config


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    return [value]


def _running_days(conditions: list[Any]) -> list[int]:
    """The weekdays an automation can run on, as far as its top-level time conditions say."""
    days = set(ALL_DAYS)
    for condition in conditions:
        if isinstance(condition, Mapping) and condition.get("condition") == "time":
            weekday = condition.get("weekday")
            if weekday is not None:
                names = weekday if isinstance(weekday, list) else [weekday]
                days &= {WEEKDAY_NAMES.index(name) for name in names if name in WEEKDAY_NAMES}
    return sorted(days)


def _with_conditions(
    config: dict[str, Any], key: str, conditions: list[Any], dialect: Dialect
) -> dict[str, Any]:
    """The config with its conditions in their usual place (after the triggers)."""
    if key in config:
        config[key] = conditions
        return config
    placed: dict[str, Any] = {}
    for name, value in config.items():
        placed[name] = value
        if name == TRIGGER_LIST_KEY[dialect]:
            placed[key] = conditions
    placed.setdefault(key, conditions)
    return placed


def _move_later(config: dict[str, Any], dialect: Dialect, pattern: Pattern, alias: str) -> None:
    lag_minutes = (pattern.lag_seconds or 0.0) / 60
    shift = max(_STEP_MINUTES, math.ceil(lag_minutes / _STEP_MINUTES) * _STEP_MINUTES)
    moved = False
    triggers = config.get(TRIGGER_LIST_KEY[dialect])
    for trigger in triggers if isinstance(triggers, list) else [triggers]:
        if (
            not isinstance(trigger, dict)
            or trigger.get("trigger", trigger.get("platform")) != "time"
        ):
            continue
        at = trigger.get("at")
        if isinstance(at, list):
            trigger["at"] = [_later(item, shift) for item in at]
            moved = moved or any(new != old for new, old in zip(trigger["at"], at, strict=True))
        elif isinstance(at, str):
            trigger["at"] = _later(at, shift)
            moved = moved or trigger["at"] != at
    if not moved:
        raise AutomationError(
            f"the automation {alias!r} is undone by hand every day it runs and has no time "
            "trigger to move; consider turning it off"
        )


def _later(value: Any, minutes: int) -> Any:
    parsed = parse_time_text(value)
    if parsed is None:
        return value
    hour, minute, second = parsed
    # a clock reading moves round the clock: 23:50 plus 15 minutes is 00:05
    total = (hour * 60 + minute + minutes) % (24 * 60)
    return f"{total // 60:02d}:{total % 60:02d}:{second:02d}"
