"""Override habits: change an existing automation so the person no longer has to undo it."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homehabits.automations.dialects import CONDITION_LIST_KEY, TRIGGER_LIST_KEY, convert_dialect
from homehabits.automations.fields import WEEKDAY_NAMES
from homehabits.automations.kinds import weekday_condition
from homehabits.automations.tree import triggers_disabled
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Dialect
from homehabits.context import ExistingAutomation, HomeContext
from homehabits.exceptions import AutomationError
from homehabits.patterns.habit import ALL_DAYS, Pattern

__all__ = ["OverrideChange", "compile_override", "overridden_automation", "override_change"]


@dataclass(frozen=True, slots=True)
class OverrideChange:
    """What the suggested change does to the overridden automation, for the words to follow.

    Either it stops running on some weekdays (`skipped_days`, still running on `running_days`),
    or, undone on every day it runs, it is turned off: its triggers disabled, so it no longer
    does what the person undoes each time (`turns_off`).
    """

    skipped_days: tuple[int, ...] = ()
    running_days: tuple[int, ...] = ()
    turns_off: bool = False


def override_change(pattern: Pattern, context: HomeContext) -> OverrideChange:
    """The change compile_override makes for this habit (raises AutomationError as it does)."""
    _, change = _changed(pattern, context, Dialect.MODERN)
    return change


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
    """The existing automation with a new condition (or turned off), and a diff of the change.

    The automation keeps its id, so deploying it replaces the one the home has.
    """
    (before, after, alias), _ = _changed(pattern, context, dialect)
    diff = "".join(
        difflib.unified_diff(
            automation_to_yaml(before).splitlines(keepends=True),
            automation_to_yaml(after).splitlines(keepends=True),
            fromfile=f"{alias} (now)",
            tofile=f"{alias} (suggested)",
        )
    )
    return after, diff


def _changed(
    pattern: Pattern, context: HomeContext, dialect: Dialect
) -> tuple[tuple[dict[str, Any], dict[str, Any], str], OverrideChange]:
    """The automation before and after the change, its alias, and what the change does."""
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
    running = _running_days(conditions)
    keep_days = [day for day in running if day not in set(pattern.weekdays)]
    if keep_days:
        conditions.append(weekday_condition(keep_days))
        after = _with_conditions(after, conditions_key, conditions, dialect)
        skipped = tuple(day for day in running if day not in keep_days)
        change = OverrideChange(skipped_days=skipped, running_days=tuple(keep_days))
    else:
        # undone on every day it runs: a later time would be undone as well (the person puts
        # it back and leaves it so), so what they do is what the automation no longer does
        after = triggers_disabled(after, dialect)
        change = OverrideChange(skipped_days=tuple(running), turns_off=True)
    return (before, after, existing.alias), change


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
