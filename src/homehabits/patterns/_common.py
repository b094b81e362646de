"""Shared building blocks of the habit miners: manual actions, local time, days, settings."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
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
    "RESTING_STATES",
    "circular_diff",
    "circular_mean_minutes",
    "clock_minutes",
    "days_away",
    "habit_days",
    "in_window",
    "is_sensitive",
    "manual_actions",
    "real_changes",
    "settings_for",
    "stopped_reason",
    "with_local_time",
]

MINUTES_PER_DAY = 1440.0
_MANUAL = [origin.value for origin in MANUAL_ORIGINS]
# a local day with nobody home for this long is a day away (a holiday), not a day of habits
_AWAY_HOURS = 20.0
#: States in which a thing rests: nothing to gate on, and no action held to some hours.
RESTING_STATES = ("off", "closed", "locked", "idle", "standby")
# a habit is looked for in at least the last third of the window (home days only)…
_RECENT_SHARE = 1 / 3
# …and over enough recent days to have expected it on this many of them
_STOPPED_EXPECTED_DAYS = 3.0
# it stopped when done on less than this share of the recent days it was expected on
_STOPPED_SHARE = 0.15


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


def days_away(
    frame: pl.DataFrame, zone: ZoneInfo, window_start: datetime, window_end: datetime
) -> frozenset[date]:
    """Local dates on which nobody was home for most of the day (at least 20 hours).

    `zone.home` (how many people are home) tells it when the home has it; else every
    `person.*` not home at once. Such days are no evidence for or against a habit.
    """
    spells = _nobody_home(frame, window_start, window_end)
    if not spells:
        return frozenset()
    away: set[date] = set()
    day = window_start.astimezone(zone).date()
    last = window_end.astimezone(zone).date()
    while day <= last:
        begin = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        seconds = sum(
            max(0.0, (min(end, stop) - max(begin, start)).total_seconds()) for start, stop in spells
        )
        if seconds >= _AWAY_HOURS * 3600:
            away.add(day)
        day += timedelta(days=1)
    return frozenset(away)


def _nobody_home(
    frame: pl.DataFrame, window_start: datetime, window_end: datetime
) -> list[tuple[datetime, datetime]]:
    """The UTC spells in the window when nobody was home."""
    zone_rows = frame.filter(pl.col("entity_id") == "zone.home")
    if not zone_rows.is_empty():
        rows = zone_rows.select(
            "time",
            pl.col("entity_id"),
            (pl.col("state") == "0").alias("away"),
            (pl.col("old_state") == "0").alias("was_away"),
        )
    else:
        rows = frame.filter(pl.col("domain") == "person").select(
            "time",
            pl.col("entity_id"),
            (pl.col("state") != "home").alias("away"),
            (pl.col("old_state").is_not_null() & (pl.col("old_state") != "home")).alias("was_away"),
        )
    if rows.is_empty():
        return []
    rows = rows.sort("time")
    # each one's state before its first row in the window: that row's old state
    firsts = rows.group_by("entity_id").agg(pl.col("was_away").first())
    state = {str(key): bool(value) for key, value in firsts.iter_rows()}
    start, end = window_start.astimezone(UTC), window_end.astimezone(UTC)
    spells: list[tuple[datetime, datetime]] = []
    since: datetime | None = start if all(state.values()) else None
    for moment, entity_id, away, _ in rows.iter_rows():
        state[str(entity_id)] = bool(away)
        nobody = all(state.values())
        if nobody and since is None:
            since = moment
        elif not nobody and since is not None:
            spells.append((since, moment))
            since = None
    if since is not None:
        spells.append((since, end))
    return spells


def stopped_reason(
    evidence_times: Sequence[datetime],
    weekdays: Sequence[int],
    window_start: datetime,
    window_end: datetime,
    zone: ZoneInfo,
    away: Collection[date] = frozenset(),
) -> str | None:
    """Why a habit is no longer done (words for the owner), or None while it still is.

    The recent part of the window is its last third, or longer until the habit, at the rate
    it was done before, would have been done on three of its days there; days away count
    for neither part. A habit done before and (nearly) never in the recent part stopped.
    """
    days = set(weekdays)
    done = {moment.astimezone(zone).date() for moment in evidence_times}
    first = window_start.astimezone(zone).date()
    last = (window_end - timedelta(microseconds=1)).astimezone(zone).date()
    home = [
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if (first + timedelta(days=n)).weekday() in days and first + timedelta(days=n) not in away
    ]
    if len(home) < 2:
        return None
    recent = max(1, round(len(home) * _RECENT_SHARE))
    while recent < len(home):
        before = home[:-recent]
        rate = sum(day in done for day in before) / len(before)
        if rate * recent >= _STOPPED_EXPECTED_DAYS or recent >= len(home) // 2:
            break
        recent += 1
    before, tail = home[:-recent], home[-recent:]
    if not before:
        return None
    rate = sum(day in done for day in before) / len(before)
    expected = rate * len(tail)
    seen = sum(day in done for day in tail)
    if expected < _STOPPED_EXPECTED_DAYS or seen > _STOPPED_SHARE * expected:
        return None
    since = f" since {max(done):%b %-d}" if done else ""
    return (
        f"stopped: not done{since} ({seen} of the last {len(tail)} days it would be done on, "
        f"after {sum(day in done for day in before)} of {len(before)} before)"
    )
