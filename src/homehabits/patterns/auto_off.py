"""Auto-off habits: something is switched on, and a person switches it off after a steady time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

import polars as pl

from homehabits.config import MiningSettings
from homehabits.context import HomeContext
from homehabits.events import ACTIONABLE_DOMAINS, MANUAL_ORIGINS
from homehabits.patterns._common import (
    MINUTES_PER_DAY,
    circular_diff,
    circular_mean_minutes,
    in_window,
    is_sensitive,
    real_changes,
    settings_for,
    with_local_time,
)
from homehabits.patterns.habit import HabitKind, Pattern

__all__ = ["find_auto_offs"]

_IQR_TO_SD = 1.349  # the interquartile range of a normal spread is 1.349 standard deviations
_BAND_SPREADS = 2.5  # an off belongs to the habit within this many spreads of the typical time
_MOTION_CLASSES = ("motion", "occupancy", "presence")
_MANUAL = [origin.value for origin in MANUAL_ORIGINS]
# sessions that start this far apart in the day (and no session between) are two time slots
_SLOT_GAP_MINUTES = 90.0
# a slot of its own must be a routine: sessions on half the days the entity is used at all
_SLOT_MIN_DAYS_SHARE = 0.5
# the timer runs out at this quantile of the steady durations (see _timer_seconds)
_TIMER_QUANTILE = 0.15


@dataclass(frozen=True, slots=True)
class _Steady:
    """A steady delay found in a set of offs: its median, relative spread and members."""

    median: float
    ratio: float
    members: pl.DataFrame


def find_auto_offs(
    frame: pl.DataFrame,
    context: HomeContext,
    window_start: datetime,
    window_end: datetime,
    settings: MiningSettings,
) -> list[Pattern]:
    """Habits of switching something off by hand a steady time after it went on (or motion stopped)."""
    frame = in_window(frame, window_start, window_end)
    switched = (
        real_changes(frame)
        .filter(
            pl.col("domain").is_in(sorted(ACTIONABLE_DOMAINS)), pl.col("state").is_in(["on", "off"])
        )
        .sort("entity_id", "time")
        .with_columns(
            pl.col("state").shift().over("entity_id").alias("before"),
            pl.col("time").shift().over("entity_id").alias("since"),
        )
    )
    offs = switched.filter(pl.col("state") == "off", pl.col("before") == "on").with_columns(
        ((pl.col("time") - pl.col("since")).dt.total_microseconds() / 1e6).alias("delay"),
        pl.col("origin").cast(pl.String).is_in(_MANUAL).alias("by_hand"),
    )
    if offs.is_empty():
        return []
    offs = _with_slots(
        with_local_time(offs, context.time_zone).with_columns(
            pl.col("local").dt.date().alias("date")
        ),
        context.time_zone,
    )
    motion = _motion_changes(frame, context)
    patterns = []
    for (entity_id,), entity_offs in (
        offs.sort("time").partition_by("entity_id", as_dict=True).items()
    ):
        own = settings_for(settings, str(entity_id).split(".", 1)[0])
        manual = entity_offs.filter(pl.col("by_hand"))
        if manual.height < own.min_occurrences:
            continue
        pattern = _motion_habit(str(entity_id), entity_offs, manual, motion, context, own)
        if pattern is None:
            pattern = _timer(str(entity_id), entity_offs, manual, context, own)
        if pattern is not None:
            patterns.append(pattern)
    return patterns


def _with_slots(offs: pl.DataFrame, time_zone: str) -> pl.DataFrame:
    """Add `start` (local minute the session began) and `slot` (its time slot of the day).

    Sessions of an entity are sorted by their start time of day and cut where an hour and a half
    or more of the day has no session start: lunch (12:00–12:40) and dinner (18:30–19:30) are two
    slots, a light used at any hour is one.
    """
    start = pl.col("since").dt.convert_time_zone(time_zone)
    offs = offs.with_columns(
        (
            start.dt.hour().cast(pl.Float64) * 60
            + start.dt.minute().cast(pl.Float64)
            + start.dt.second().cast(pl.Float64) / 60
        ).alias("start")
    )
    ordered = offs.select("entity_id", "start").unique().sort("entity_id", "start")
    gap = pl.col("start").diff().over("entity_id")
    # the gap across midnight, from the last start of the day round to the first
    wrap = (
        pl.col("start").first().over("entity_id")
        + MINUTES_PER_DAY
        - pl.col("start").last().over("entity_id")
    )
    slots = ordered.with_columns(
        (gap.fill_null(0.0) > _SLOT_GAP_MINUTES).cum_sum().over("entity_id").alias("slot"),
    ).with_columns(
        # without a long gap across midnight, the evening's last slot is the morning's first
        pl.when(
            (wrap.over("entity_id") <= _SLOT_GAP_MINUTES)
            & (pl.col("slot") == pl.col("slot").max().over("entity_id"))
        )
        .then(0)
        .otherwise(pl.col("slot"))
        .alias("slot")
    )
    return offs.join(slots, on=["entity_id", "start"], how="left")


def _timer(
    entity_id: str,
    entity_offs: pl.DataFrame,
    manual: pl.DataFrame,
    context: HomeContext,
    own: MiningSettings,
) -> Pattern | None:
    """'Off after N minutes': the steadiest time slot's duration, if one slot has a timer.

    Durations are judged per time slot of the session's start, so ten steady minutes at lunch
    are not lost among dinners of 30 to 95; a slot whose durations vary as much as sessions
    do has no steady band holding most of its sessions, and no timer.
    """
    days = manual.group_by("slot").agg(pl.col("date").n_unique().alias("days"))
    # a slot of a few stray sessions (a light on once at 08:30) is no routine: left out, not
    # a reason to pool lunch with dinner; with fewer than two routine slots, one pool as ever
    slots = sorted(
        int(slot)
        for slot, count in days.drop_nulls("slot").iter_rows()
        if count >= own.min_occurrences
    )
    if len(slots) < 2:
        slots = slots[:1]
    used_days = entity_offs["date"].n_unique()
    best: Pattern | None = None
    for slot in slots:
        in_slot = pl.col("slot") == slot
        slot_manual = manual.filter(in_slot) if len(slots) > 1 else manual
        if slot_manual["date"].n_unique() < _SLOT_MIN_DAYS_SHARE * used_days:
            continue  # a few sessions at an odd hour: a steady length there is chance
        steady = _steady(slot_manual, "delay", own)
        if steady is None or _clock_explains(steady):
            continue
        slot_offs = entity_offs.filter(in_slot) if len(slots) > 1 else entity_offs
        pattern = _pattern(entity_id, slot_offs, steady, None, context, own)
        if pattern is not None and len(slots) > 1:
            pattern = _in_slot(pattern, slot_offs)
        if pattern is not None and (best is None or pattern.confidence > best.confidence):
            best = pattern
    return best


def _in_slot(pattern: Pattern, slot_offs: pl.DataFrame) -> Pattern:
    """The timer of one time slot: its typical start time, spread and bounds in the notes."""
    mean = float(slot_offs.select(circular_mean_minutes(pl.col("start"))).item())
    offset = circular_diff(pl.col("start"), mean)
    low, high, sd = slot_offs.select(
        offset.min().alias("low"), offset.max().alias("high"), offset.std().alias("sd")
    ).row(0)
    spread = float(sd or 0.0)
    first = (mean + float(low)) % MINUTES_PER_DAY
    last = (mean + float(high)) % MINUTES_PER_DAY
    minutes = round(mean) % int(MINUTES_PER_DAY)
    return replace(
        pattern,
        time_of_day=time(minutes // 60, minutes % 60),
        spread_minutes=round(spread, 1),
        notes=(
            *pattern.notes,
            f"only sessions switched on between {_clock(first)} and {_clock(last)}",
        ),
    )


def _clock(minutes: float) -> str:
    whole = int(minutes) % int(MINUTES_PER_DAY)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def _motion_changes(frame: pl.DataFrame, context: HomeContext) -> pl.DataFrame:
    """State changes of the motion sensors the home knows, with their area."""
    sensors = {
        entity.entity_id: context.area_id(entity.entity_id)
        for entity in context.entities.values()
        if entity.domain == "binary_sensor" and entity.device_class in _MOTION_CLASSES
    }
    sensors = {sensor: area for sensor, area in sensors.items() if area}
    if not sensors:
        return pl.DataFrame(
            schema={"sensor": pl.String, "time": frame.schema["time"], "state": pl.String}
        )
    return (
        real_changes(frame)
        .filter(pl.col("entity_id").is_in(list(sensors)))
        .select(pl.col("entity_id").alias("sensor"), "time", "state")
        .sort("time")
    )


def _motion_habit(
    entity_id: str,
    entity_offs: pl.DataFrame,
    manual: pl.DataFrame,
    motion: pl.DataFrame,
    context: HomeContext,
    own: MiningSettings,
) -> Pattern | None:
    """'No motion for N minutes, then off': the best motion sensor in the entity's area."""
    area = context.area_id(entity_id)
    if area is None or motion.is_empty():
        return None
    sensors = [
        e.entity_id
        for e in context.entities_in_area(area)
        if e.domain == "binary_sensor" and e.device_class in _MOTION_CLASSES
    ]
    duration = _steady(manual, "delay", own)
    best: tuple[float, str, _Steady] | None = None
    for sensor in sensors:
        quiet = (
            manual.select("time", "local", "minute", "date")
            .join_asof(
                motion.filter(pl.col("sensor") == sensor).rename({"time": "motion_time"}),
                left_on="time",
                right_on="motion_time",
                strategy="backward",
                tolerance=timedelta(seconds=own.auto_off_motion_max_lag_seconds),
            )
            .filter(pl.col("state") == "off")
            .with_columns(
                ((pl.col("time") - pl.col("motion_time")).dt.total_microseconds() / 1e6).alias(
                    "quiet"
                )
            )
        )
        steady = _steady(quiet, "quiet", own)
        if steady is None:
            continue
        # motion must explain more offs, or explain them more steadily, than the plain duration
        better = duration is None or (
            steady.ratio < duration.ratio and steady.members.height >= 0.8 * duration.members.height
        )
        if better and (best is None or steady.ratio < best[0]):
            best = (steady.ratio, sensor, steady)
    if best is None:
        return None
    return _pattern(entity_id, entity_offs, best[2], best[1], context, own)


