"""The mess of a real home that no habit explains: bounce, restarts, days away, zone.home.

Contact bounce and crosstalk make a switch blip and flip back within a second; a Home
Assistant restart writes a row for every entity with no old state and no context (so a
source takes them for actions at the device); while the family is away nobody acts and
nothing moves; zone.home counts the people at home, as Home Assistant's does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import polars as pl
from numpy.typing import NDArray

from homehabits.sources.simulation.actions import TOGGLE, Actions
from homehabits.sources.simulation.clock import MICROS_PER_SECOND, Calendar
from homehabits.sources.simulation.plan import PEOPLE, AwayPlan, BouncePlan, RestartPlan

__all__ = [
    "QUIET_WHILE_AWAY",
    "add_bounces",
    "away_window",
    "plant_away",
    "restart_instants",
    "with_restarts",
    "with_zone_home",
]

#: Entities an existing automation switches on motion: still while no one is home to move.
QUIET_WHILE_AWAY: Final = frozenset({"light.hallway_night"})
Micros = NDArray[np.int64]


def add_bounces(
    calendar: Calendar, plan: BouncePlan, rng: np.random.Generator, actions: Actions
) -> None:
    """On some days each entity blips a few times: flipped and back within a second."""
    for entity, base in zip(plan.entities, plan.base_minutes, strict=True):
        bouncy = rng.random(calendar.count) < plan.day_share
        counts = np.where(bouncy, rng.poisson(plan.per_day, calendar.count), 0)
        day_index = np.repeat(np.arange(calendar.count), counts)
        # most blips come at about the same time of day (the washing machine, the heating
        # pump): a cluster a miner counting events, not days, would take for a habit
        clustered = rng.random(day_index.size) < plan.clustered
        minutes = np.where(
            clustered,
            base + rng.normal(0.0, 15.0, day_index.size),
            rng.uniform(6 * 60, 23.5 * 60, day_index.size),
        )
        blip = calendar.at(day_index, minutes)
        back = blip + np.round(rng.uniform(0.15, 0.9, blip.size) * MICROS_PER_SECOND).astype(
            np.int64
        )
        times = np.concatenate([blip, back])
        actions.add(times, entity, TOGGLE, "device")


def away_window(calendar: Calendar, plan: AwayPlan) -> tuple[int, int]:
    """The UTC microseconds the family leaves and comes back."""
    leave = calendar.at(np.array([plan.first_day]), np.array([plan.leave_minute]))
    back = calendar.at(np.array([plan.first_day + plan.days]), np.array([plan.back_minute]))
    return int(leave[0]), int(back[0])


def plant_away(calendar: Calendar, plan: AwayPlan, actions: Actions) -> tuple[int, int]:
    """Everyone leaves and comes back; in between no one acts by hand. The UTC window."""
    leave, back = away_window(calendar, plan)
    actions.keep_quiet(leave, back, QUIET_WHILE_AWAY)
    for person, _, _ in PEOPLE:
        # a second apart, so each person's rows stay outside the quiet window
        actions.add(np.array([leave - MICROS_PER_SECOND]), person, "not_home", "device")
        actions.add(np.array([back]), person, "home", "device")
    return leave, back


def _rows(frame: pl.DataFrame, like: pl.DataFrame) -> pl.DataFrame:
    """The frame's columns as `like` has them (missing ones null), with the domain."""
    return frame.with_columns(
        pl.lit(None).alias(name) for name in like.columns if name not in frame.columns
    ).select(pl.col(name).cast(dtype) for name, dtype in like.schema.items())


def with_zone_home(acted: pl.DataFrame, initial: Mapping[str, str]) -> pl.DataFrame:
    """The actions with zone.home's rows: how many people are home, whenever that changes.

    `acted` has the EventFrame's columns, time in UTC µs, sorted, the people's rows in it.
    """
    people = [person for person, _, _ in PEOPLE]
    moves = acted.filter(pl.col("entity_id").is_in(people)).with_columns(
        (
            (pl.col("state") == "home").cast(pl.Int32)
            - (pl.col("old_state").fill_null("") == "home").cast(pl.Int32)
        ).alias("_delta")
    )
    # the count before the window: each person's state before their first row in it
    firsts = moves.group_by("entity_id").agg(pl.col("old_state").first())
    before = {row["entity_id"]: row["old_state"] for row in firsts.iter_rows(named=True)}
    start = sum((before.get(p) or initial.get(p)) == "home" for p in people)
    moves = moves.filter(pl.col("_delta") != 0).with_columns(
        (pl.col("_delta").cum_sum() + start).alias("_count")
    )
    zone = moves.select(
        pl.col("time"),
        pl.lit("zone.home").alias("entity_id"),
        pl.lit("zone").alias("domain"),
        pl.col("_count").cast(pl.String()).alias("state"),
        (pl.col("_count") - pl.col("_delta")).cast(pl.String()).alias("old_state"),
        pl.lit("device").alias("origin"),
    )
    return acted.merge_sorted(_rows(zone, acted), key="time")


