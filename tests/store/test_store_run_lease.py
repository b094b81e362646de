"""The analysis lock and run heartbeats: one holder at a time, abandoned runs told from live ones."""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from homehabits.exceptions import RunInProgressError, StoreError
from homehabits.store.engine import Sessions
from homehabits.store.records import RunStatus, RunSummary
from homehabits.store.repository import complete_run, create_run, get_run, list_runs
from homehabits.store.run_lease import (
    ABANDONED,
    heartbeat,
    mark_abandoned_runs,
    new_owner,
    release_lock,
)
from homehabits.store.tables import AnalysisLockRow, AnalysisRunRow, utc_now

from .conftest import WINDOW_END, WINDOW_START

AN_HOUR_AGO = timedelta(hours=1)


async def _start(sessions: Sessions, owner: str | None = None) -> int:
    return await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END, owner=owner)


async def _age(sessions: Sessions, table: Any, *where: Any) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(table).where(*where).values(heartbeat_at=utc_now() - AN_HOUR_AGO)
        )


async def test_a_run_whose_heartbeat_stopped_is_abandoned_and_a_beating_one_is_not(
    sessions: Sessions,
) -> None:
    stopped, beating, finished = [await _start(sessions) for _ in "abc"]
    await complete_run(sessions, finished, RunSummary(status=RunStatus.SUCCEEDED), [], [])
    await _age(sessions, AnalysisRunRow, AnalysisRunRow.id.in_([stopped, finished]))

    assert await mark_abandoned_runs(sessions) == 1
    assert await mark_abandoned_runs(sessions) == 0

    run = await get_run(sessions, stopped)
    assert (run.status, run.summary.errors) == (RunStatus.FAILED, [ABANDONED])
    assert run.finished_at is not None
    assert (await get_run(sessions, beating)).status is RunStatus.RUNNING
    assert (await get_run(sessions, finished)).status is RunStatus.SUCCEEDED


async def test_a_run_left_running_from_before_heartbeats_is_abandoned(sessions: Sessions) -> None:
    run_id = await _start(sessions)
    async with sessions.begin() as session:
        await session.execute(update(AnalysisRunRow).values(heartbeat_at=None, owner=None))

    assert await mark_abandoned_runs(sessions) == 1
    assert (await get_run(sessions, run_id)).status is RunStatus.FAILED


async def test_a_second_analysis_is_refused_while_the_first_holds_the_lock(
    sessions: Sessions,
) -> None:
    first = await _start(sessions, new_owner())
    started = (await get_run(sessions, first)).started_at

    with pytest.raises(RunInProgressError) as refused:
        await _start(sessions, new_owner())

    assert str(refused.value) == (
        f"an analysis is already running (run {first}, started {started:%H:%M} UTC "
        f"by pid {os.getpid()} on host {socket.gethostname()})"
    )
    assert [run.id for run in await list_runs(sessions)] == [first]


async def test_a_released_lock_lets_the_next_analysis_start_and_abandons_what_was_left(
    sessions: Sessions,
) -> None:
    first_owner = new_owner()
    first = await _start(sessions, first_owner)
    await release_lock(sessions, first_owner)

    second = await _start(sessions, new_owner())

    # the lock was free, so no live process was running the first any more
    assert (await get_run(sessions, first)).status is RunStatus.FAILED
    assert (await get_run(sessions, second)).status is RunStatus.RUNNING


async def test_a_lock_whose_holder_stopped_beating_is_taken_over_and_the_holder_cannot_store(
    sessions: Sessions,
) -> None:
    stalled_owner, next_owner = new_owner(), new_owner()
    stalled = await _start(sessions, stalled_owner)
    await _age(sessions, AnalysisLockRow)
    await _age(sessions, AnalysisRunRow)

    taken_over = await _start(sessions, next_owner)

    assert (await get_run(sessions, stalled)).summary.errors == [ABANDONED]
    assert await heartbeat(sessions, stalled_owner, stalled) is False
    assert await heartbeat(sessions, next_owner, taken_over) is True
    with pytest.raises(StoreError, match=f"run {stalled} lost the analysis lock"):
        await complete_run(
            sessions, stalled, RunSummary(status=RunStatus.SUCCEEDED), [], [], owner=stalled_owner
        )
    await complete_run(
        sessions, taken_over, RunSummary(status=RunStatus.SUCCEEDED), [], [], owner=next_owner
    )
    assert (await get_run(sessions, taken_over)).status is RunStatus.SUCCEEDED


async def test_a_heartbeat_keeps_a_run_alive(sessions: Sessions) -> None:
    owner = new_owner()
    run_id = await _start(sessions, owner)
    await _age(sessions, AnalysisRunRow)
    await _age(sessions, AnalysisLockRow)

    assert await heartbeat(sessions, owner, run_id) is True

    assert await mark_abandoned_runs(sessions) == 0
    with pytest.raises(RunInProgressError):
        await _start(sessions, new_owner())
