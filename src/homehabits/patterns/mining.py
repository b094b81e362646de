"""mine(): every habit miner over one window of a home's history, ranked best first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import polars as pl

from homehabits.config import MiningSettings
from homehabits.context import HomeContext
from homehabits.event_cleaning import clean_events
from homehabits.events import EVENT_SCHEMA
from homehabits.exceptions import AnalysisError
from homehabits.patterns._common import days_away, in_window, stopped_reason
from homehabits.patterns.attributes import with_settings
from homehabits.patterns.auto_off import find_auto_offs
from homehabits.patterns.groups import with_groups
from homehabits.patterns.habit import Pattern
from homehabits.patterns.override import find_overrides
from homehabits.patterns.presence import find_presence_habits
from homehabits.patterns.ranking import rank
from homehabits.patterns.sequence import find_sequences
from homehabits.patterns.time_of_day import find_time_habits

__all__ = ["MINERS", "mine"]

Miner = Callable[[pl.DataFrame, HomeContext, datetime, datetime, MiningSettings], list[Pattern]]

#: One miner per kind of habit; each is a pure function of the same arguments.
MINERS: tuple[Miner, ...] = (
    find_time_habits,
    find_sequences,
    find_auto_offs,
    find_overrides,
    find_presence_habits,
)


def mine(
    frame: pl.DataFrame,
    context: HomeContext,
    *,
    window_start: datetime,
    window_end: datetime,
    settings: MiningSettings | None = None,
    left_out: list[tuple[Pattern, str]] | None = None,
) -> list[Pattern]:
    """Every habit in the window, scored, deduplicated and without those already automated.

    Each habit's action carries the settings its actions share (brightness, setpoint), and
    entities switched together are one habit with several targets. Habits the household
    stopped doing are not among them; when `left_out` is given, they are added to it with the
    reason, for the run's list of habits left out.
    """
    _check(frame, window_start, window_end)
    settings = settings or MiningSettings()
    # restarts and bounces are no one's action, whatever the source: out before any miner looks
    frame = clean_events(in_window(frame, window_start, window_end), settings)
    found: list[Pattern] = []
    if not frame.is_empty():
        for miner in MINERS:
            found.extend(miner(frame, context, window_start, window_end, settings))
        found = _still_done(found, frame, context, window_start, window_end, left_out)
        found = with_settings(found, frame)
    return with_groups(rank(found, context, window_start, window_end), context.zone)


def _still_done(
    patterns: list[Pattern],
    frame: pl.DataFrame,
    context: HomeContext,
    window_start: datetime,
    window_end: datetime,
    left_out: list[tuple[Pattern, str]] | None,
) -> list[Pattern]:
    """The habits still done at the end of the window, whatever their kind."""
    zone = context.zone
    away = days_away(frame, zone, window_start, window_end)
    kept = []
    for pattern in patterns:
        reason = stopped_reason(
            pattern.evidence_times, pattern.weekdays, window_start, window_end, zone, away
        )
        if reason is None:
            kept.append(pattern)
        elif left_out is not None:
            left_out.append((pattern, reason))
    return kept


def _check(frame: pl.DataFrame, window_start: datetime, window_end: datetime) -> None:
    """Refuse inputs the miners would misread, saying what is wrong."""
    missing = [name for name in EVENT_SCHEMA if name not in frame.columns]
    if missing:
        raise AnalysisError(
            f"the event frame lacks the column(s) {', '.join(missing)}; build it with check_events()"
        )
    time_type = frame.schema["time"]
    if not isinstance(time_type, pl.Datetime) or time_type.time_zone is None:
        raise AnalysisError(f"the event frame's 'time' column is {time_type}, not Datetime(UTC)")
    for name, moment in (("window_start", window_start), ("window_end", window_end)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise AnalysisError(f"{name} {moment.isoformat()} has no time zone; give an aware time")
    if window_end <= window_start:
        raise AnalysisError(
            f"the window is empty: window_end {window_end.isoformat()} is not after "
            f"window_start {window_start.isoformat()}"
        )
