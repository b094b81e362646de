"""Clusters of minutes on the 24-hour circle: where a person's actions bunch up in the day."""

from __future__ import annotations

import polars as pl

from homehabits.patterns._common import MINUTES_PER_DAY, circular_diff

__all__ = ["find_clusters"]

_DAY = int(MINUTES_PER_DAY)
_DENSITY_HALF_WIDTH = 15  # minutes either side when looking for the densest time of day
_MAX_CLUSTERS_PER_GROUP = 4
_REFINE_ROUNDS = 4
_MIN_HALF_WIDTH = 10.0
_SPREADS_KEPT = 2.5  # members lie within this many spreads of the cluster's centre


def find_clusters(events: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """Bunches of events per group on the circle of minutes.

    `events` has `ev` (a unique id), `gid` and `coord` (minutes, taken modulo a day);
    `groups` has `gid`, `max_spread` and `min_occurrences`. Returns `ev`, `gid`, `round`
    (the cluster number within its group), `center` and `half_width` for every event that
    belongs to a cluster. The densest bunch is taken first, its events removed, then the next.
    """
    remaining = events.select("ev", "gid", (pl.col("coord") % MINUTES_PER_DAY).alias("coord")).join(
        groups.select("gid"), on="gid", how="semi"
    )
    found: list[pl.DataFrame] = []
    for round_no in range(_MAX_CLUSTERS_PER_GROUP):
        if remaining.is_empty():
            break
        centers = _densest_minute(remaining).join(groups, on="gid")
        members, centers = _refine(remaining, centers)
        kept = centers.filter(pl.col("n") >= pl.col("min_occurrences")).select("gid")
        members = members.join(kept, on="gid", how="semi")
        found.append(members.with_columns(pl.lit(round_no, dtype=pl.Int32).alias("round")))
        remaining = remaining.join(members.select("ev"), on="ev", how="anti").join(
            kept, on="gid", how="semi"
        )
    if not found:
        return pl.DataFrame(
            schema={
                "ev": pl.UInt32,
                "gid": pl.Int64,
                "center": pl.Float64,
                "half_width": pl.Float64,
                "round": pl.Int32,
            }
        )
    return pl.concat(found)


def _densest_minute(events: pl.DataFrame) -> pl.DataFrame:
    """Per group, the minute of the day around which most events lie (circularly)."""
    width = _DENSITY_HALF_WIDTH
    histogram = events.group_by(
        "gid", (pl.col("coord").floor().cast(pl.Int32) % _DAY).alias("bin")
    ).agg(pl.len().alias("n"))
    grid = (
        histogram.select("gid")
        .unique()
        .join(pl.DataFrame({"bin": pl.int_range(0, _DAY, eager=True, dtype=pl.Int32)}), how="cross")
        .join(histogram, on=["gid", "bin"], how="left")
        .with_columns(pl.col("n").fill_null(0))
    )
    # copies of both ends so the window wraps around midnight
    wrapped = pl.concat(
        [
            grid.filter(pl.col("bin") >= _DAY - width).with_columns(pl.col("bin") - _DAY),
            grid,
            grid.filter(pl.col("bin") < width).with_columns(pl.col("bin") + _DAY),
        ]
    ).sort("gid", "bin")
    density = wrapped.with_columns(
        pl.col("n").rolling_sum(2 * width + 1, center=True, min_samples=1).over("gid")
    ).filter(pl.col("bin").is_between(0, _DAY - 1))
    return density.group_by("gid").agg(
        # on a tie, the earliest minute wins, so every run picks the same one
        (
            pl.col("bin").sort_by(["n", "bin"], descending=[False, True]).last().cast(pl.Float64)
            + 0.5
        ).alias("center")
    )


def _refine(events: pl.DataFrame, centers: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Move each centre to the mean of its events and fit the window to their spread."""
    centers = centers.with_columns(pl.col("max_spread").alias("half_width"))
    for _ in range(_REFINE_ROUNDS):
        members = (
            events.join(centers.select("gid", "center", "half_width"), on="gid")
            .with_columns(circular_diff(pl.col("coord"), pl.col("center")).alias("offset"))
            .filter(pl.col("offset").abs() <= pl.col("half_width"))
        )
        stats = members.group_by("gid").agg(
            pl.col("offset").mean().alias("shift"),
            pl.col("offset").std().fill_null(0.0).alias("sd"),
            pl.len().alias("n"),
        )
        centers = (
            centers.drop("n", strict=False)
            .join(stats, on="gid", how="left")
            .with_columns(
                ((pl.col("center") + pl.col("shift").fill_null(0.0)) % MINUTES_PER_DAY).alias(
                    "center"
                ),
                (pl.col("sd").fill_null(0.0) * _SPREADS_KEPT)
                .clip(_MIN_HALF_WIDTH, pl.col("max_spread") * 2)
                .alias("half_width"),
                pl.col("n").fill_null(0),
            )
            .drop("shift", "sd")
        )
    members = (
        events.join(centers.select("gid", "center", "half_width"), on="gid")
        .filter(circular_diff(pl.col("coord"), pl.col("center")).abs() <= pl.col("half_width"))
        .select("ev", "gid", "center", "half_width")
    )
    counts = members.group_by("gid").agg(pl.len().alias("n"))
    centers = (
        centers.drop("n").join(counts, on="gid", how="left").with_columns(pl.col("n").fill_null(0))
    )
    return members, centers
