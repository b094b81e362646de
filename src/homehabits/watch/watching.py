"""The watch over one automation and over the whole home: pure functions of the history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import polars as pl

from homehabits.config import WatchSettings
from homehabits.context import ExistingAutomation, HomeContext
from homehabits.patterns._common import in_window
from homehabits.replay.history import History
from homehabits.replay.plan import Plan, read_plan
from homehabits.replay.triggers import fire_times as trigger_times
from homehabits.watch.fires import automation_changes, changes_of_fires, fire_times, targets_of
from homehabits.watch.problems import (
    missing_entities,
    named_entities,
    problems_of,
    unavailable_entities,
)
from homehabits.watch.result import AutomationWatch, WatchedAutomation
from homehabits.watch.undone import find_misses, find_misses_near, find_reverts, usual_minute
from homehabits.watch.words import track_record_words

__all__ = ["owner_automations", "watch_automation", "watch_automations"]


def watch_automation(
    frame: pl.DataFrame,
    context: HomeContext,
    automation: WatchedAutomation,
    *,
    window_start: datetime,
    window_end: datetime,
    settings: WatchSettings | None = None,
) -> AutomationWatch:
    """What one automation did over the window, and what people did about it."""
    settings = settings or WatchSettings()
    frame = in_window(frame, window_start, window_end)
    plan = read_plan(automation.config)
    targets = targets_of(plan)
    entity_id = automation.entity_id
    changes = automation_changes(frame, targets)
    fires, by_entity = fire_times(frame, entity_id, plan, changes)
    # each change with its fire; told by its own entity's rows, only what changed right
    # after one of them is its doing
    changes = changes_of_fires(changes, fires, plan)
    observable = by_entity or not targets.is_empty()
    reverts = find_reverts(frame, targets, changes, settings.revert_minutes)
    usual = usual_minute(plan.triggers, fires, context.time_zone, settings.miss_minutes)
    due = _sun_moments(frame, context, plan, window_start, window_end) if usual is None else None
    if due is not None:
        misses = find_misses_near(
            frame,
            targets,
            fires,
            expected=due,
            time_zone=context.time_zone,
            miss_minutes=settings.miss_minutes,
        )
    else:
        misses = find_misses(
            frame,
            targets,
            fires,
            usual=usual,
            time_zone=context.time_zone,
            miss_minutes=settings.miss_minutes,
        )
    named = named_entities(automation.config)
    missing = missing_entities(named, context)
    unavailable = unavailable_entities(frame, tuple(e for e in named if e not in missing))
    days = max(1, round((window_end - window_start).total_seconds() / 86400))
    fire_list = tuple(fires.to_list())
    return AutomationWatch(
        automation=automation,
        fire_times=fire_list,
        reverts=reverts,
        misses=misses,
        words=track_record_words(
            fires=len(fire_list),
            reverts=reverts,
            misses=misses,
            days=days,
            zone=context.zone,
            observable=observable,
        ),
        problems=problems_of(
            fires=len(fire_list),
            reverts=len(reverts),
            observable=observable,
            missing=missing,
            unavailable=unavailable,
            days=days,
            undone_at_least=settings.undone_at_least,
            turned_off=_turned_off(frame, entity_id),
        ),
        missing_entities=missing,
        unavailable_entities=unavailable,
        observable=observable,
    )


def owner_automations(
    context: HomeContext, ours: Iterable[str | None]
) -> tuple[WatchedAutomation, ...]:
    """The home's own automations, leaving out those that are deployed suggestions of ours."""
    taken = {automation_id for automation_id in ours if automation_id}
    return tuple(
        _watched(automation)
        for automation in context.automations
        if automation.automation_id not in taken
        and not (automation.automation_id or "").startswith("homehabits_")
    )


def watch_automations(
    frame: pl.DataFrame,
    context: HomeContext,
    automations: Sequence[WatchedAutomation],
    *,
    window_start: datetime,
    window_end: datetime,
    settings: WatchSettings | None = None,
) -> list[AutomationWatch]:
    """The watch over each automation given: the deployed suggestions and the owner's own."""
    # the window once, then each automation reads only its own entities' rows
    frame = in_window(frame, window_start, window_end)
    return [
        watch_automation(
            _rows_for(frame, automation),
            context,
            automation,
            window_start=window_start,
            window_end=window_end,
            settings=settings,
        )
        for automation in automations
    ]


def _rows_for(frame: pl.DataFrame, automation: WatchedAutomation) -> pl.DataFrame:
    """The rows of the entities one automation names (and of its own entity)."""
    wanted = set(named_entities(automation.config))
    if automation.entity_id:
        wanted.add(automation.entity_id)
    return frame.filter(pl.col("entity_id").is_in(sorted(wanted)))


def _watched(automation: ExistingAutomation) -> WatchedAutomation:
    config = {
        "alias": automation.alias,
        "triggers": list(automation.triggers),
        "conditions": list(automation.conditions),
        "actions": list(automation.actions),
        "mode": automation.mode,
    }
    return WatchedAutomation(
        alias=automation.alias,
        config=config,
        automation_id=automation.automation_id,
        entity_id=automation.entity_id,
    )


def _sun_moments(
    frame: pl.DataFrame,
    context: HomeContext,
    plan: Plan,
    window_start: datetime,
    window_end: datetime,
) -> pl.Series | None:
    """When its one sun trigger comes each day (UTC), where the home's location is known."""
    if len(plan.triggers) != 1 or plan.triggers[0].get("trigger") != "sun":
        return None
    if context.location is None:
        return None
    history = History(frame, context, (), window_start=window_start, window_end=window_end)
    return trigger_times(plan.triggers[0], history, [])


def _turned_off(frame: pl.DataFrame, entity_id: str | None) -> bool:
    """Whether its own entity was last seen off in the window (the owner disabled it)."""
    if entity_id is None:
        return False
    rows = frame.filter(pl.col("entity_id") == entity_id)
    if rows.is_empty():
        return False
    return bool(rows.sort("time")["state"][-1] == "off")
