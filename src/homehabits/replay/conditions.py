"""Which fires an automation's conditions let through, each judged at the moment it fired.

Home Assistant's rules: `time` holds from `after` until `before` on the local clock (a window
across midnight when after > before) on the listed weekdays; `sun` compares with that local
day's sunrise/sunset plus the offset (before sunrise *and* after sunset means either); `state`
and `numeric_state` read each entity's state at that moment (all of them, or any with
`match: any`), `state` with `for` only once it held that long; `and`/`or`/`not` combine, and
a list means all. A state the history does not know (before the entity's first row) does not
hold. Templates, triggers' ids, devices and attributes cannot be replayed: they never hold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Final

import polars as pl

from homehabits.automations.fields import WEEKDAY_NAMES, duration_to_seconds, parse_time_text
from homehabits.replay.history import History
from homehabits.replay.triggers import entity_list, in_range, numeric_limits_known, state_list

__all__ = ["holds"]

_LOGIC: Final = ("and", "or", "not")


def holds(condition: Any, fires: pl.DataFrame, history: History, skipped: list[str]) -> pl.Series:
    """For each fire (`t`, UTC), whether the condition (or list of them, all) holds then."""
    if isinstance(condition, list | tuple):
        return _all([holds(item, fires, history, skipped) for item in condition], fires.height)
    if isinstance(condition, str):
        skipped.append("condition template")
        return _never(fires.height)
    if not isinstance(condition, Mapping):
        skipped.append("condition (not a mapping)")
        return _never(fires.height)
    if condition.get("enabled") is False:
        return pl.Series("holds", [True] * fires.height, dtype=pl.Boolean)
    kind = condition.get("condition")
    if kind is None:
        shorthand = next((key for key in _LOGIC if key in condition), None)
        if shorthand is None:
            skipped.append("condition (no kind)")
            return _never(fires.height)
        return _logic(shorthand, condition[shorthand], fires, history, skipped)
    if kind in _LOGIC:
        return _logic(str(kind), condition.get("conditions", []), fires, history, skipped)
    reader = _READERS.get(str(kind))
    if reader is None:
        skipped.append(f"condition {kind}")
        return _never(fires.height)
    return reader(condition, fires, history, skipped).fill_null(False).alias("holds")


def _never(height: int) -> pl.Series:
    return pl.Series("holds", [False] * height, dtype=pl.Boolean)


def _all(parts: list[pl.Series], height: int) -> pl.Series:
    result = pl.Series("holds", [True] * height, dtype=pl.Boolean)
    for part in parts:
        result = result & part
    return result


def _logic(
    kind: str, value: Any, fires: pl.DataFrame, history: History, skipped: list[str]
) -> pl.Series:
    items = value if isinstance(value, list | tuple) else [value]
    parts = [holds(item, fires, history, skipped) for item in items]
    if kind == "and":
        return _all(parts, fires.height)
    anyone = _never(fires.height)
    for part in parts:
        anyone = anyone | part
    return anyone if kind == "or" else ~anyone


def _local(history: History) -> pl.Expr:
    """The fire's moment on the home's local clock."""
    return pl.col("t").dt.convert_time_zone(history.time_zone)


def _time(
    condition: Mapping[str, Any], fires: pl.DataFrame, history: History, skipped: list[str]
) -> pl.Series:
    bounds: dict[str, float] = {}
    for key in ("after", "before"):
        if key not in condition:
            continue
        clock = parse_time_text(condition[key])
        if clock is None:
            skipped.append(f"condition time {key} (an entity or unreadable time)")
            return _never(fires.height)
        bounds[key] = clock[0] * 3600 + clock[1] * 60 + clock[2]
    local = _local(history)
    seconds = (
        local.dt.hour().cast(pl.Float64) * 3600
        + local.dt.minute().cast(pl.Float64) * 60
        + local.dt.second().cast(pl.Float64)
        + local.dt.microsecond().cast(pl.Float64) / 1e6
    )
    after, before = bounds.get("after", 0.0), bounds.get("before", 86_400.0)
    if after < before:
        window = (seconds >= after) & (seconds < before)
    else:
        # after > before: a window across midnight
        window = ~((seconds >= before) & (seconds < after))
    days = state_list(condition.get("weekday"))
    if days is not None:
        wanted = [WEEKDAY_NAMES.index(day) + 1 for day in days if day in WEEKDAY_NAMES]
        window = window & local.dt.weekday().is_in(wanted)
    return fires.select(window).to_series()


def _sun(
    condition: Mapping[str, Any], fires: pl.DataFrame, history: History, skipped: list[str]
) -> pl.Series:
    before, after = condition.get("before"), condition.get("after")
    offsets = {
        key: duration_to_seconds(condition.get(key, 0)) for key in ("before_offset", "after_offset")
    }
    known = {None, "sunrise", "sunset"}
    if history.sun is None or before not in known or after not in known or None in offsets.values():
        skipped.append("condition sun (no home location, or an unreadable event or offset)")
        return _never(fires.height)
    days = fires.select("t", _local(history).dt.date().alias("date")).join(
        history.sun, on="date", how="left", maintain_order="left"
    )
    t = pl.col("t")
    wanted_before = pl.col(str(before)) + timedelta(seconds=offsets["before_offset"] or 0.0)
    wanted_after = pl.col(str(after)) + timedelta(seconds=offsets["after_offset"] or 0.0)
    if before == "sunrise" and after == "sunset":
        # Home Assistant reads this pair as "before sunrise or after sunset": the night
        rule = (t < wanted_before) | (t > wanted_after)
    else:
        rule = pl.lit(True)
        if before is not None:
            rule = rule & (t <= wanted_before)
        if after is not None:
            rule = rule & (t >= wanted_after)
    return days.select(rule.fill_null(False)).to_series()


def _each_entity(
    condition: Mapping[str, Any],
    fires: pl.DataFrame,
    history: History,
    test: Callable[[pl.DataFrame], pl.Series],
) -> pl.Series:
    """The test on each entity's state at each fire, all of them (or any with match: any)."""
    results = [
        test(history.state_at(entity, fires["t"]).with_columns(fires["t"]))
        for entity in entity_list(condition.get("entity_id"))
    ]
    if not results:
        return _never(fires.height)
    if condition.get("match") == "any":
        anyone = _never(fires.height)
        for result in results:
            anyone = anyone | result
        return anyone
    return _all(results, fires.height)


