"""The window's state changes, read from the recorder's tables into one frame with origins.

The tables come as Arrow columns where a driver allows (see recorder_tables.py): the states of
the window are read alone and everything else (entity ids, old states, attributes, who caused
each change) is looked up in polars, vectorised, without copying the window.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import polars as pl

from homehabits.domains import KEPT_ATTRIBUTES
from homehabits.events import Origin
from homehabits.sources.recorder_tables import Tables

__all__ = ["WindowRows", "attributes_that_matter", "raw_events", "read_window"]

#: State attributes that habits use; everything else stays in the recorder.
_ATTRIBUTES_KEPT: Final = KEPT_ATTRIBUTES  # what the domain table's settings read

# Automations may wait (delay, wait_for_trigger) between firing and acting, so firings are
# looked up a while before the window starts.
_FIRING_LOOKBACK: Final = timedelta(hours=12)
_FIRING_EVENT_TYPES: Final = ("automation_triggered", "script_started")
# Ids per `IN (...)` list when rows are looked up by id.
_IDS_PER_QUERY: Final = 10_000
# Up to this many keys a lookup table is a replacement map, beyond it a binary search.
_SMALL_TABLE: Final = 65_536


def attributes_that_matter(shared_attrs: str | None) -> str | None:
    """The JSON of only the attributes habits use (brightness, colour, temperature, position)."""
    if not shared_attrs:
        return None
    try:
        attributes = json.loads(shared_attrs)
    except ValueError:
        return None
    if not isinstance(attributes, dict):
        return None
    kept = {key: attributes[key] for key in _ATTRIBUTES_KEPT if attributes.get(key) is not None}
    return json.dumps(kept, separators=(",", ":")) if kept else None


@dataclass(frozen=True, slots=True)
class WindowRows:
    """What the recorder holds for a window, as read: the states and what they point at."""

    states: pl.DataFrame  # one row per state change; entity id and old state looked up
    firings: pl.Series  # context ids of automation and script firings (binary)
    attributes: pl.DataFrame  # attributes_id -> the JSON of the attributes that matter


def read_window(tables: Tables, start_ts: float, end_ts: float) -> WindowRows:
    """The state rows with start_ts <= last_updated_ts < end_ts, and what they point at."""
    firings = _firing_context_ids(tables, start_ts - _FIRING_LOOKBACK.total_seconds(), end_ts)
    states = _state_rows(tables, start_ts, end_ts)
    attributes = _attributes_of(tables, states["attributes_id"])
    return WindowRows(states=states, firings=firings, attributes=attributes)


def raw_events(rows: WindowRows, service_ids: frozenset[str]) -> pl.DataFrame:
    """The rows with their attributes and origin, in Home Assistant's write order."""
    states = rows.states
    states = states.with_columns(_looked_up(states["attributes_id"], rows.attributes)).drop(
        "attributes_id"
    )
    # Same time, same order on every database: Home Assistant's own write order.
    return _in_write_order(_with_origin(states, rows.firings, service_ids))


def _firing_context_ids(tables: Tables, start_ts: float, end_ts: float) -> pl.Series:
    """Context ids of automation and script firings: states sharing one were caused by them."""
    types = ", ".join(f"'{event_type}'" for event_type in _FIRING_EVENT_TYPES)
    found = tables.frame(
        "SELECT e.context_id_bin AS context FROM events e "
        "JOIN event_types t ON t.event_type_id = e.event_type_id "
        f"WHERE t.event_type IN ({types}) AND e.time_fired_ts >= :start "
        "AND e.time_fired_ts < :end AND e.context_id_bin IS NOT NULL",
        {"context": pl.Binary()},
        {"start": start_ts, "end": end_ts},
    )
    return _filled(found["context"])


def _state_rows(tables: Tables, start_ts: float, end_ts: float) -> pl.DataFrame:
    """The window's state rows with entity id and old state, read as Arrow columns.

    The states table is read alone (a range scan on last_updated_ts); entity ids and old
    states are joined in polars, which is several times faster than joining in SQL.
    """
    if tables.dialect == "sqlite":
        # SQLite's driver types each column from the first batch of rows: a context column
        # NULL all through it would be taken for integers, so NULL comes as an empty blob.
        time, state = "CAST(last_updated_ts AS REAL)", "CAST(state AS TEXT)"
        context, user = "ifnull(context_id_bin, x'')", "ifnull(context_user_id_bin, x'')"
    else:
        time, state = "last_updated_ts", "state"
        context, user = "context_id_bin", "context_user_id_bin"
    # Only whether a parent context is there matters: the window's largest column stays home.
    parent = "CASE WHEN length(context_parent_id_bin) > 0 THEN 1 ELSE 0 END"
    frame = tables.frame(
        f"SELECT state_id, {time} AS time, metadata_id, {state} AS state, old_state_id, "
        f"{context} AS context_id, {user} AS user_id, {parent} AS has_parent, attributes_id "
        "FROM states "
        "WHERE last_updated_ts >= :start AND last_updated_ts < :end AND state IS NOT NULL",
        {
            "state_id": pl.Int64(),
            "time": pl.Float64(),
            "metadata_id": pl.Int64(),
            "state": pl.String(),
            "old_state_id": pl.Int64(),
            "context_id": pl.Binary(),
            "user_id": pl.Binary(),
            "has_parent": pl.Int64(),
            "attributes_id": pl.Int64(),
        },
        {"start": start_ts, "end": end_ts},
    )
    frame = frame.with_columns(_filled(frame["context_id"]), _as_hex(frame["user_id"]))
    entity_ids = tables.frame(
        "SELECT metadata_id, entity_id FROM states_meta",
        {"metadata_id": pl.Int64(), "entity_id": pl.String()},
    )
    old_states = _old_states(tables, frame)
    return frame.with_columns(
        _looked_up(frame["metadata_id"], entity_ids), _looked_up(frame["old_state_id"], old_states)
    ).drop("metadata_id", "old_state_id")


