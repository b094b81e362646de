"""Service accounts found without configuration: users whose actions look machine-made."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import polars as pl

from homehabits.context import HomeContext, HomeUser
from homehabits.events import Origin

__all__ = ["ServiceAccountProposal", "count_as_service", "propose_service_accounts"]

#: Names of the tools that act on Home Assistant through a user of their own.
_TOOL_NAME: Final = re.compile(
    r"node[\s_-]?red|app[\s_-]?daemon|homehabits|pyscript|\bn8n\b|\bbot\b", re.IGNORECASE
)
#: Days on which a user must act at the very same second of the day to look like a timer.
_SAME_SECOND_DAYS: Final = 3
#: Days with bursts (several entities changed within a second) that a person does not make.
_BURST_DAYS: Final = 3
_BURST_SECONDS: Final = 1.0


@dataclass(frozen=True, slots=True)
class ServiceAccountProposal:
    """A Home Assistant user that looks like a service account, and why, in words."""

    user_id: str
    name: str
    evidence: tuple[str, ...]

    def as_dict(self) -> dict[str, str]:
        """The proposal as the run record keeps it."""
        return {"user_id": self.user_id, "name": self.name, "evidence": "; ".join(self.evidence)}

    def warning(self) -> str:
        """The sentence the owner reads in the run record and `check`."""
        return (
            f"user '{self.name}' looks like a service account: {'; '.join(self.evidence)} "
            "— add it to HOMEHABITS_SERVICE_USERS (or confirm it on the review page)"
        )


def propose_service_accounts(
    frame: pl.DataFrame, context: HomeContext
) -> list[ServiceAccountProposal]:
    """The users linked to no person whose actions in `frame` look machine-made.

    Only users the source knows in detail are judged (a linked person needs `.storage/person`
    or the live API); users already counted as service accounts are left out.
    """
    already = {_plain(user_id) for user_id in context.service_user_ids}
    if context.dedicated_own_user_id:
        already.add(_plain(context.dedicated_own_user_id))
    candidates = {
        user_id: user
        for user_id, user in context.user_details.items()
        if user.person is None and not user.is_owner and user_id not in already
    }
    if not candidates or frame.is_empty():
        return []
    acts = frame.filter(
        pl.col("user_id").is_not_null() & (pl.col("origin") == Origin.USER.value)
    ).with_columns(pl.col("user_id").str.replace_all("-", "").str.to_lowercase().alias("user_id"))
    acts = acts.filter(pl.col("user_id").is_in(list(candidates))).sort("user_id", "time")
    if acts.is_empty():
        return []
    same_second = _same_second_days(acts, context.time_zone)
    bursts = _burst_days(acts, context.time_zone)
    proposals: list[ServiceAccountProposal] = []
    for user_id in acts.get_column("user_id").unique().sort().to_list():
        evidence = _evidence(candidates[user_id], same_second.get(user_id), bursts.get(user_id))
        if evidence:
            proposals.append(
                ServiceAccountProposal(user_id, candidates[user_id].name, tuple(evidence))
            )
    return proposals


def _evidence(
    user: HomeUser, same_second: tuple[str, int] | None, bursts: tuple[int, int] | None
) -> list[str]:
    evidence: list[str] = []
    if user.system_generated:
        evidence.append("Home Assistant made this user itself (system-generated)")
    if _TOOL_NAME.search(user.name):
        evidence.append(f"its name '{user.name}' is that of an automation tool")
    if same_second is not None:
        clock, days = same_second
        evidence.append(f"it acted at exactly {clock} on {days} different days")
    if bursts is not None:
        days, times = bursts
        evidence.append(
            f"it changed several entities within a second {times} times, on {days} days "
            "(faster than a person)"
        )
    if evidence:
        evidence.append("no person is linked to it")
    return evidence


def _same_second_days(acts: pl.DataFrame, time_zone: str) -> dict[str, tuple[str, int]]:
    """Per user: the second of the day it acted at on the most days, when that is a timer's."""
    local = pl.col("time").dt.convert_time_zone(time_zone)
    counted = (
        acts.with_columns(
            local.dt.strftime("%H:%M:%S").alias("clock"), local.dt.date().alias("day")
        )
        .group_by("user_id", "clock")
        .agg(pl.col("day").n_unique().alias("days"))
        .filter(pl.col("days") >= _SAME_SECOND_DAYS)
        .sort("days", "clock", descending=[True, False])
        .unique("user_id", keep="first", maintain_order=True)
    )
    return {row["user_id"]: (row["clock"], row["days"]) for row in counted.iter_rows(named=True)}


def _burst_days(acts: pl.DataFrame, time_zone: str) -> dict[str, tuple[int, int]]:
    """Per user: (days, times) it changed another entity within a second of its last action."""
    gap = (pl.col("time") - pl.col("time").shift(1)).over("user_id").dt.total_microseconds()
    other_entity = pl.col("entity_id") != pl.col("entity_id").shift(1).over("user_id")
    counted = (
        acts.with_columns(
            ((gap < _BURST_SECONDS * 1_000_000) & other_entity).fill_null(False).alias("burst"),
            pl.col("time").dt.convert_time_zone(time_zone).dt.date().alias("day"),
        )
        .filter(pl.col("burst"))
        .group_by("user_id")
        .agg(pl.col("day").n_unique().alias("days"), pl.len().alias("times"))
        .filter(pl.col("days") >= _BURST_DAYS)
    )
    return {row["user_id"]: (row["days"], row["times"]) for row in counted.iter_rows(named=True)}


def _plain(user_id: str) -> str:
    return user_id.strip().replace("-", "").lower()


def count_as_service(frame: pl.DataFrame, user_ids: Iterable[str]) -> pl.DataFrame:
    """The frame with the actions of these users marked origin=service (so never mined)."""
    ids = sorted({_plain(user_id) for user_id in user_ids})
    if not ids or frame.is_empty():
        return frame
    user = pl.col("user_id").str.replace_all("-", "").str.to_lowercase()
    return frame.with_columns(
        pl.when(user.is_in(ids))
        .then(pl.lit(Origin.SERVICE.value))
        .otherwise(pl.col("origin").cast(pl.String))
        .cast(frame.schema["origin"])
        .alias("origin")
    )