def restart_instants(calendar: Calendar, plan: RestartPlan, rng: np.random.Generator) -> Micros:
    """The UTC microseconds Home Assistant restarts, sorted."""
    if plan.times:
        days, minutes = (np.array(values) for values in zip(*plan.times, strict=True))
        once = calendar.at(days.astype(np.int64), minutes.astype(np.float64))
    else:
        once = np.empty(0, dtype=np.int64)
    nightly = np.empty(0, dtype=np.int64)
    if plan.nightly is not None:
        every = np.arange(calendar.count)
        nightly = calendar.at(every, plan.nightly + rng.uniform(0.0, 2.0, every.size))
    return np.sort(np.concatenate([once, nightly]))


def _before_restarts(frame: pl.DataFrame, restarts: Micros) -> pl.DataFrame:
    """The rows of the hour before a restart: all a sensor's state then can come from."""
    times = frame["time"].to_numpy()
    following = np.searchsorted(restarts, times, side="left")
    gap = restarts[np.minimum(following, restarts.size - 1)] - times
    near = (following < restarts.size) & (gap < 60 * 60 * MICROS_PER_SECOND)
    return frame.filter(pl.Series(near))


def with_restarts(
    acted: pl.DataFrame,
    chatter: Sequence[pl.DataFrame],
    restarts: Micros,
    initial: Mapping[str, str],
    rng: np.random.Generator,
) -> pl.DataFrame:
    """The actions with a burst of rows at each restart: every entity, its state, no old state.

    `acted` and `chatter` as Actions.to_event_frame's extension gets them; `restarts` are
    UTC microseconds inside the window, ten seconds before its end. A sensor that has not
    reported yet writes nothing.
    """
    if restarts.size == 0:
        return acted
    sources = [acted, *(_before_restarts(frame, restarts) for frame in chatter if frame.height)]
    names = sorted(
        {*initial, *(name for frame in sources for name in frame["entity_id"].unique().to_list())}
    )
    count = restarts.size * len(names)
    offsets = np.round(rng.uniform(0.3, 8.0, count) * MICROS_PER_SECOND).astype(np.int64)
    burst = pl.DataFrame(
        {
            "time": np.repeat(restarts, len(names)) + offsets,
            "entity_id": np.tile(np.array(names, dtype=object), restarts.size).tolist(),
        },
        schema={"time": pl.Int64(), "entity_id": pl.String()},
    ).sort("time")
    state = pl.col("entity_id").replace_strict(
        dict(initial), default=None, return_dtype=pl.String()
    )
    attributes = pl.lit(None, dtype=pl.String())
    for number, source in enumerate(sources):
        known = source.select(
            "time",
            "entity_id",
            pl.col("state").alias(f"_state{number}"),
            pl.col("attributes").alias(f"_attributes{number}"),
        )
        burst = burst.join_asof(
            known, on="time", by="entity_id", strategy="backward", check_sortedness=False
        )
        # the newest of the sources wins; each entity is in one source only
        state = pl.coalesce(pl.col(f"_state{number}"), state)
        attributes = pl.coalesce(pl.col(f"_attributes{number}"), attributes)
    burst = (
        burst.with_columns(state.alias("state"), attributes.alias("attributes"))
        .filter(pl.col("state").is_not_null())
        .select(
            "time",
            "entity_id",
            pl.col("entity_id").str.split_exact(".", 1).struct.field("field_0").alias("domain"),
            "state",
            "attributes",
            # the recorder takes a row with no context for one written at the device
            pl.lit("device").alias("origin"),
        )
    )
    return acted.merge_sorted(_rows(burst, acted), key="time")
