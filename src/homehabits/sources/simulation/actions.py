"""Collects every simulated state change and turns them into a valid EventFrame."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from homehabits.events import EVENT_SCHEMA
from homehabits.sources.simulation.plan import OFF_STATES, ON_STATES

__all__ = ["TOGGLE", "Actions", "Extension"]

#: The state of an action that flips the entity (on → off, off → on), whatever it was then.
TOGGLE = "<toggle>"

Column = str | None | Sequence[str | None] | NDArray[Any]
_RAW_SCHEMA: dict[str, pl.DataType] = {
    "time": pl.Int64(),
    "entity_id": pl.String(),
    "state": pl.String(),
    "origin": EVENT_SCHEMA["origin"],
    "user_id": pl.String(),
    "attributes": pl.String(),
}
_EVENT_COLUMNS: dict[str, pl.DataType] = {
    name: dtype for name, dtype in EVENT_SCHEMA.items() if name != "time"
}
#: Adds rows to the actions, given the sensor chatter: (actions, chatter) -> actions.
Extension = Callable[[pl.DataFrame, Sequence[pl.DataFrame]], pl.DataFrame]
_DOMAIN = pl.col("entity_id").str.split_exact(".", 1).struct.field("field_0").alias("domain")


def _column(name: str, value: Column, rows: int) -> pl.Series:
    if value is None or isinstance(value, str):
        return pl.Series(name, [value], dtype=pl.String()).extend_constant(value, rows - 1)
    if isinstance(value, np.ndarray) and value.dtype == object:
        # polars reads numpy object arrays (strings with None) only as Python lists
        value = value.tolist()
    return pl.Series(name, value, dtype=pl.String())


class Actions:
    """Every state change the home's people, devices and automations asked for.

    Each is what the entity was set to; whether it changed anything is settled at the end,
    as Home Assistant records no change when a light that is on is switched on again.
    """

    def __init__(self) -> None:
        """Start with no actions."""
        self._chunks: list[pl.DataFrame] = []
        self._chained: list[pl.DataFrame] = []
        self._quiet: list[tuple[int, int, frozenset[str]]] = []

    def keep_quiet(self, start: int, end: int, entities: frozenset[str] = frozenset()) -> None:
        """Leave out every action by hand (and every action on `entities`) from start to end.

        For days when nobody is home; the sensor chatter of add_changes is kept.
        """
        self._quiet.append((start, end, entities))

    def add(
        self,
        times: NDArray[np.int64],
        entity_id: Column,
        state: Column,
        origin: Column,
        user_id: Column = None,
        attributes: Column = None,
    ) -> None:
        """Add state changes at UTC microseconds; a str value is the same for every row."""
        rows = int(times.size)
        if rows == 0:
            return
        self._chunks.append(
            pl.DataFrame(
                [
                    pl.Series("time", times, dtype=pl.Int64()),
                    _column("entity_id", entity_id, rows),
                    _column("state", state, rows),
                    _column("origin", origin, rows).cast(EVENT_SCHEMA["origin"]),
                    _column("user_id", user_id, rows),
                    _column("attributes", attributes, rows),
                ]
            )
        )

    def add_changes(self, frame: pl.DataFrame) -> None:
        """Add state changes sorted by time, with their old states (sensor chatter).

        The frame has the EventFrame's columns, except `time` in UTC microseconds; missing
        columns are null. Entities here must not also get actions through `add`.
        """
        missing = [name for name in EVENT_SCHEMA if name not in frame.columns]
        self._chained.append(
            frame.with_columns(
                pl.lit(None, dtype=pl.String()).alias(name) for name in missing
            ).select(
                pl.col("time").cast(pl.Int64()),
                *(
                    pl.col(name).cast(dtype)
                    for name, dtype in EVENT_SCHEMA.items()
                    if name != "time"
                ),
            )
        )

    def to_event_frame(
        self,
        start: int,
        end: int,
        initial_states: Mapping[str, str],
        extend: Extension | None = None,
    ) -> pl.DataFrame:
        """The state changes with start <= time < end (UTC µs) as an EventFrame sorted by time.

        Each row's old state is the entity's state before it (its initial state before the
        first); rows that would set the state the entity already has are dropped. `extend`
        gets the actions (time in UTC µs, sorted) and the sensor chatter, and returns the
        actions with rows of its own added (still sorted): far cheaper than merging them
        into the finished frame of millions of rows.
        """
        frames = [
            chunk.filter(pl.col("time") >= start, pl.col("time") < end) for chunk in self._chained
        ]
        acted = pl.DataFrame(schema={"time": pl.Int64(), **_EVENT_COLUMNS})
        if self._chunks:
            acted = self._chain(start, end, initial_states).sort("time", maintain_order=True)
        if extend is not None:
            acted = extend(acted, frames)
        frames.append(acted)
        # every part is sorted by time: merging them is far cheaper than sorting millions of rows
        merged = frames[0]
        for frame in frames[1:]:
            merged = merged.merge_sorted(frame, key="time")
        return merged.with_columns(
            pl.col("time").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        )

    def _chain(self, start: int, end: int, initial_states: Mapping[str, str]) -> pl.DataFrame:
        """Each action's old state; the actions that change nothing are dropped."""
        raw = pl.concat(self._chunks, how="vertical")
        for quiet_start, quiet_end, entities in self._quiet:
            inside = (pl.col("time") >= quiet_start) & (pl.col("time") < quiet_end)
            by_hand = pl.col("origin").cast(pl.String()).is_in(["user", "device"])
            raw = raw.filter(~(inside & (by_hand | pl.col("entity_id").is_in(list(entities)))))
        raw = raw.sort(["entity_id", "time"], maintain_order=True)
        same_entity = pl.col("entity_id") == pl.col("entity_id").shift(1)
        initial = pl.col("entity_id").replace_strict(
            dict(initial_states), default=None, return_dtype=pl.String()
        )
        raw = _resolve_toggles(raw.with_columns(_DOMAIN), initial).drop("domain")
        frame = raw.with_columns(
            pl.when(same_entity)
            .then(pl.col("state").shift(1))
            .otherwise(initial)
            .alias("old_state"),
            _DOMAIN,
        )
        frame = frame.filter(
            pl.col("old_state").is_null() | (pl.col("state") != pl.col("old_state")),
            pl.col("time") >= start,
            pl.col("time") < end,
        )
        return frame.select(
            pl.col("time"),
            *(pl.col(name).cast(dtype) for name, dtype in EVENT_SCHEMA.items() if name != "time"),
        )


