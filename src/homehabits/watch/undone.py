"""What people did about an automation: undoing what it did (reverts), doing it unasked (misses)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import polars as pl

from homehabits.events import MANUAL_ORIGINS
from homehabits.patterns._common import (
    circular_diff,
    circular_mean_minutes,
    clock_minutes,
    real_changes,
    with_local_time,
)
from homehabits.watch.fires import Targets
from homehabits.watch.result import Revert

__all__ = ["find_misses", "find_misses_near", "find_reverts", "usual_minute"]

_MANUAL: Final = sorted(origin.value for origin in MANUAL_ORIGINS)
# a usual time of day is only read from this many fires or more
_FIRES_FOR_A_USUAL_TIME: Final = 3


def find_reverts(
    frame: pl.DataFrame, targets: Targets, changes: pl.DataFrame, revert_minutes: float
) -> tuple[Revert, ...]:
    """The fires a person undid: the next change of a target it set, by hand, soon after.

    `changes` are its own changes with the fire each belongs to (`fired_at`). A fire is
    undone once, at the first of its targets set back; what the person then does is theirs.
    """
    if changes.is_empty():
        return ()
    following = (
        real_changes(frame)
        .filter(pl.col("entity_id").is_in(sorted(targets.entities)))
        .sort("entity_id", "time", maintain_order=True)
        .with_columns(
            pl.col("time").shift(-1).over("entity_id").alias("undone_at"),
            pl.col("state").shift(-1).over("entity_id").alias("back_to"),
            pl.col("origin").cast(pl.String).shift(-1).over("entity_id").alias("next_origin"),
        )
        .select("entity_id", "time", "state", "undone_at", "back_to", "next_origin")
    )
    limit = timedelta(minutes=revert_minutes)
    undone = (
        changes.select("entity_id", "time", "state", "fired_at")
        .join(following, on=["entity_id", "time", "state"], how="inner")
        .filter(
            pl.col("next_origin").is_in(_MANUAL),
            pl.col("back_to") != pl.col("state"),
            (pl.col("undone_at") - pl.col("fired_at")) <= limit,
        )
        .sort("undone_at")
        .unique("fired_at", keep="first", maintain_order=True)
        .sort("fired_at")
    )
    return tuple(
        Revert(
            fired_at=row["fired_at"],
            undone_at=row["undone_at"],
            entity_id=row["entity_id"],
            set_to=row["state"],
            back_to=row["back_to"],
        )
        for row in undone.iter_rows(named=True)
    )


def usual_minute(
    triggers: Sequence[Mapping[str, Any]], fires: pl.Series, time_zone: str, spread: float
) -> float | None:
    """The local minute of the day it acts at: its one clock trigger, else its fires' own.

    Fires make a usual time only when most of them fall within `spread` minutes of their
    mean; a motion or door automation has none, and then no miss is judged.
    """
    clocks = [
        minute
        for trigger in triggers
        if trigger.get("trigger", trigger.get("platform")) == "time"
        for minute in clock_minutes(trigger.get("at"))
    ]
    if len(clocks) == 1 and len(triggers) == 1:
        return clocks[0]
    if fires.len() < _FIRES_FOR_A_USUAL_TIME:
        return None
    local = with_local_time(pl.DataFrame({"time": fires}), time_zone)
    mean = local.select(circular_mean_minutes(pl.col("minute"))).item()
    near = local.select((circular_diff(pl.col("minute"), mean).abs() <= spread).mean()).item()
    return float(mean) if near >= 0.8 else None


def find_misses(
    frame: pl.DataFrame,
    targets: Targets,
    fires: pl.Series,
    *,
    usual: float | None,
    time_zone: str,
    miss_minutes: float,
) -> tuple[datetime, ...]:
    """Days a person did by hand what it does, near its usual time, with no fire just before.

    A target set by hand to the state the automation sets it to, within `miss_minutes` of
    its usual time, is a miss unless the automation fired in the `miss_minutes` before (then
    the person is only doing it again). Before it fired that day, or on a day it did not fire
    at all, both count. One per local day: the first.
    """
    if usual is None or targets.states.is_empty():
        return ()
    done = real_changes(frame).filter(pl.col("origin").cast(pl.String).is_in(_MANUAL))
    done = done.join(targets.states, on=["entity_id", "state"], how="semi").sort("time")
    if done.is_empty():
        return ()
    done = with_local_time(done, time_zone).filter(
        circular_diff(pl.col("minute"), usual).abs() <= miss_minutes
    )
    if not fires.is_empty():
        fired = pl.DataFrame({"_fired": fires.sort()}).with_columns(pl.col("_fired").alias("_at"))
        done = done.join_asof(
            fired,
            left_on="time",
            right_on="_at",
            strategy="backward",
            tolerance=timedelta(minutes=miss_minutes),
        ).filter(pl.col("_fired").is_null())
    firsts = done.with_columns(pl.col("local").dt.date().alias("_day")).unique(
        "_day", keep="first", maintain_order=True
    )
    return tuple(moment.astimezone(UTC) for moment in firsts["time"].to_list())


def find_misses_near(
    frame: pl.DataFrame,
    targets: Targets,
    fires: pl.Series,
    *,
    expected: pl.Series,
    time_zone: str,
    miss_minutes: float,
) -> tuple[datetime, ...]:
    """Misses of an automation whose time moves day by day (sunset): near when it should fire.

    `expected` are the moments its trigger comes (UTC); otherwise as find_misses: a target set
    by hand as it sets it, within `miss_minutes` of one, with no fire in the minutes before.
    """
    if expected.is_empty() or targets.states.is_empty():
        return ()
    done = real_changes(frame).filter(pl.col("origin").cast(pl.String).is_in(_MANUAL))
    done = done.join(targets.states, on=["entity_id", "state"], how="semi").sort("time")
    if done.is_empty():
        return ()
    reach = timedelta(minutes=miss_minutes)
    moments = pl.DataFrame({"_due": expected.sort()}).with_columns(
        pl.col("_due").cast(done.schema["time"]).alias("_at")
    )
    done = done.join_asof(
        moments, left_on="time", right_on="_at", strategy="nearest", tolerance=reach
    ).filter(pl.col("_due").is_not_null())
    if not fires.is_empty():
        fired = pl.DataFrame({"_fired": fires.sort()}).with_columns(pl.col("_fired").alias("_f"))
        done = done.join_asof(
            fired, left_on="time", right_on="_f", strategy="backward", tolerance=reach
        ).filter(pl.col("_fired").is_null())
    firsts = with_local_time(done, time_zone).with_columns(pl.col("local").dt.date().alias("_day"))
    firsts = firsts.unique("_day", keep="first", maintain_order=True)
    return tuple(moment.astimezone(UTC) for moment in firsts["time"].to_list())