def _steady(offs: pl.DataFrame, column: str, own: MiningSettings) -> _Steady | None:
    """The steady delay among the offs, if their spread is small enough."""
    if offs.height < own.min_occurrences:
        return None
    # the densest half of the delays (the "shorth"): robust when up to half are stray
    values = offs[column].drop_nulls().sort()
    half_count = (values.len() + 1) // 2
    widths = values.shift(-(half_count - 1)) - values
    first = widths.arg_min()
    if first is None:
        return None
    densest = values.slice(first, half_count)
    median = float(densest.median())  # type: ignore[arg-type]
    if median <= 0 or median > own.auto_off_max_duration_seconds:
        return None
    spread = float(widths[first]) / _IQR_TO_SD
    ratio = spread / median
    if ratio > own.auto_off_max_spread_ratio:
        return None
    half = max(_BAND_SPREADS * spread, 0.05 * median)
    members = offs.filter((pl.col(column) - median).abs() <= half).with_columns(
        pl.col(column).alias("lag")
    )
    # evidence in days: a switch that bounces on and off one evening is one day
    if members["date"].n_unique() < own.min_occurrences:
        return None
    return _Steady(median=median, ratio=ratio, members=members)


def _clock_explains(steady: _Steady) -> bool:
    """Offs at the same clock time every day are a time habit, not a duration."""
    members = steady.members
    mean = members.select(circular_mean_minutes(pl.col("minute"))).item()
    clock_sd = members.select(circular_diff(pl.col("minute"), mean).std()).item() or 0.0
    delay_sd = (members.select(pl.col("lag").std()).item() or 0.0) / 60
    return bool(clock_sd <= delay_sd)


