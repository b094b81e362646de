"""Shared building blocks of the habit miners: manual actions, local time, days, settings."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from pydantic import ValidationError

from homehabits.config import MiningSettings
from homehabits.context import HomeContext
from homehabits.events import ACTIONABLE_DOMAINS, MANUAL_ORIGINS
from homehabits.exceptions import ConfigError
from homehabits.safety import sensitive_entity

__all__ = [
    "MINUTES_PER_DAY",
    "circular_diff",
    "circular_mean_minutes",
    "clock_minutes",
    "habit_days",
    "in_window",
    "is_sensitive",
    "manual_actions",
    "real_changes",
    "settings_for",
    "with_local_time",
]

MINUTES_PER_DAY = 1440.0
_MANUAL = [origin.value for origin in MANUAL_ORIGINS]


def in_window(frame: pl.DataFrame, window_start: datetime, window_end: datetime) -> pl.DataFrame:
    """The rows from window_start (included) to window_end (excluded), whatever their zones."""
    start, end = window_start.astimezone(UTC), window_end.astimezone(UTC)
    return frame.filter(pl.col("time").is_between(start, end, closed="left"))


def real_changes(frame: pl.DataFrame) -> pl.DataFrame:
    """Only the rows where the state really changed (attribute-only updates dropped)."""
    return frame.filter(pl.col("old_state").is_null() | (pl.col("state") != pl.col("old_state")))


def manual_actions(frame: pl.DataFrame) -> pl.DataFrame:
    """Real changes a person made by hand on an entity a habit may act on."""
    return real_changes(frame).filter(
        pl.col("origin").cast(pl.String).is_in(_MANUAL),
        pl.col("domain").is_in(sorted(ACTIONABLE_DOMAINS)),
        ~pl.col("state").is_in(["unavailable", "unknown"]),
    )


def with_local_time(frame: pl.DataFrame, time_zone: str) -> pl.DataFrame:
    """Add `local` (naive local wall time), `minute` (of the local day) and `weekday`."""
    local = pl.col("time").dt.convert_time_zone(time_zone).dt.replace_time_zone(None)
    return frame.with_columns(local.alias("local")).with_columns(
        (
            pl.col("local").dt.hour().cast(pl.Float64) * 60
            + pl.col("local").dt.minute().cast(pl.Float64)
            + pl.col("local").dt.second().cast(pl.Float64) / 60
        ).alias("minute"),
        (pl.col("local").dt.weekday() - 1).cast(pl.Int8).alias("weekday"),
    )


def circular_diff(minutes: pl.Expr, center: pl.Expr | float) -> pl.Expr:
    """Signed distance in minutes from `center` on the 24-hour circle, in [-720, 720)."""
    half = MINUTES_PER_DAY / 2
    return ((minutes - center + half) % MINUTES_PER_DAY) - half


def circular_mean_minutes(minutes: pl.Expr) -> pl.Expr:
    """The circular mean of minutes of the day (an aggregation), in [0, 1440)."""
    angle = minutes * (2 * math.pi / MINUTES_PER_DAY)
    mean = pl.arctan2(angle.sin().sum(), angle.cos().sum())
    return (mean * (MINUTES_PER_DAY / (2 * math.pi))) % MINUTES_PER_DAY


def habit_days(
    window_start: datetime, window_end: datetime, zone: ZoneInfo, minute: float
) -> list[date]:
    """Local dates whose moment `minute` (local clock) falls inside the window."""
    first = window_start.astimezone(zone).date() - timedelta(days=1)
    last = window_end.astimezone(zone).date() + timedelta(days=1)
    whole = round(minute) % int(MINUTES_PER_DAY)
    clock = time(whole // 60, whole % 60)
    days: list[date] = []
    day = first
    while day <= last:
        if window_start <= datetime.combine(day, clock, tzinfo=zone) < window_end:
            days.append(day)
        day += timedelta(days=1)
    return days


def is_sensitive(entity_id: str, context: HomeContext) -> bool:
    """Locks, alarms and garage doors: actions a person must approve with care."""
    return sensitive_entity(entity_id, context)


def settings_for(settings: MiningSettings, domain: str) -> MiningSettings:
    """The settings with the overrides for one target domain applied."""
    overrides = settings.per_domain.get(domain)
    if not overrides:
        return settings
    unknown = sorted(set(overrides) - set(MiningSettings.model_fields) - {"per_domain"})
    if unknown:
        raise ConfigError(
            f"mining per_domain[{domain!r}]: unknown setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(n for n in MiningSettings.model_fields if n != 'per_domain')}"
        )
    try:
        # validating again turns 8.0 into 8 for the integer thresholds
        return MiningSettings.model_validate({**settings.model_dump(), **overrides})
    except ValidationError as err:
        raise ConfigError(f"mining per_domain[{domain!r}]: {err.errors()[0]['msg']}") from err


def clock_minutes(value: Any) -> list[float]:
    """Minutes of the day of a time trigger's `at` (a clock text or a list of them)."""
    values = value if isinstance(value, list | tuple) else [value]
    found = []
    for item in values:
        if not isinstance(item, str):
            continue
        try:
            clock = time.fromisoformat(item)
        except ValueError:
            continue  # an input_datetime entity, not a clock time
        found.append(clock.hour * 60 + clock.minute + clock.second / 60)
    return found
