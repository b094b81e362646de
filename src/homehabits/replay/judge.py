"""Each fire judged against what people did by hand: useful, idle or wrong; and actions saved.

For each target of each service call, at the moment the call would have run: when the target
was already in the state the call sets, the fire is *useful* if a person had set it so by hand
within the tolerance before (the automation would have done it for them), else *idle*; when
it was not, the fire is *useful* if a person set it so by hand within the tolerance after,
else *idle* if an automation of the home set it so within the tolerance after (the history
already holds that change: an automation being replayed that runs today), else *wrong* (it
would have changed something the person did not). A call whose resulting
state depends on its data (toggle, a set-point) is useful when a person acted on the target
by hand within the tolerance either side, else wrong. A fire with several targets is wrong if
any target is, else useful if any is, else idle. A state before the history starts is unknown
and counts as "not in that state".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import polars as pl

from homehabits.domains import DOMAINS, state_after
from homehabits.replay.history import TIME, History
from homehabits.replay.plan import Call

__all__ = ["IDLE", "USEFUL", "WRONG", "Verdicts", "judge"]

IDLE: Final = 0
USEFUL: Final = 1
WRONG: Final = 2

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
            parts.append(_judge_target(entity, wanted, moments, history, tolerance))
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
    moments: pl.Series,
    history: History,
    tolerance: timedelta,
) -> pl.DataFrame:
    """fire, verdict, the manual action it matched (for saved) and when it acted, per fire."""
    at = pl.DataFrame({"at": moments.cast(TIME)}).with_row_index("fire")
    rows = history.entity(entity).rows
    if wanted is not None:
        rows = rows.filter(pl.col("changed") & (pl.col("state") == wanted))
    done = rows.filter("manual").select("time", "action_id")
    before = _nearest(at, done, "backward", tolerance)
    after = _nearest(at, done, "forward", tolerance)
    chosen: pl.Series | pl.Expr
    if wanted is None:
        matched = before.fill_null(after)
        verdict = pl.when(matched.is_not_null()).then(USEFUL).otherwise(WRONG)
        chosen = matched
    else:
        now = history.state_at(entity, at["at"])["state"]
        already = (now == wanted).fill_null(False)
        verdict = (
            pl.when(already & before.is_not_null())
            .then(USEFUL)
            .when(already)
            .then(IDLE)
            .when(after.is_not_null())
            .then(USEFUL)
            .when(_nearest(at, rows.filter(~pl.col("manual")), "forward", tolerance).is_not_null())
            .then(IDLE)
            .otherwise(WRONG)
        )
        chosen = pl.when(already).then(before).otherwise(after)
    return at.select(
        "fire", verdict.cast(pl.Int8).alias("verdict"), chosen.alias("action_id"), "at"
    ).cast(_JUDGED_SCHEMA)


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
