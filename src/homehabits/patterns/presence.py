"""Presence habits: when everyone has left, a person switches things off (from the app)."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from homehabits.config import MiningSettings
from homehabits.context import HomeContext
from homehabits.domains import DOMAINS
from homehabits.patterns._common import (
    in_window,
    is_sensitive,
    manual_actions,
    real_changes,
    settings_for,
)
from homehabits.patterns.habit import HabitKind, Pattern

__all__ = ["everyone_away", "find_presence_habits"]

_SWITCHED_OFF_DOMAINS = sorted(name for name, domain in DOMAINS.items() if domain.off_when_away)
_NOT_A_STATE = ["unavailable", "unknown"]


def find_presence_habits(
    frame: pl.DataFrame,
    context: HomeContext,
    window_start: datetime,
    window_end: datetime,
    settings: MiningSettings,
) -> list[Pattern]:
    """Habits of switching lights and switches off by hand soon after the last person leaves."""
    frame = in_window(frame, window_start, window_end)
    away = everyone_away(frame)
    if away.is_empty():
        return []
    people = tuple(sorted(c for c in away.columns if c not in ("time", "all_away")))
    departures = (
        away.filter(pl.col("all_away") & ~pl.col("all_away").shift().fill_null(False))
        .select(pl.col("time").alias("left_at"))
        .sort("left_at")
    )
    if departures.is_empty():
        return []
    longest = max(
        [
            settings.presence_max_lag_seconds,
            *(settings_for(settings, d).presence_max_lag_seconds for d in settings.per_domain),
        ]
    )
    offs = (
        manual_actions(frame)
        .filter(pl.col("state") == "off", pl.col("domain").is_in(_SWITCHED_OFF_DOMAINS))
        .select("time", "entity_id")
        .sort("time")
    )
    after = (
        offs.join_asof(
            departures,
            left_on="time",
            right_on="left_at",
            strategy="backward",
            tolerance=timedelta(seconds=longest),
        )
        .join_asof(away.select("time", pl.col("all_away").alias("still_away")), on="time")
        .filter(pl.col("left_at").is_not_null(), pl.col("still_away"))
        .with_columns(
            ((pl.col("time") - pl.col("left_at")).dt.total_microseconds() / 1e6).alias("lag")
        )
        # the first off of each entity after each departure
        .group_by("entity_id", "left_at")
        .agg(pl.col("time").min(), pl.col("lag").min())
    )
    switched = _switched(frame, after["entity_id"].unique())
    on_when_left = _on_at_departures(departures, switched)
    chance = _chance_off_soon(switched, longest)
    zone = context.time_zone
    patterns = []
    for (entity_id,), acts in after.sort("time").partition_by("entity_id", as_dict=True).items():
        own = settings_for(settings, str(entity_id).split(".", 1)[0])
        acts = acts.filter(pl.col("lag") <= own.presence_max_lag_seconds)
        # only a departure that left it on gave the person something to switch off
        left_on = max(on_when_left.get(str(entity_id), 0), acts.height)
        adherence = acts.height / left_on if left_on else 0.0
        base = chance.get(str(entity_id), 1.0)
        lift = adherence / base if base > 0 else float("inf")
        days = acts["time"].dt.convert_time_zone(zone).dt.date()
        if (
            days.n_unique() < own.min_occurrences  # evidence in days, not events
            or adherence < own.min_adherence
            or adherence < own.min_confidence
            or lift < own.presence_min_lift
        ):
            continue
        patterns.append(
            Pattern(
                kind=HabitKind.PRESENCE,
                target_entity=str(entity_id),
                target_state="off",
                trigger_state="not_home",
                related_entities=people,
                lag_seconds=round(float(acts["lag"].median()), 1),  # type: ignore[arg-type]
                occurrences=acts.height,
                days_observed=days.n_unique(),
                days_possible=departures["left_at"].dt.convert_time_zone(zone).dt.date().n_unique(),
                adherence=round(adherence, 3),
                confidence=round(adherence, 3),
                evidence_times=tuple(acts["time"].to_list()),
                evidence_lags=tuple(round(float(lag), 1) for lag in acts["lag"].to_list()),
                support=left_on,
                lift=round(min(lift, 1e6), 2),
                sensitive=is_sensitive(str(entity_id), context),
                notes=(
                    f"left on at {left_on} of {departures.height} departures; "
                    f"switched off after {acts.height} of them",
                ),
            )
        )
    return patterns


def everyone_away(frame: pl.DataFrame) -> pl.DataFrame:
    """After each presence change: each person's home flag and whether everyone is away.

    People are the `person.*` entities, or the `device_tracker.*` ones when a home has no
    persons. Before a person's first change, they are taken to be where that change left from.
    """
    presence = real_changes(frame).filter(~pl.col("state").is_in(_NOT_A_STATE))
    people = presence.filter(pl.col("domain") == "person")
    if people.is_empty():
        people = presence.filter(pl.col("domain") == "device_tracker")
    if people.is_empty():
        return pl.DataFrame()
    people = people.select("time", "entity_id", "state", "old_state").sort("time")
    names = sorted(people["entity_id"].unique().to_list())
    flags = []
    for name in names:
        mine = pl.col("entity_id") == name
        first = people.filter(mine).row(0, named=True)
        if first["old_state"] is not None and first["old_state"] not in _NOT_A_STATE:
            was_home = first["old_state"] == "home"
        else:
            was_home = first["state"] != "home"
        flags.append(
            pl.when(mine)
            .then(pl.col("state") == "home")
            .otherwise(None)
            .fill_null(strategy="forward")
            .fill_null(was_home)
            .alias(name)
        )
    return people.select("time", *flags).with_columns((~pl.any_horizontal(names)).alias("all_away"))


def _switched(frame: pl.DataFrame, entities: pl.Series) -> pl.DataFrame:
    """Real changes of the given entities, each with whether it is on and the next change."""
    return (
        real_changes(frame)
        .filter(pl.col("entity_id").is_in(entities.implode()), ~pl.col("state").is_in(_NOT_A_STATE))
        .select("time", "entity_id", "state", pl.col("origin").cast(pl.String))
        .sort("entity_id", "time")
        .with_columns(
            (pl.col("state") != "off").alias("is_on"),
            pl.col("time").shift(-1).over("entity_id").alias("until"),
            pl.col("state").shift(-1).over("entity_id").alias("next_state"),
            pl.col("origin").shift(-1).over("entity_id").alias("next_origin"),
        )
    )


def _on_at_departures(departures: pl.DataFrame, switched: pl.DataFrame) -> dict[str, int]:
    """Per entity: at how many departures it was on."""
    if switched.is_empty():
        return {}
    moments = (
        departures.join(switched.select("entity_id").unique(), how="cross")
        .sort("left_at")
        .join_asof(
            switched.select("time", "entity_id", "is_on").sort("time"),
            left_on="left_at",
            right_on="time",
            by="entity_id",
            strategy="backward",
            check_sortedness=False,  # both sides are sorted by time just above
        )
    )
    counts = moments.group_by("entity_id").agg(pl.col("is_on").fill_null(False).sum())
    return {str(entity): int(on) for entity, on in counts.iter_rows()}


def _chance_off_soon(switched: pl.DataFrame, lag_seconds: float) -> dict[str, float]:
    """Per entity: the chance that, at a random moment it is on, a person switches it off soon.

    The share of its on-time that lies within the lag before a manual off: high for a light
    that is only ever on for a few minutes, low for one left on for hours.
    """
    periods = switched.filter(pl.col("is_on"), pl.col("until").is_not_null()).with_columns(
        ((pl.col("until") - pl.col("time")).dt.total_microseconds() / 1e6).alias("lasted")
    )
    by_hand = (pl.col("next_state") == "off") & pl.col("next_origin").is_in(["user", "device"])
    shares = periods.group_by("entity_id").agg(
        (
            pl.when(by_hand)
            .then(pl.col("lasted").clip(upper_bound=lag_seconds))
            .otherwise(0.0)
            .sum()
            / pl.col("lasted").sum()
        ).alias("share")
    )
    return {str(entity): float(share or 0.0) for entity, share in shares.iter_rows()}