def _state(
    condition: Mapping[str, Any], fires: pl.DataFrame, history: History, skipped: list[str]
) -> pl.Series:
    wanted = state_list(condition.get("state"))
    hold = duration_to_seconds(condition.get("for", 0))
    if "attribute" in condition or wanted is None or hold is None:
        skipped.append("condition state (an attribute, no state, or an unreadable for)")
        return _never(fires.height)
    rule = pl.col("state").is_in(wanted) & (
        pl.col("t") - pl.col("since") >= timedelta(seconds=hold)
    )

    def test(states: pl.DataFrame) -> pl.Series:
        return states.select(rule.fill_null(False)).to_series()

    return _each_entity(condition, fires, history, test)


def _numeric_state(
    condition: Mapping[str, Any], fires: pl.DataFrame, history: History, skipped: list[str]
) -> pl.Series:
    if (
        "attribute" in condition
        or "value_template" in condition
        or not numeric_limits_known(condition)
    ):
        skipped.append("condition numeric_state (attribute, template or entity limits)")
        return _never(fires.height)
    rule = in_range(pl.col("state").cast(pl.Float64, strict=False), condition)

    def test(states: pl.DataFrame) -> pl.Series:
        return states.select(rule).to_series()

    return _each_entity(condition, fires, history, test)


def _zone(
    condition: Mapping[str, Any], fires: pl.DataFrame, history: History, skipped: list[str]
) -> pl.Series:
    if condition.get("zone") != "zone.home":
        skipped.append("condition zone (only zone.home is replayed)")
        return _never(fires.height)

    def test(states: pl.DataFrame) -> pl.Series:
        return states.select((pl.col("state") == "home").fill_null(False)).to_series()

    return _each_entity(condition, fires, history, test)


_Reader = Callable[[Mapping[str, Any], pl.DataFrame, History, list[str]], pl.Series]
_READERS: Final[dict[str, _Reader]] = {
    "time": _time,
    "sun": _sun,
    "state": _state,
    "numeric_state": _numeric_state,
    "zone": _zone,
}
