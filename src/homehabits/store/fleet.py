"""The fleet's reads of the store: which homes are done for a night, the homes, a home's runs.

Rows of a fleet carry a `home_id`; the single home's rows keep NULL and only `home_runs`
(asked for the single home) reads them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from homehabits.store._transaction import transaction
from homehabits.store.engine import Sessions
from homehabits.store.records import RunRecord, RunStatus
from homehabits.store.runs import _run_record
from homehabits.store.tables import AnalysisRunRow, SuggestionRow

__all__ = ["FleetHome", "fleet_homes", "home_done_for_night", "home_runs"]

_FINISHED = (RunStatus.SUCCEEDED, RunStatus.PARTIAL)


@dataclass(frozen=True, slots=True)
class FleetHome:
    """One home of the fleet database: its latest run and how many suggestions it has."""

    home_id: str
    runs: int
    last_status: RunStatus
    last_window_end: datetime
    suggestions: int


async def home_done_for_night(sessions: Sessions, home_id: str, night: date) -> int | None:
    """The id of a finished run of this home whose window ends on `night` (UTC), or None."""
    async with transaction(sessions, f"reading the runs of home {home_id}", writes=False) as s:
        rows = await s.execute(
            select(AnalysisRunRow.id, AnalysisRunRow.window_end)
            .where(AnalysisRunRow.home_id == home_id, AnalysisRunRow.status.in_(_FINISHED))
            .order_by(AnalysisRunRow.id.desc())
        )
        for run_id, window_end in rows:
            if window_end.date() == night:
                return int(run_id)
    return None


async def fleet_homes(sessions: Sessions, home_ids: Iterable[str] | None = None) -> list[FleetHome]:
    """The homes with runs in this database, by home id (the single home's runs left out).

    One statement, whatever the number of homes: the review page reads it for its selector.
    """
    wanted = None if home_ids is None else sorted(set(home_ids))
    per_home = (
        select(
            AnalysisRunRow.home_id,
            func.count(AnalysisRunRow.id).label("runs"),
            func.max(AnalysisRunRow.id).label("last_id"),
        )
        .where(
            AnalysisRunRow.home_id.is_not(None),
            *([] if wanted is None else [AnalysisRunRow.home_id.in_(wanted)]),
        )
        .group_by(AnalysisRunRow.home_id)
        .subquery()
    )
    suggestions = (
        select(func.count(SuggestionRow.id))
        .where(SuggestionRow.home_id == per_home.c.home_id)
        .scalar_subquery()
    )
    last = aliased(AnalysisRunRow)
    async with transaction(sessions, "listing the fleet's homes", writes=False) as s:
        rows = await s.execute(
            select(
                per_home.c.home_id, per_home.c.runs, last.status, last.window_end, suggestions
            ).join(last, last.id == per_home.c.last_id)
        )
        homes = [
            FleetHome(
                home_id=str(home),
                runs=int(runs),
                last_status=RunStatus(status),
                last_window_end=window_end,
                suggestions=int(count or 0),
            )
            for home, runs, status, window_end, count in rows
        ]
    # in Python's order of the ids, not the database's collation: the same on every database
    return sorted(homes, key=lambda home: home.home_id)


async def home_runs(sessions: Sessions, home_id: str | None, limit: int = 10) -> list[RunRecord]:
    """One home's runs, newest first: a fleet home's, or (None) the service's own home's."""
    of_home = (
        AnalysisRunRow.home_id.is_(None) if home_id is None else AnalysisRunRow.home_id == home_id
    )
    async with transaction(sessions, f"listing the runs of home {home_id}", writes=False) as s:
        runs = await s.scalars(
            select(AnalysisRunRow)
            .where(of_home)
            .order_by(AnalysisRunRow.started_at.desc(), AnalysisRunRow.id.desc())
            .limit(limit)
        )
        return [_run_record(run) for run in runs]
