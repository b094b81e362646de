"""Sequence habits: something changes, and a person acts on another entity soon after."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from homehabits.config import MiningSettings
from homehabits.context import HomeContext
from homehabits.patterns._common import (
    RESTING_STATES,
    in_window,
    is_sensitive,
    manual_actions,
    real_changes,
    settings_for,
)
from homehabits.patterns.habit import HabitKind, Pattern

__all__ = ["find_sequences"]

_NOT_A_STATE = ["unavailable", "unknown", ""]
# A habit held only at some hours (the patio light after the door opens, when dark; the
# stairs light after motion, at night) is followed on too few of all the trigger's changes to
# pass: it is judged on the changes inside the hours that hold nine in ten of its actions...
_SLICE_HITS_SHARE = 0.9
# ... hours that leave out at least this share of the trigger's changes (else it is no gate)
_SLICE_LEFT_OUT = 0.2
# ... and outside which the trigger is followed at most half as often as inside
_SLICE_CONTRAST = 2.0
_SLICE_MAX_HOURS = 20
# the pairs a slice could rescue: followed this share of min_confidence over all changes
_SLICE_LEAST_SHARE = 0.25


def find_sequences(
    frame: pl.DataFrame,
    context: HomeContext,
    window_start: datetime,
    window_end: datetime,
    settings: MiningSettings,
) -> list[Pattern]:
    """Habits of acting on B (to state t) within a short lag after A changes to state s."""
    frame = in_window(frame, window_start, window_end)
    thresholds = [settings, *(settings_for(settings, d) for d in settings.per_domain)]
    longest_lag = max(own.sequence_max_lag_seconds for own in thresholds)
    fewest = min(own.min_occurrences for own in thresholds)

    triggers = _keyed(_trigger_changes(frame), fewest, "tkey")
    targets = _keyed(manual_actions(frame), fewest, "bkey")
    if triggers.is_empty() or targets.is_empty():
        return []
    window_seconds = (window_end - window_start).total_seconds()
    chance = _chance_within(targets, longest_lag, window_seconds)
    candidates = _candidate_pairs(
        triggers,
        targets,
        longest_lag,
        fewest,
        min(own.min_confidence for own in thresholds) * _SLICE_LEAST_SHARE,
        min(own.sequence_min_lift for own in thresholds),
        chance,
    )
    if candidates.is_empty():
        return []

    lag = timedelta(seconds=longest_lag)
    opening = triggers.join(candidates.select("cid", "tkey"), on="tkey").sort("time")
    answers = (
        targets.join(candidates.select("cid", "bkey"), on="bkey")
        .select("cid", pl.col("time").alias("acted"))
        .sort("acted")
    )
    followed = opening.select("cid", "time").join_asof(
        answers,
        left_on="time",
        right_on="acted",
        by="cid",
        strategy="forward",
        tolerance=lag,
        check_sortedness=False,  # both sides are sorted by time just above
    )
    zone = context.time_zone
    followed = followed.with_columns(
        ((pl.col("acted") - pl.col("time")).dt.total_microseconds() / 1e6).alias("lag"),
        pl.col("time").dt.convert_time_zone(zone).dt.date().alias("trigger_day"),
        pl.col("time").dt.convert_time_zone(zone).dt.hour().cast(pl.Int32).alias("hour"),
    )
    hours = _hours_held(followed, candidates, settings)
    if hours:
        in_hours = pl.DataFrame(
            [(cid, hour) for cid, span in hours.items() for hour in span],
            schema={"cid": followed.schema["cid"], "hour": pl.Int32},
            orient="row",
        )
        kept = followed.join(candidates.select("cid"), on="cid", how="semi")
        gated = kept.join(in_hours, on=["cid", "hour"], how="semi")
        followed = pl.concat([kept.filter(~pl.col("cid").is_in(list(hours))), gated])
    summary = (
        followed.group_by("cid")
        .agg(
            pl.len().alias("support"),
            pl.col("acted").is_not_null().sum().alias("hits"),
            pl.col("trigger_day").n_unique().alias("days_possible"),
            pl.col("lag").median().alias("typical_lag"),
        )
        .join(candidates, on="cid")
    )
    # each action once, with the lag from the latest change that preceded it
    evidence = (
        followed.drop_nulls("acted")
        .group_by("cid", "acted")
        .agg(pl.col("lag").min())
        .sort("acted")
        .partition_by("cid", as_dict=True)
    )
    patterns = []
    for row in summary.sort("cid").iter_rows(named=True):
        own = settings_for(settings, row["b_entity"].split(".", 1)[0])
        acts = evidence.get((row["cid"],))
        if acts is None or row["typical_lag"] is None:
            continue
        acts = acts.filter(pl.col("lag") <= own.sequence_max_lag_seconds)
        confidence = row["hits"] / row["support"]
        base = chance.get(row["bkey"], 1.0)
        lift = confidence / base if base > 0 else float("inf")
        days = acts["acted"].dt.convert_time_zone(zone).dt.date().n_unique()
        if (
            days < own.min_occurrences  # evidence in days: bounces one morning are one day
            or confidence < own.min_confidence
            or lift < own.sequence_min_lift
        ):
            continue
        patterns.append(
            Pattern(
                kind=HabitKind.SEQUENCE,
                target_entity=row["b_entity"],
                target_state=row["b_state"],
                trigger_entity=row["t_entity"],
                trigger_state=row["t_state"],
                lag_seconds=round(float(row["typical_lag"]), 1),
                occurrences=acts.height,
                days_observed=days,
                days_possible=row["days_possible"],
                adherence=round(days / row["days_possible"], 3) if row["days_possible"] else 0.0,
                confidence=round(confidence, 3),
                evidence_times=tuple(acts["acted"].to_list()),
                evidence_lags=tuple(round(lag, 1) for lag in acts["lag"].to_list()),
                support=row["support"],
                lift=round(min(lift, 1e6), 2),
                sensitive=is_sensitive(row["b_entity"], context),
                notes=_hours_note(hours.get(row["cid"]), row["t_entity"], context),
            )
        )
    return patterns


def _hours_held(
    followed: pl.DataFrame, candidates: pl.DataFrame, settings: MiningSettings
) -> dict[int, tuple[int, ...]]:
    """Per pair followed too rarely over all its trigger's changes: the local hours it holds.

    Only pairs whose action switches something on (not off, closed, locked) are sliced.

    The hours (a run of them, across midnight too) that hold nine in ten of the pair's
    actions, with the highest share of the trigger's changes followed in them; kept when they
    leave enough changes out, and the changes outside are followed far less often.
    """
    per_hour = (
        followed.group_by("cid", "hour")
        .agg(pl.len().alias("support"), pl.col("acted").is_not_null().sum().alias("hits"))
        .join(candidates.select("cid", "b_entity", "b_state"), on="cid")
        # switched off after the trigger is what an auto-off explains, at every hour: only
        # an action that switches something on is held at some hours (the light when dark)
        .filter(~pl.col("b_state").is_in(RESTING_STATES))
    )
    held: dict[int, tuple[int, ...]] = {}
    for (cid,), rows in per_hour.partition_by("cid", as_dict=True).items():
        own = settings_for(settings, str(rows["b_entity"][0]).split(".", 1)[0])
        support = [0] * 24
        hits = [0] * 24
        for hour, n, hit in rows.select("hour", "support", "hits").iter_rows():
            support[hour], hits[hour] = n, hit
        total_support, total_hits = sum(support), sum(hits)
        if not total_hits or total_hits >= own.min_confidence * total_support:
            continue  # held at all hours (or never): judged as ever
        span = _best_hours(support, hits, own.min_confidence)
        if span is not None:
            held[int(cid)] = span
    return held


def _best_hours(support: list[int], hits: list[int], least: float) -> tuple[int, ...] | None:
    """The run of hours holding nine in ten hits that is followed most often, or None."""
    total_support, total_hits = sum(support), sum(hits)
    best: tuple[float, int, tuple[int, ...]] | None = None
    for first in range(24):
        inside_support = inside_hits = 0
        for length in range(1, _SLICE_MAX_HOURS + 1):
            hour = (first + length - 1) % 24
            inside_support += support[hour]
            inside_hits += hits[hour]
            if inside_hits < _SLICE_HITS_SHARE * total_hits or not inside_support:
                continue
            share = inside_hits / inside_support
            outside_support = total_support - inside_support
            outside = (total_hits - inside_hits) / outside_support if outside_support else 0.0
            if (
                share < least
                or outside_support < _SLICE_LEFT_OUT * total_support
                or outside * _SLICE_CONTRAST > share
            ):
                continue
            key = (share, -length)
            if best is None or key > (best[0], best[1]):
                best = (share, -length, tuple((first + n) % 24 for n in range(length)))
    return None if best is None else best[2]


def _hours_note(
    span: tuple[int, ...] | None, trigger: str, context: HomeContext
) -> tuple[str, ...]:
    """Words for a habit held only at some hours (the replay then chooses its condition)."""
    if not span:
        return ()
    name = context.friendly_name(trigger)
    return (f"only when {name} changes between {span[0]:02d}:00 and {(span[-1] + 1) % 24:02d}:00",)


def _trigger_changes(frame: pl.DataFrame) -> pl.DataFrame:
    """Real changes that can start a sequence: any entity, but no numeric sensor readings."""
    return real_changes(frame).filter(
        ~pl.col("state").is_in(_NOT_A_STATE),
        pl.col("state").cast(pl.Float64, strict=False).is_null(),
    )


def _keyed(events: pl.DataFrame, fewest: int, key: str) -> pl.DataFrame:
    """`time`, `entity_id`, `state` and a numeric key per (entity, state) seen often enough."""
    events = events.select("time", "entity_id", "state")
    often = (
        events.group_by("entity_id", "state")
        .len()
        .filter(pl.col("len") >= fewest)
        .sort("entity_id", "state")
        .with_row_index(key)
        .drop("len")
    )
    return events.join(often, on=["entity_id", "state"]).sort("time")


def _candidate_pairs(
    triggers: pl.DataFrame,
    targets: pl.DataFrame,
    lag_seconds: float,
    fewest: int,
    least_confidence: float,
    least_lift: float,
    chance: dict[int, float],
) -> pl.DataFrame:
    """(A→s, B→t) pairs that may pass the thresholds of at least one domain.

    Each action looks back through the time-sorted changes with two binary searches; only
    the changes inside its lag window are paired with it, never every event with every other.
    From those pairs come, per (A→s, B→t), the actions explained and the changes followed,
    so that only likely pairs go on to the exact forward join.
    """
    times = triggers["time"]
    lag = timedelta(seconds=lag_seconds)
    windows = targets.with_row_index("act").with_columns(
        times.search_sorted(targets["time"] - lag, side="left").alias("lo"),
        times.search_sorted(targets["time"], side="left").alias("hi"),
    )
    windows = windows.filter(pl.col("hi") > pl.col("lo"))
    if windows.is_empty():
        return pl.DataFrame()
    pairs = (
        windows.select("act", "bkey", pl.int_ranges("lo", "hi", dtype=pl.UInt32).alias("idx"))
        .explode("idx")
        .join(
            triggers.select("tkey").with_row_index("idx"),
            on="idx",
        )
        .group_by("tkey", "bkey")
        .agg(
            pl.col("act").n_unique().alias("acts"),
            pl.col("idx").n_unique().alias("followed"),
        )
        .filter(pl.col("acts") >= fewest)
    )
    support = triggers.group_by("tkey").agg(pl.len().alias("support"))
    base = pl.DataFrame(
        {"bkey": list(chance), "chance": list(chance.values())},
        schema={"bkey": pairs.schema["bkey"], "chance": pl.Float64},
    )
    confidence = pl.col("followed") / pl.col("support")
    pairs = (
        pairs.join(support, on="tkey")
        .join(base, on="bkey", how="left")
        .filter(
            confidence >= least_confidence,
            confidence >= least_lift * pl.col("chance").fill_null(1.0),
        )
        .select("tkey", "bkey")
    )
    names_t = triggers.select(
        "tkey", pl.col("entity_id").alias("t_entity"), pl.col("state").alias("t_state")
    ).unique("tkey")
    names_b = targets.select(
        "bkey", pl.col("entity_id").alias("b_entity"), pl.col("state").alias("b_state")
    ).unique("bkey")
    return (
        pairs.join(names_t, on="tkey")
        .join(names_b, on="bkey")
        .filter(pl.col("t_entity") != pl.col("b_entity"))
        .sort("tkey", "bkey")
        .with_row_index("cid")
    )


def _chance_within(
    targets: pl.DataFrame, lag_seconds: float, window_seconds: float
) -> dict[int, float]:
    """Per (B, t): the chance that a random moment is followed by B→t within the lag."""
    covered = (
        targets.sort("time")
        .with_columns(
            (pl.col("time").diff().over("bkey").dt.total_microseconds() / 1e6)
            .clip(upper_bound=lag_seconds)
            .fill_null(lag_seconds)
            .alias("covered")
        )
        .group_by("bkey")
        .agg(pl.col("covered").sum())
    )
    return {
        int(key): min(1.0, float(seconds) / window_seconds) for key, seconds in covered.iter_rows()
    }
