"""When each trigger of an automation would have fired, from the home's history (UTC moments).

Home Assistant's rules, as far as a history can show them: a `time` trigger fires at that
local clock time every day (a time the spring-forward skips does not fire; one the fall-back
repeats fires once, the first time); a `sun` trigger at sunrise/sunset plus its offset; a
`state` trigger on each change of state that matches `to`/`from` (with neither, attribute
updates fire too), and with `for` only once it held that long (the state it changed to; with
`from` and no `to`, anything but the state it left); a `numeric_state`
trigger when the value enters the range from outside it; a `zone` trigger (zone.home only)
when a person's state becomes or stops being `home`. Anything else never fires.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Final

import polars as pl

from homehabits.automations.fields import WEEKDAY_NAMES, duration_to_seconds, parse_time_text
from homehabits.replay.history import TIME, History

__all__ = [
    "entity_list",
    "fire_times",
    "hold_times",
    "in_range",
    "numeric_limits_known",
    "state_list",
]

_TIME_ONLY: Final = r"^\d{1,2}:\d{2}(:\d{2})?$"
_DATE_TIME: Final = r"^\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?$"


def fire_times(trigger: Any, history: History, skipped: list[str]) -> pl.Series:
    """Every moment the trigger fires (unsorted, UTC); unknown triggers go to `skipped`."""
    if not isinstance(trigger, Mapping):
        skipped.append("trigger (not a mapping)")
        return _none()
    platform = str(trigger.get("trigger", ""))
    reader = _READERS.get(platform)
    if reader is None:
        skipped.append(f"trigger {platform or '(no platform)'}")
        return _none()
    return reader(trigger, history, skipped)


def state_list(value: Any) -> list[str] | None:
    """The states a `to`/`from`/`state` key names; None when it names none (absent or null)."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return [str(value)]


