"""The home's history as the replay reads it: each entity's states over time, and the sun.

Built once per replay run and shared by every automation replayed in it. An entity's state at
a moment is its last row at or before that moment. Before an entity's first row its state is
that row's old state when the frame has it; otherwise it is unknown, and a condition on it
does not hold. `zone.home` (the number of people home) is derived from the `person` rows, and
`sun.sun` from the sun times at the home's location, when the frame has no rows of their own.
A manual action is a row whose origin is a person's (events.MANUAL_ORIGINS) and that has an
old state: Home Assistant writes rows without one at a restart, and no person made those.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import polars as pl

from homehabits.context import HomeContext
from homehabits.events import MANUAL_ORIGINS
from homehabits.patterns._sun import sun_table

__all__ = ["EPOCH", "TIME", "EntityHistory", "History"]

#: The moment an entity's state from before its first row (that row's old state) starts.
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
#: The type of every moment the replay handles.
TIME: Final = pl.Datetime("us", "UTC")

_ZONE_HOME: Final = "zone.home"
_SUN: Final = "sun.sun"
_MANUAL: Final = [origin.value for origin in MANUAL_ORIGINS]
_ROWS_SCHEMA: Final = pl.Schema(
    {
        "time": TIME,
        "state": pl.String(),
        "prev": pl.String(),
        "changed": pl.Boolean(),
        "manual": pl.Boolean(),
        "action_id": pl.UInt32(),
        "attributes": pl.String(),
    }
)
_CHANGES_SCHEMA: Final = pl.Schema({"time": TIME, "state": pl.String(), "until": TIME})


@dataclass(frozen=True, slots=True)
class EntityHistory:
    """One entity's rows, and the states it was in, each with when it started and ended.

    `rows`: time, state, prev (the state before), changed (the state differs from prev),
    manual (a person's own doing), action_id (unique per row, to count manual actions once),
    attributes (the JSON of the few attributes the EventFrame keeps).
    `changes`: time, state, until (the next change; null while it lasts), in time order.
    """

    rows: pl.DataFrame
    changes: pl.DataFrame


_EMPTY: Final = EntityHistory(
    rows=pl.DataFrame(schema=_ROWS_SCHEMA), changes=pl.DataFrame(schema=_CHANGES_SCHEMA)
)


class History:
    """The histories of the entities a set of automations reads, the sun times, local days."""

    def __init__(
        self,
        frame: pl.DataFrame,
        context: HomeContext,
        entity_ids: Collection[str],
        *,
        window_start: datetime,
        window_end: datetime,
    ) -> None:
        """Read the rows of `entity_ids` (and of every person, for zone.home) from `frame`."""
        self.time_zone = context.time_zone
        self.window_start = window_start.astimezone(UTC)
        self.window_end = window_end.astimezone(UTC)
        wanted = sorted(set(entity_ids))
        rows = frame.filter(
            pl.col("entity_id").is_in(wanted) | (pl.col("domain") == "person")
        ).filter(pl.col("time") < self.window_end)
        self._entities = _split(rows)
        self.sun = self._sun_times(context)
        if _ZONE_HOME in wanted and _ZONE_HOME not in self._entities:
            self._entities[_ZONE_HOME] = self._people_home()
        if _SUN in wanted and _SUN not in self._entities and self.sun is not None:
            self._entities[_SUN] = _sun_entity(self.sun)

    def entity(self, entity_id: str) -> EntityHistory:
        """The history of one entity (empty when the frame has none)."""
        return self._entities.get(entity_id, _EMPTY)

    def state_at(self, entity_id: str, times: pl.Series) -> pl.DataFrame:
        """`state` and `since` (when it started) of an entity at each of `times`, in their order."""
        changes = self.entity(entity_id).changes.select(
            "state", pl.col("time").alias("since"), "until"
        )
        left = pl.DataFrame({"t": times.cast(TIME)}).with_row_index("_i").sort("t")
        joined = left.join_asof(
            changes, left_on="t", right_on="since", strategy="backward", check_sortedness=False
        )
        return joined.sort("_i").select("state", "since", "until")

    def local_days(self) -> pl.Series:
        """Every local date the window touches, a day either side."""
        zone = self.time_zone
        first = self.window_start.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
        last = self.window_end.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
        return pl.date_range(first, last, "1d", eager=True).alias("date")

    def _sun_times(self, context: HomeContext) -> pl.DataFrame | None:
        """`date`, `sunrise` and `sunset` (UTC) for each local date; None without a location."""
        if context.location is None:
            return None
        table = sun_table(context.location, self.time_zone, self.window_start, self.window_end)
        return table.select(
            "date",
            *(
                local_minutes(pl.col(event), self.time_zone).alias(event)
                for event in ("sunrise", "sunset")
            ),
        )

    def _people_home(self) -> EntityHistory:
        """zone.home: how many people are home, from each person's state; unknown if any is."""
        people = sorted(entity for entity in self._entities if entity.startswith("person."))
        if not people:
            return _EMPTY
        moments = (
            pl.concat([self._entities[person].changes.select("time") for person in people])
            .unique()
            .sort("time")
            .to_series()
        )
        home = [
            (self.state_at(person, moments).to_series(0) == "home").cast(pl.Int32).alias(person)
            for person in people
        ]
        counts = pl.DataFrame([moments, *home]).select(
            "time", pl.sum_horizontal(people, ignore_nulls=False).cast(pl.String).alias("state")
        )
        counts = counts.filter(pl.col("state").ne_missing(pl.col("state").shift(1)))
        rows = counts.filter(pl.col("time") > EPOCH).select(
            "time",
            "state",
            pl.col("state").shift(1).alias("prev"),
            pl.lit(True).alias("changed"),
            pl.lit(False).alias("manual"),
            pl.lit(None, dtype=pl.UInt32()).alias("action_id"),
            pl.lit(None, dtype=pl.String()).alias("attributes"),
        )
        changes = counts.drop_nulls("state").with_columns(pl.col("time").shift(-1).alias("until"))
        return EntityHistory(rows=rows.cast(_ROWS_SCHEMA), changes=changes.cast(_CHANGES_SCHEMA))


def local_minutes(minutes: pl.Expr, time_zone: str, date: str = "date") -> pl.Expr:
    """The UTC moment of a minute of the local day on `date` (sun_table's form)."""
    micros = (minutes * 60_000_000).round().cast(pl.Int64)
    wall = pl.col(date).cast(pl.Datetime("us")) + pl.duration(microseconds=micros)
    return (
        wall.dt.replace_time_zone(time_zone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .cast(TIME)
    )


def _split(frame: pl.DataFrame) -> dict[str, EntityHistory]:
    """Each entity's rows with their previous state, and the states it went through."""
    if frame.is_empty():
        return {}
    first = pl.int_range(pl.len()).over("entity_id") == 0
    previous = pl.col("state").shift(1).over("entity_id")
    rows = (
        frame.with_row_index("action_id")
        .sort("entity_id", "time", maintain_order=True)
        .with_columns(pl.when(first).then(pl.col("old_state")).otherwise(previous).alias("prev"))
        .with_columns(
            pl.col("state").ne_missing(pl.col("prev")).alias("changed"),
            # a row without an old state (a restart, a new entity) is never a person's action
            (
                pl.col("origin").cast(pl.String).is_in(_MANUAL) & pl.col("old_state").is_not_null()
            ).alias("manual"),
        )
    )
    # the state before the first row, known from that row's old state
    before = rows.filter(first & pl.col("prev").is_not_null()).select(
        "entity_id", pl.lit(EPOCH, dtype=TIME).alias("time"), pl.col("prev").alias("state")
    )
    changes = (
        pl.concat([before, rows.filter("changed").select("entity_id", "time", "state")])
        .sort("entity_id", "time", maintain_order=True)
        .with_columns(pl.col("time").shift(-1).over("entity_id").alias("until"))
    )
    row_parts = (
        rows.select("entity_id", *_ROWS_SCHEMA)
        .cast(_ROWS_SCHEMA)
        .partition_by("entity_id", as_dict=True, include_key=False)
    )
    change_parts = changes.partition_by("entity_id", as_dict=True, include_key=False)
    return {
        str(key[0]): EntityHistory(
            rows=part, changes=change_parts.get(key, pl.DataFrame(schema=_CHANGES_SCHEMA))
        )
        for key, part in row_parts.items()
    }


def _sun_entity(sun: pl.DataFrame) -> EntityHistory:
    """sun.sun from the sun times: above_horizon from sunrise, below_horizon from sunset."""
    events = (
        pl.concat(
            [
                sun.select(pl.col("sunrise").alias("time"), pl.lit("above_horizon").alias("state")),
                sun.select(pl.col("sunset").alias("time"), pl.lit("below_horizon").alias("state")),
            ]
        )
        .drop_nulls("time")
        .sort("time")
    )
    events = events.filter(pl.col("state").ne_missing(pl.col("state").shift(1)))
    rows = events.select(
        "time",
        "state",
        pl.col("state").shift(1).alias("prev"),
        pl.lit(True).alias("changed"),
        pl.lit(False).alias("manual"),
        pl.lit(None, dtype=pl.UInt32()).alias("action_id"),
        pl.lit(None, dtype=pl.String()).alias("attributes"),
    )
    changes = events.with_columns(pl.col("time").shift(-1).alias("until"))
    return EntityHistory(rows=rows.cast(_ROWS_SCHEMA), changes=changes.cast(_CHANGES_SCHEMA))
