"""Override habits: an automation changes something and a person puts it back soon after."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time

import polars as pl

from homehabits.config import MiningSettings
from homehabits.context import ExistingAutomation, HomeContext
from homehabits.events import ACTIONABLE_DOMAINS, MANUAL_ORIGINS, Origin
from homehabits.patterns._common import (
    MINUTES_PER_DAY,
    circular_diff,
    circular_mean_minutes,
    clock_minutes,
    days_away,
    in_window,
    is_sensitive,
    real_changes,
    settings_for,
    with_local_time,
)
from homehabits.patterns.habit import ALL_DAYS, HabitKind, Pattern

__all__ = ["find_overrides"]

_SAME_FIRING_MINUTES = 90.0  # automation changes this close to the typical time are one rule
_DAY_KEPT_SHARE = 0.5  # a weekday counts when at least half its firings were reverted
_MANUAL = [origin.value for origin in MANUAL_ORIGINS]


def find_overrides(
    frame: pl.DataFrame,
    context: HomeContext,
    window_start: datetime,
    window_end: datetime,
    settings: MiningSettings,
) -> list[Pattern]:
    """Habits of undoing what an automation just did, on repeated days."""
    frame = in_window(frame, window_start, window_end)
    changes = (
        real_changes(frame)
        .filter(pl.col("domain").is_in(sorted(ACTIONABLE_DOMAINS)))
        .sort("entity_id", "time")
        .with_columns(
            pl.col("state").shift(-1).over("entity_id").alias("person_state"),
            pl.col("time").shift(-1).over("entity_id").alias("reverted_at"),
            pl.col("origin").cast(pl.String).shift(-1).over("entity_id").alias("next_origin"),
        )
    )
    fired = changes.filter(pl.col("origin") == Origin.AUTOMATION.value)
    if fired.is_empty():
        return []
    fired = with_local_time(fired, context.time_zone).with_columns(
        pl.col("local").dt.date().alias("date"),
        ((pl.col("reverted_at") - pl.col("time")).dt.total_microseconds() / 1e6).alias("delay"),
    )
    # a rule firing while nobody is home (days away) is no chance to revert it
    away = days_away(frame, context.zone, window_start, window_end)
    if away:
        fired = fired.filter(~pl.col("date").is_in(sorted(away)))
    reverts = fired.filter(pl.col("next_origin").is_in(_MANUAL), pl.col("delay").is_not_null())
    patterns = []
    for (entity_id, auto_state, person_state), group in reverts.partition_by(
        "entity_id", "state", "person_state", as_dict=True
    ).items():
        own = settings_for(settings, str(entity_id).split(".", 1)[0])
        group = group.filter(pl.col("delay") <= own.override_max_revert_seconds)
        if group["date"].n_unique() < own.min_occurrences:
            continue
        same_rule = fired.filter(pl.col("entity_id") == entity_id, pl.col("state") == auto_state)
        pattern = _pattern(str(entity_id), str(person_state), group, same_rule, context, own)
        if pattern is not None:
            # the state the automation set: what the person is undoing
            patterns.append(replace(pattern, trigger_state=str(auto_state)))
    return patterns


def _pattern(
    entity_id: str,
    person_state: str,
    reverted: pl.DataFrame,
    fired: pl.DataFrame,
    context: HomeContext,
    own: MiningSettings,
) -> Pattern | None:
    """The override habit of one entity, on the weekdays it is reverted."""
    typical = float(reverted.select(circular_mean_minutes(pl.col("minute"))).item())
    near = circular_diff(pl.col("minute"), typical).abs() <= _SAME_FIRING_MINUTES
    reverted = reverted.filter(near)
    fired = fired.filter(near)
    per_day_fired = fired.group_by("weekday").agg(pl.col("date").n_unique().alias("fired"))
    per_day_reverted = reverted.group_by("weekday").agg(pl.col("date").n_unique().alias("done"))
    shares = per_day_fired.join(per_day_reverted, on="weekday", how="left").fill_null(0)
    days = tuple(
        sorted(
            int(day)
            for day, fired_days, done in shares.iter_rows()
            if fired_days and done / fired_days >= _DAY_KEPT_SHARE
        )
    )
    if not days:
        return None
    reverted = reverted.filter(pl.col("weekday").is_in(days)).sort("time")
    days_possible = fired.filter(pl.col("weekday").is_in(days))["date"].n_unique()
    days_observed = reverted["date"].n_unique()
    adherence = days_observed / days_possible if days_possible else 0.0
    if (
        days_observed < own.min_occurrences
        or adherence < own.min_adherence
        or adherence < own.min_confidence
    ):
        return None
    minutes = round(typical) % int(MINUTES_PER_DAY)
    automation = _overridden(entity_id, minutes, context)
    notes: tuple[str, ...] = ()
    if automation is None:
        notes = ("the automation that makes this change is not among the known automations",)
    return Pattern(
        kind=HabitKind.OVERRIDE,
        target_entity=entity_id,
        target_state=person_state,
        trigger_entity=automation.entity_id if automation else None,
        time_of_day=time(minutes // 60, minutes % 60),
        spread_minutes=round(
            float(reverted.select(circular_diff(pl.col("minute"), typical).std()).item() or 0.0), 1
        ),
        weekdays=days if days else ALL_DAYS,
        lag_seconds=round(float(reverted["delay"].median()), 1),  # type: ignore[arg-type]
        automation_id=automation.automation_id if automation else None,
        occurrences=reverted.height,
        days_observed=days_observed,
        days_possible=days_possible,
        adherence=round(adherence, 3),
        confidence=round(adherence, 3),
        evidence_times=tuple(reverted["reverted_at"].to_list()),
        evidence_lags=tuple(round(float(lag), 1) for lag in reverted["delay"].to_list()),
        sensitive=is_sensitive(entity_id, context),
        notes=notes,
    )


def _overridden(entity_id: str, minutes: int, context: HomeContext) -> ExistingAutomation | None:
    """The known automation acting on the entity; with several, the one timed closest."""
    acting = [a for a in context.automations if entity_id in a.target_entities()]
    if not acting:
        return None
    return min(acting, key=lambda automation: _time_distance(automation, minutes))


def _time_distance(automation: ExistingAutomation, minutes: int) -> float:
    """Minutes between the automation's nearest time trigger and the typical change."""
    best = float("inf")
    for trigger in automation.triggers:
        if trigger.get("trigger") != "time":
            continue
        for clock in clock_minutes(trigger.get("at")):
            gap = abs((clock - minutes + 720) % MINUTES_PER_DAY - 720)
            best = min(best, gap)
    return best