def entity_list(value: Any) -> list[str]:
    """The entity ids of an `entity_id` key: one, a comma-separated text, or a list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return []


def hold_times(
    starts: pl.DataFrame, breaks: pl.DataFrame, seconds: float, *, by: str | None = None
) -> pl.Series:
    """The `time` of each start plus `seconds`, where no break came in between (`for`).

    With `by`, a start is broken only by a break with the same value in that column.
    """
    if seconds <= 0:
        return starts["time"].cast(TIME)
    keys = [by] if by else []
    left = starts.select(pl.col("time").cast(TIME).alias("t"), *keys).sort("t")
    right = breaks.select(pl.col("time").cast(TIME).alias("b"), *keys).sort("b")
    joined = left.join_asof(
        right,
        left_on="t",
        right_on="b",
        by=by,
        strategy="forward",
        allow_exact_matches=False,
        check_sortedness=False,
    )
    fire = pl.col("t") + timedelta(seconds=seconds)
    return joined.filter(pl.col("b").is_null() | (pl.col("b") >= fire)).select(fire).to_series()


def in_range(value: pl.Expr, rule: Mapping[str, Any]) -> pl.Expr:
    """Whether a number is above `above` and below `below` (both strict); false if unknown."""
    holds = value.is_not_null()
    if isinstance(rule.get("above"), int | float):
        holds = holds & (value > float(rule["above"]))
    if isinstance(rule.get("below"), int | float):
        holds = holds & (value < float(rule["below"]))
    return holds.fill_null(False)


def numeric_limits_known(rule: Mapping[str, Any]) -> bool:
    """Whether `above`/`below` are plain numbers (not an input_number entity) and one is set."""
    limits = [rule.get(key) for key in ("above", "below") if key in rule]
    return bool(limits) and all(
        isinstance(limit, int | float) and not isinstance(limit, bool) for limit in limits
    )


def _none() -> pl.Series:
    return pl.Series("t", [], dtype=TIME)


def _hold_seconds(trigger: Mapping[str, Any], skipped: list[str]) -> float | None:
    """The `for` of a trigger in seconds (0 without one); None when the replay cannot read it."""
    if "for" not in trigger:
        return 0.0
    seconds = duration_to_seconds(trigger["for"])
    if seconds is None:
        skipped.append("trigger for (a template)")
    return seconds


def _state(trigger: Mapping[str, Any], history: History, skipped: list[str]) -> pl.Series:
    if "attribute" in trigger:
        skipped.append("trigger state on an attribute")
        return _none()
    hold = _hold_seconds(trigger, skipped)
    if hold is None:
        return _none()
    to, from_ = state_list(trigger.get("to")), state_list(trigger.get("from"))
    not_to, not_from = state_list(trigger.get("not_to")), state_list(trigger.get("not_from"))
    # with none of to/from/not_to/not_from, attribute updates fire too (Home Assistant's rule)
    filtered = any(key in trigger for key in ("to", "from", "not_to", "not_from"))
    matches = pl.lit(True)
    if to is not None:
        matches = matches & pl.col("state").is_in(to)
    if not_to is not None:
        matches = matches & ~pl.col("state").is_in(not_to)
    fires = []
    for entity in entity_list(trigger.get("entity_id")):
        known = history.entity(entity)
        starts = known.rows.filter(matches & pl.col("changed") if filtered else matches)
        if from_ is not None:
            starts = starts.filter(pl.col("prev").is_in(from_).fill_null(False))
        if not_from is not None:
            starts = starts.filter((~pl.col("prev").is_in(not_from)).fill_null(False))
        if from_ is not None and to is None:
            # from without to: the wait lasts while it stays away from the state it left
            fires.append(
                hold_times(
                    starts.select("time", pl.col("prev").alias("state")),
                    known.changes,
                    hold,
                    by="state",
                )
            )
        else:
            # else while it stays in the very state it changed to (on → playing ends it)
            fires.append(hold_times(starts, known.changes, hold))
    return pl.concat(fires) if fires else _none()


def _numeric_state(trigger: Mapping[str, Any], history: History, skipped: list[str]) -> pl.Series:
    if "attribute" in trigger or "value_template" in trigger or not numeric_limits_known(trigger):
        skipped.append("trigger numeric_state (attribute, template or entity limits)")
        return _none()
    hold = _hold_seconds(trigger, skipped)
    if hold is None:
        return _none()
    now = in_range(pl.col("state").cast(pl.Float64, strict=False), trigger)
    before = in_range(pl.col("prev").cast(pl.Float64, strict=False), trigger)
    fires = []
    for entity in entity_list(trigger.get("entity_id")):
        rows = history.entity(entity).rows
        # it fires on entering the range; an unknown previous value is not "outside" it
        starts = rows.filter(now & pl.col("prev").is_not_null() & ~before)
        fires.append(hold_times(starts, rows.filter(~now), hold))
    return pl.concat(fires) if fires else _none()


def _zone(trigger: Mapping[str, Any], history: History, skipped: list[str]) -> pl.Series:
    event = trigger.get("event", "enter")
    if trigger.get("zone") != "zone.home" or event not in ("enter", "leave"):
        skipped.append("trigger zone (only zone.home is replayed)")
        return _none()
    home_now, home_before = pl.col("state") == "home", pl.col("prev") == "home"
    moved = home_now & ~home_before if event == "enter" else home_before & ~home_now
    fires = [
        history.entity(person).rows.filter(pl.col("changed") & moved.fill_null(False))["time"]
        for person in entity_list(trigger.get("entity_id"))
    ]
    return pl.concat(fires) if fires else _none()


def _sun(trigger: Mapping[str, Any], history: History, skipped: list[str]) -> pl.Series:
    event = trigger.get("event")
    offset = duration_to_seconds(trigger.get("offset", 0))
    if history.sun is None or event not in ("sunrise", "sunset") or offset is None:
        skipped.append("trigger sun (no home location, or an unreadable event or offset)")
        return _none()
    return history.sun.select(pl.col(event) + timedelta(seconds=offset)).drop_nulls().to_series()


def _time(trigger: Mapping[str, Any], history: History, skipped: list[str]) -> pl.Series:
    days = pl.DataFrame(history.local_days())
    weekdays = state_list(trigger.get("weekday"))
    if weekdays is not None:
        # polars numbers Monday 1 … Sunday 7
        wanted = [WEEKDAY_NAMES.index(day) + 1 for day in weekdays if day in WEEKDAY_NAMES]
        days = days.filter(pl.col("date").dt.weekday().is_in(wanted))
    walls: list[pl.DataFrame] = []
    ats = trigger.get("at")
    for at in ats if isinstance(ats, list | tuple) else [ats]:
        clock = parse_time_text(at)
        if clock is not None:
            hour, minute, second = clock
            walls.append(
                days.select(
                    (
                        pl.col("date").cast(pl.Datetime("us"))
                        + pl.duration(hours=hour, minutes=minute, seconds=second)
                    ).alias("wall")
                )
            )
        elif isinstance(at, str) and at.split(".", 1)[0] == "input_datetime":
            walls.append(_entity_times(at, history, days))
        else:
            skipped.append("trigger time (an `at` the replay cannot read)")
    if not walls:
        return _none()
    wall = pl.concat(walls)
    return wall.select(_localised(pl.col("wall"), history.time_zone)).drop_nulls().to_series()


def _entity_times(entity: str, history: History, days: pl.DataFrame) -> pl.DataFrame:
    """The local wall moments an input_datetime sets: its time on each day it holds it."""
    changes = history.entity(entity).changes
    daily = (
        changes.filter(pl.col("state").str.contains(_TIME_ONLY))
        .with_columns(pl.col("state").str.to_time("%H:%M:%S", strict=False).alias("clock"))
        .join(days, how="cross")
        .with_columns(
            (
                pl.col("date").cast(pl.Datetime("us"))
                + pl.duration(nanoseconds=pl.col("clock").cast(pl.Int64))
            ).alias("wall")
        )
    )
    once = changes.filter(pl.col("state").str.contains(_DATE_TIME)).with_columns(
        pl.col("state")
        .str.replace("T", " ")
        .str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
        .alias("wall")
    )
    both = pl.concat([daily.select("time", "until", "wall"), once.select("time", "until", "wall")])
    moment = _localised(pl.col("wall"), history.time_zone)
    # the entity must hold that value when the moment comes
    held = (moment >= pl.col("time")) & (pl.col("until").is_null() | (moment < pl.col("until")))
    return both.filter(held.fill_null(False)).select("wall")


def _localised(wall: pl.Expr, time_zone: str) -> pl.Expr:
    """A local wall clock reading as UTC; null where the spring-forward skips it."""
    return (
        wall.dt.replace_time_zone(time_zone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .cast(TIME)
        .alias("t")
    )


_Reader = Callable[[Mapping[str, Any], History, list[str]], pl.Series]
_READERS: Final[dict[str, _Reader]] = {
    "state": _state,
    "numeric_state": _numeric_state,
    "zone": _zone,
    "sun": _sun,
    "time": _time,
}
