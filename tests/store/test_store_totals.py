"""The totals of every run, summed by the database for /metrics: they only ever grow."""

from __future__ import annotations

import pytest

from homehabits.store.engine import Sessions
from homehabits.store.records import RunStatus, RunSummary
from homehabits.store.repository import (
    complete_run,
    create_run,
    fail_run,
    last_finished_run,
    run_totals,
    set_phase_seconds,
)

from .conftest import WINDOW_END, WINDOW_START

_PHASES = ("context", "events", "mine", "store")


async def _finished(sessions: Sessions, **figures: float) -> int:
    run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    phases = {"mine": figures.pop("mine", 0.0), "events": 0.5}
    summary = RunSummary(status=RunStatus.SUCCEEDED, phase_seconds=phases, **figures)  # type: ignore[arg-type]
    await complete_run(sessions, run_id, summary, [], [])
    return run_id


async def test_the_totals_add_up_every_run_and_leave_the_running_one_out_of_the_counts(
    sessions: Sessions,
) -> None:
    await _finished(sessions, mine=1.5, model_calls=2, tokens_in=300, tokens_out=40, cost=0.25)
    second = await _finished(sessions, mine=2.0, tokens_in=100, suggestions_created=3)
    await set_phase_seconds(sessions, second, "store", 0.125)
    failed = await create_run(sessions, "api", "demo", WINDOW_START, WINDOW_END)
    await fail_run(sessions, failed, "Home Assistant did not answer")
    await create_run(sessions, "schedule", "demo", WINDOW_START, WINDOW_END)  # still running

    totals = await run_totals(sessions, _PHASES)

    assert totals.finished_by_status == {RunStatus.SUCCEEDED: 2, RunStatus.FAILED: 1}
    assert totals.phase_seconds == pytest.approx({"mine": 3.5, "events": 1.0, "store": 0.125})
    assert (totals.model_calls, totals.tokens_in, totals.tokens_out) == (2, 400, 40)
    assert totals.cost == pytest.approx(0.25)
    assert totals.suggestions_created == 3
    last = await last_finished_run(sessions)
    assert last is not None
    assert last.id == failed


async def test_no_runs_add_up_to_nothing(sessions: Sessions) -> None:
    totals = await run_totals(sessions, _PHASES)

    assert totals.finished_by_status == {}
    assert totals.phase_seconds == {}
    assert (totals.model_calls, totals.tokens_in, totals.cost) == (0, 0, 0.0)
    assert await last_finished_run(sessions) is None