def _looked_up(keys: pl.Series, table: pl.DataFrame) -> pl.Series:
    """The value the two-column table (key, value) holds for each key, in the keys' order.

    The window itself is never joined (that would copy it): a small table (entity ids,
    attributes) is a replacement map, a large one (old states) a binary search in its keys.
    """
    key, value = table.columns
    dtype = table[value].dtype
    if table.is_empty():
        return pl.repeat(None, keys.len(), dtype=dtype, eager=True).alias(value)
    if table.height <= _SMALL_TABLE:
        found = keys.replace_strict(table[key], table[value], default=None, return_dtype=dtype)
        return found.alias(value)
    if not table[key].is_sorted():
        table = table.sort(key)
    places = table[key].search_sorted(keys).clip(0, table.height - 1)
    same = table[key].gather(places) == keys
    return pl.select(pl.when(same).then(table[value].gather(places)).alias(value)).to_series()


def _by_ids(
    tables: Tables, sql: str, ids: list[int], schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    """Rows looked up by id, `{ids}` in `sql` standing for a list of them."""
    found = [pl.DataFrame(schema=schema)]
    for first in range(0, len(ids), _IDS_PER_QUERY):
        # integers from the recorder itself, written as digits: nothing to quote
        listed = ", ".join(str(int(number)) for number in ids[first : first + _IDS_PER_QUERY])
        found.append(tables.frame(sql.format(ids=listed), schema))
    return pl.concat(found)


def _old_states(tables: Tables, frame: pl.DataFrame) -> pl.DataFrame:
    """The state each row's old_state_id points at: from the window, else read by id."""
    in_window = frame.select(
        pl.col("state_id").alias("old_state_id"), pl.col("state").alias("old_state")
    )
    wanted = frame["old_state_id"].drop_nulls().unique()
    earlier = wanted.filter(~wanted.is_in(in_window["old_state_id"].implode())).sort().to_list()
    before = _by_ids(
        tables,
        "SELECT state_id, state FROM states WHERE state_id IN ({ids})",
        earlier,
        {"old_state_id": pl.Int64(), "old_state": pl.String()},
    )
    # earlier rows first: the ids then mostly come sorted and the lookup need not sort them
    return pl.concat([before, in_window])


def _attributes_of(tables: Tables, attributes_ids: pl.Series) -> pl.DataFrame:
    """The attributes that matter, per attributes_id; shared rows are read once each."""
    wanted = attributes_ids.drop_nulls().unique().sort().to_list()
    found = _by_ids(
        tables,
        "SELECT attributes_id, shared_attrs FROM state_attributes WHERE attributes_id IN ({ids})",
        wanted,
        {"attributes_id": pl.Int64(), "shared_attrs": pl.String()},
    )
    kept = [attributes_that_matter(text) for text in found["shared_attrs"].to_list()]
    return pl.DataFrame(
        {"attributes_id": found["attributes_id"], "attributes": kept},
        schema={"attributes_id": pl.Int64(), "attributes": pl.String()},
    )


def _in_write_order(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows by time, then state_id; SQLite's index scan mostly gives them so already."""
    time, state_id = frame["time"], frame["state_id"]
    later = time.diff() > 0
    tie_in_order = (time.diff() == 0) & (state_id.diff() > 0)
    if frame.height < 2 or (later | tie_in_order).slice(1).all():
        return frame  # sorting would copy the whole window for nothing
    return frame.sort("time", "state_id")


def _with_origin(
    raw: pl.DataFrame, firings: pl.Series, service_ids: frozenset[str]
) -> pl.DataFrame:
    """Who caused each change, from its context; vectorised over the whole window."""
    user, context = pl.col("user_id"), pl.col("context_id")
    origin = (
        pl.when(user.is_not_null() & user.is_in(list(service_ids)))
        .then(pl.lit(Origin.SERVICE.value))
        .when(user.is_not_null())
        .then(pl.lit(Origin.USER.value))
        .when(pl.col("has_parent") == 1)
        .then(pl.lit(Origin.AUTOMATION.value))
        # Time- and sun-triggered automations leave user and parent empty; only the context
        # id they share with their firing event tells them apart from a device.
        .when(context.is_in(firings.implode()))
        .then(pl.lit(Origin.AUTOMATION.value))
        .otherwise(pl.lit(Origin.DEVICE.value))
    )
    return raw.with_columns(origin.alias("origin")).drop("context_id", "has_parent")


def _filled(column: pl.Series) -> pl.Series:
    """A context column with empty values (SQLite's stand-in for NULL) as null."""
    return column.set(column.bin.size() == 0, None)


def _as_hex(column: pl.Series) -> pl.Series:
    """A context column as lower-case hex text; empty values become null."""
    return _filled(column).bin.encode("hex")