def _timer_seconds(members: pl.DataFrame) -> float:
    """How long the timer runs: early in the steady band, not at its middle.

    A timer at the median switches off only the sessions that last longer than it; the half
    that the person ends a little sooner end by hand, and no tap is saved. At the band's
    lower part it saves nearly all of them, and cuts none short by more than the band's
    own spread (the replay judges either within its tolerance).
    """
    return float(members["lag"].quantile(_TIMER_QUANTILE, interpolation="linear") or 0.0)


def _pattern(
    entity_id: str,
    entity_offs: pl.DataFrame,
    steady: _Steady,
    sensor: str | None,
    context: HomeContext,
    own: MiningSettings,
) -> Pattern | None:
    """The auto-off habit with its evidence, if it holds often enough."""
    members = steady.members.sort("time")
    adherence = members.height / entity_offs.height
    confidence = adherence * (1 - 0.3 * steady.ratio / own.auto_off_max_spread_ratio)
    if adherence < own.min_adherence or confidence < own.min_confidence:
        return None
    return Pattern(
        kind=HabitKind.AUTO_OFF,
        target_entity=entity_id,
        target_state="off",
        trigger_entity=sensor,
        trigger_state="off" if sensor else None,
        duration_seconds=round(_timer_seconds(members), 1),
        occurrences=members.height,
        days_observed=members["date"].n_unique(),
        days_possible=entity_offs["date"].n_unique(),
        adherence=round(adherence, 3),
        confidence=round(confidence, 3),
        evidence_times=tuple(members["time"].to_list()),
        evidence_lags=tuple(round(float(lag), 1) for lag in members["lag"].to_list()),
        sensitive=is_sensitive(entity_id, context),
    )
