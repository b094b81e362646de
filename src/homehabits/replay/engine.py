"""Replaying automations over a window of the home's history: when they fire, and how well."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from homehabits.context import HomeContext
from homehabits.patterns._common import days_away
from homehabits.replay.conditions import holds
from homehabits.replay.history import TIME, History
from homehabits.replay.judge import IDLE, USEFUL, WRONG, judge
from homehabits.replay.plan import Plan, read_plan
from homehabits.replay.result import Replay
from homehabits.replay.triggers import fire_times

__all__ = ["DEFAULT_TOLERANCE", "replay_automation", "replay_automations"]

#: How far apart the automation's action and the person's own may be and still be "the same".
DEFAULT_TOLERANCE = timedelta(minutes=15)


def replay_automation(
    automation: Mapping[str, Any],
    frame: pl.DataFrame,
    context: HomeContext,
    *,
    window_start: datetime,
    window_end: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> Replay:
    """How one automation (either dialect) would have behaved over the window of `frame`."""
    return replay_automations(
        [automation],
        frame,
        context,
        window_start=window_start,
        window_end=window_end,
        tolerance=tolerance,
    )[0]


def replay_automations(
    automations: Sequence[Mapping[str, Any]],
    frame: pl.DataFrame,
    context: HomeContext,
    *,
    window_start: datetime,
    window_end: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> list[Replay]:
    """The replay of each automation, in order; the entities' histories and sun are read once.

    The replay is counterfactual: the history is what happened without these automations, so
    a fire is judged by what people did then. Fires count inside [window_start, window_end);
    the wrong ones on days away (nobody home for most of the day) are also counted apart.
    """
    plans = [read_plan(automation) for automation in automations]
    needed: set[str] = set()
    for plan in plans:
        needed |= plan.entity_ids()
    history = History(frame, context, needed, window_start=window_start, window_end=window_end)
    away = pl.Series(
        sorted(days_away(frame, context.zone, window_start, window_end)), dtype=pl.Date
    )
    return [_replay(plan, history, tolerance, away, context.time_zone) for plan in plans]


def _replay(
    plan: Plan, history: History, tolerance: timedelta, away: pl.Series, zone: str
) -> Replay:
    skipped = list(plan.skipped)
    moments = [fire_times(trigger, history, skipped) for trigger in plan.triggers]
    fires = (
        pl.DataFrame({"t": pl.concat(moments) if moments else pl.Series([], dtype=TIME)})
        .filter((pl.col("t") >= history.window_start) & (pl.col("t") < history.window_end))
        .unique()
        .sort("t")
    )
    if plan.conditions:
        fires = fires.filter(holds(list(plan.conditions), fires, history, skipped))
    fires = _runs(fires, plan)
    verdicts = judge(fires["t"], plan.calls, history, tolerance, skipped)
    counts = verdicts.verdicts.value_counts()
    by_verdict = dict(zip(counts[:, 0].to_list(), counts["count"].to_list(), strict=True))
    wrong = int(by_verdict.get(WRONG, 0))
    on_days_away = fires["t"].dt.convert_time_zone(zone).dt.date().is_in(away.implode()) & (
        verdicts.verdicts == WRONG
    )
    return Replay(
        fires=fires.height,
        useful=int(by_verdict.get(USEFUL, 0)),
        idle=int(by_verdict.get(IDLE, 0)),
        wrong=wrong,
        saved=verdicts.saved,
        wrong_rate=wrong / fires.height if fires.height else 0.0,
        wrong_away=int(on_days_away.sum()),
        fire_times=tuple(fires["t"].to_list()),
        wrong_times=verdicts.wrong_times,
        skipped=tuple(dict.fromkeys(skipped)),
    )


def _runs(fires: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """The fires that run their actions, as the automation's mode allows while a delay runs.

    `single` ignores a fire while the previous one is still waiting (judged against the
    previous fire, whether or not that one ran: near enough for habits a day apart);
    `restart` lets the next fire cut a waiting one short, so the cut one does not count;
    `queued` and `parallel` run them all.
    """
    delay = timedelta(seconds=plan.delay)
    if plan.delay <= 0 or fires.height < 2:
        return fires
    if plan.mode == "single":
        gap = pl.col("t") - pl.col("t").shift(1)
        return fires.filter(gap.is_null() | (gap >= delay))
    if plan.mode == "restart":
        gap = pl.col("t").shift(-1) - pl.col("t")
        return fires.filter(gap.is_null() | (gap > delay))
    return fires
