"""What every analysis run so far adds up to, summed by the database in one query (for /metrics)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Float, func, select
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from homehabits.store._transaction import transaction
from homehabits.store.engine import Sessions
from homehabits.store.records import RunStatus
from homehabits.store.tables import AnalysisRunRow

__all__ = ["RunTotals", "run_totals"]


@dataclass(frozen=True, slots=True)
class RunTotals:
    """Totals over every stored run; each only grows as runs are added and finish."""

    finished_by_status: dict[RunStatus, int] = field(default_factory=dict)  # running left out
    phase_seconds: dict[str, float] = field(default_factory=dict)
    model_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    suggestions_created: int = 0


async def run_totals(sessions: Sessions, phases: Iterable[str]) -> RunTotals:
    """The totals of every run, with the seconds of each of these phases, in one query.

    The database sums (SUM … GROUP BY status) instead of handing every run to Python.
    """
    phases = tuple(phases)
    run = AnalysisRunRow
    sums: list[ColumnElement[float]] = [
        _total(run.model_calls),
        _total(run.tokens_in),
        _total(run.tokens_out),
        _total(run.cost),
        _total(run.suggestions_created),
        *(_total(run.phase_seconds[phase].as_float()) for phase in phases),
    ]
    async with transaction(sessions, "adding up the analysis runs", writes=False) as session:
        rows = (
            await session.execute(
                select(run.status, func.count(run.id), *sums).group_by(run.status)
            )
        ).all()
    finished: dict[RunStatus, int] = {}
    phase_seconds = dict.fromkeys(phases, 0.0)
    calls = tokens_in = tokens_out = created = 0
    cost = 0.0
    for status, count, row_calls, row_in, row_out, row_cost, row_created, *seconds in rows:
        if status is not RunStatus.RUNNING:
            finished[status] = int(count)
        calls += int(row_calls)
        tokens_in += int(row_in)
        tokens_out += int(row_out)
        cost += float(row_cost)
        created += int(row_created)
        for phase, value in zip(phases, seconds, strict=True):
            phase_seconds[phase] += float(value)
    return RunTotals(
        finished_by_status=finished,
        # a phase no run has timed yet is left out, as before
        phase_seconds={phase: value for phase, value in phase_seconds.items() if value},
        model_calls=calls,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost=cost,
        suggestions_created=created,
    )


def _total(column: QueryableAttribute[Any] | ColumnElement[Any]) -> ColumnElement[float]:
    # SUM of no rows (or of only NULLs: a phase a run did not reach) is NULL; count it as 0
    return func.coalesce(func.sum(column), 0, type_=Float)