def _resolve_toggles(frame: pl.DataFrame, initial: pl.Expr) -> pl.DataFrame:
    """Each TOGGLE becomes the opposite of the state before it (sorted by entity and time).

    Toggles come in pairs (flip, and flip back later), so after the pair the entity is as it
    was: someone switched the light off for a while in the evening, or on for a while by day.
    """
    is_toggle = pl.col("state") == TOGGLE
    if not frame.select(is_toggle.any()).item():
        return frame
    on = pl.col("domain").replace_strict(ON_STATES, default=None, return_dtype=pl.String())
    off = pl.col("domain").replace_strict(OFF_STATES, default=None, return_dtype=pl.String())
    frame = frame.with_columns(
        pl.when(~is_toggle).then(pl.col("state")).alias("_set"),
        (~is_toggle).cast(pl.Int32).cum_sum().over("entity_id").alias("_segment"),
    ).with_columns(
        pl.col("_set").forward_fill().over("entity_id").fill_null(initial).alias("_before"),
        is_toggle.cast(pl.Int32).cum_sum().over("entity_id", "_segment").alias("_flips"),
    )
    flipped = pl.when(pl.col("_before") == on).then(off).otherwise(on)
    return frame.with_columns(
        pl.when(~is_toggle)
        .then(pl.col("state"))
        .when(pl.col("_flips") % 2 == 1)
        .then(flipped)
        .otherwise(pl.col("_before"))
        .alias("state")
    ).drop("_set", "_segment", "_before", "_flips")
