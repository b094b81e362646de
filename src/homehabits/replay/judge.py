"""Each fire judged against what people did by hand: useful, idle or wrong; and actions saved.

For each target of each service call, at the moment the call would have run:

- already in the state the call sets: *useful* if a person had set it so by hand within the
  tolerance before (the automation would have done it for them), else *idle*;
- not in it: *useful* if a person set it so by hand within the tolerance after; else *idle*
  if an automation of the home set it so within the tolerance after (the history already
  holds that change, as for an automation being replayed that runs today); else *wrong*
  (it would have changed something the person did not);
- a call whose result is not known (toggle): *useful* if a person acted on the target by
  hand within the tolerance either side, else *wrong*.

"The state the call sets" includes the brightness, colour temperature, set-point or position
it sets, where the EventFrame's attributes show them: a lamp on at 100 % is not yet at the
30 % the call sets. A state before the history starts is unknown: "not in that state". A fire
with several targets is wrong if any target is, else useful if any is, else idle. Saved are
the distinct manual actions the useful fires matched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import polars as pl

from homehabits.domains import DOMAINS, state_after
from homehabits.replay.history import EPOCH, TIME, EntityHistory, History
from homehabits.replay.plan import Call

__all__ = ["IDLE", "USEFUL", "WRONG", "Verdicts", "judge"]

IDLE: Final = 0
USEFUL: Final = 1
WRONG: Final = 2

# service data the EventFrame's attributes can show: the attributes that show it, the factor
# from the data's unit to theirs, and how close counts as the same (about one step of a slider)
_READINGS: Final[Mapping[str, tuple[tuple[str, ...], float, float]]] = {
    "brightness": (("brightness",), 1.0, 13.0),
    "brightness_pct": (("brightness",), 2.55, 13.0),
    "color_temp_kelvin": (("color_temp_kelvin",), 1.0, 150.0),
    "temperature": (("temperature",), 1.0, 0.25),
    "position": (("current_position", "position"), 1.0, 5.0),
}

_JUDGED_SCHEMA: Final = pl.Schema(
    {"fire": pl.UInt32(), "verdict": pl.Int8(), "action_id": pl.UInt32(), "at": TIME}
)


@dataclass(frozen=True, slots=True)
class Verdicts:
    """The verdict of each fire (in fire order), the manual actions saved, the wrong moments."""

    verdicts: pl.Series  # IDLE, USEFUL or WRONG per fire
    saved: int
    wrong_times: tuple[datetime, ...]


def judge(
    fires: pl.Series,
    calls: Sequence[Call],
    history: History,
    tolerance: timedelta,
    skipped: list[str],
) -> Verdicts:
    """Judge every fire (sorted UTC moments) by what each of its calls would have done."""
    fire_ids = pl.DataFrame({"fire": pl.int_range(fires.len(), eager=True, dtype=pl.UInt32)})
    parts = [pl.DataFrame(schema=_JUDGED_SCHEMA)]
    for call in calls:
        moments = fires + timedelta(seconds=call.offset)
        for entity in call.entity_ids:
            wanted = state_after(call.service, call.data, entity_id=entity)
            if wanted is None and entity.split(".", 1)[0] not in DOMAINS:
                skipped.append(f"target {entity} (what it would do is not known)")
                continue
            parts.append(_judge_target(entity, wanted, call.data, moments, history, tolerance))
    judged = pl.concat(parts)
    per_fire = (
        fire_ids.join(judged.group_by("fire").agg(pl.col("verdict").max()), on="fire", how="left")
        .sort("fire")
        .with_columns(pl.col("verdict").fill_null(IDLE))
    )
    useful_fires = per_fire.filter(pl.col("verdict") == USEFUL).select("fire")
    saved = (
        judged.filter(pl.col("verdict") == USEFUL)
        .join(useful_fires, on="fire", how="semi")
        .select(pl.col("action_id").drop_nulls().n_unique())
        .item()
    )
    wrong = judged.filter(pl.col("verdict") == WRONG).group_by("fire").agg(pl.col("at").min())
    return Verdicts(
        verdicts=per_fire["verdict"],
        saved=int(saved),
        wrong_times=tuple(wrong.sort("at")["at"].to_list()),
    )


def _judge_target(
    entity: str,
    wanted: str | None,
    data: Mapping[str, Any],
    moments: pl.Series,
    history: History,
    tolerance: timedelta,
) -> pl.DataFrame:
    """fire, verdict, the manual action it matched (for saved) and when it acted, per fire."""
    at = pl.DataFrame({"at": moments.cast(TIME)}).with_row_index("fire")
    known = history.entity(entity)
    in_wanted = _in_wanted(wanted, data)
    chosen: pl.Series | pl.Expr
    if in_wanted is None:
        # toggle and the like: anything a person did to it by hand near then is "the same"
        done = known.rows.filter("manual").select("time", "action_id")
        chosen = _nearest(at, done, "backward", tolerance).fill_null(
            _nearest(at, done, "forward", tolerance)
        )
        verdict = pl.when(chosen.is_not_null()).then(USEFUL).otherwise(WRONG)
    else:
        timeline = _timeline(known).with_columns(in_wanted.fill_null(False).alias("match"))
        # the rows that put it into the wanted state (and settings), by hand or otherwise
        made = timeline.filter(pl.col("match") & ~pl.col("match").shift(1).fill_null(False))
        done = made.filter("manual").select("time", "action_id")
        before = _nearest(at, done, "backward", tolerance)
        after = _nearest(at, done, "forward", tolerance)
        by_others = _nearest(at, made.filter(~pl.col("manual")), "forward", tolerance)
        already = at.join_asof(
            timeline.select("time", "match"),
            left_on="at",
            right_on="time",
            strategy="backward",
            check_sortedness=False,
        )["match"].fill_null(False)
        verdict = (
            pl.when(already & before.is_not_null())
            .then(USEFUL)
            .when(already)
            .then(IDLE)
            .when(after.is_not_null())
            .then(USEFUL)
            .when(by_others.is_not_null())
            .then(IDLE)
            .otherwise(WRONG)
        )
        chosen = pl.when(already).then(before).otherwise(after)
    return at.select(
        "fire", verdict.cast(pl.Int8).alias("verdict"), chosen.alias("action_id"), "at"
    ).cast(_JUDGED_SCHEMA)


def _in_wanted(wanted: str | None, data: Mapping[str, Any]) -> pl.Expr | None:
    """Whether a row has the target as the call leaves it: its state, and the settings in
    `data` the EventFrame's attributes show (within a step); None when neither is known.

    A setting a row does not show is judged by the state alone.
    """
    parts: list[pl.Expr] = [] if wanted is None else [pl.col("state") == wanted]
    for key, value in data.items():
        reading = _READINGS.get(key)
        if reading is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        names, scale, step = reading
        shown = pl.coalesce(
            [
                pl.col("attributes").str.json_path_match(f"$.{name}").cast(pl.Float64, strict=False)
                for name in names
            ]
        )
        parts.append(((shown - float(value) * scale).abs() <= step).fill_null(wanted is not None))
    if not parts:
        return None
    rule = parts[0]
    for part in parts[1:]:
        rule = rule & part
    return rule


def _timeline(known: EntityHistory) -> pl.DataFrame:
    """Every row of an entity, after the state it had before its first row (when known)."""
    start = known.changes.filter(pl.col("time") == EPOCH).select(
        "time",
        "state",
        pl.lit(None, dtype=pl.String()).alias("prev"),
        pl.lit(True).alias("changed"),
        pl.lit(False).alias("manual"),
        pl.lit(None, dtype=pl.UInt32()).alias("action_id"),
        pl.lit(None, dtype=pl.String()).alias("attributes"),
    )
    return pl.concat([start, known.rows], how="vertical_relaxed")


def _nearest(
    at: pl.DataFrame, done: pl.DataFrame, strategy: str, tolerance: timedelta
) -> pl.Series:
    """The id of the manual action nearest before (or after) each moment, within the tolerance."""
    joined = at.join_asof(
        done,
        left_on="at",
        right_on="time",
        strategy=strategy,  # type: ignore[arg-type]
        tolerance=tolerance,
        check_sortedness=False,
    )
    return joined["action_id"]
