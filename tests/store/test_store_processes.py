"""Analyses in several processes on one database: killed, side by side, migrating at once."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from homehabits.app import create_app
from homehabits.config import Settings
from homehabits.exceptions import RunInProgressError
from homehabits.job import AnalysisRunner
from homehabits.sources.base import Source
from homehabits.sources.simulator import DemoSource, SimulationConfig
from homehabits.store import run_lease
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import RunStatus, SuggestionStatus
from homehabits.store.repository import create_run, fail_run, get_run, list_runs
from homehabits.store.tables import AnalysisRunRow, PatternRow, SuggestionRow, utc_now

from .conftest import POSTGRES_ADMIN_DSN, WINDOW_END, WINDOW_START, _postgres_admin

ROOT = Path(__file__).resolve().parents[2]
SHORT_LEASE = timedelta(seconds=1)


def _small_demo_home() -> Source:
    return DemoSource(SimulationConfig(days=14))


def _settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None, database_url=database_url, analysis_days=14, time_zone="Europe/Berlin"
    )


async def _python(*args: str) -> asyncio.subprocess.Process:
    env = {name: value for name, value in os.environ.items() if not name.startswith("HOMEHABITS_")}
    env["PYTHONPATH"] = str(ROOT)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _analysis(database_url: str, *options: str) -> asyncio.subprocess.Process:
    return await _python("-m", "tests.store.analysis_process", "--db", database_url, *options)


async def _wait_for_line(process: asyncio.subprocess.Process, wanted: str) -> None:
    assert process.stdout is not None
    async with asyncio.timeout(90):
        while True:
            line = (await process.stdout.readline()).decode()
            if not line:
                _, err = await process.communicate()
                pytest.fail(f"the analysis ended before {wanted!r}: {err.decode()[-2000:]}")
            if line.strip() == wanted:
                return


async def _outcome(process: asyncio.subprocess.Process) -> tuple[int, dict[str, Any]]:
    async with asyncio.timeout(120):
        out, err = await process.communicate()
    lines = out.decode().strip().splitlines()
    assert lines, err.decode()[-2000:]
    returncode = process.returncode
    assert returncode is not None
    outcome: dict[str, Any] = json.loads(lines[-1])
    return returncode, outcome


async def _count(sessions: Sessions, table: Any, *where: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


@asynccontextmanager
async def _service(database_url: str) -> AsyncIterator[None]:
    app = create_app(_settings(database_url), source_factory=_small_demo_home)
    async with app.router.lifespan_context(app):
        yield


async def test_an_analysis_killed_while_storing_leaves_nothing_half_written_and_is_abandoned(
    database_url: str, engine: AsyncEngine, sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    killed = await _analysis(database_url, "--hang-in-store")
    await _wait_for_line(killed, "in store")
    killed.kill()  # SIGKILL: no cleanup of any kind
    await killed.wait()

    if engine.dialect.name == "sqlite":
        async with engine.connect() as connection:
            check = await connection.exec_driver_sql("PRAGMA integrity_check")
            assert check.scalar_one() == "ok"
    [run] = await list_runs(sessions)
    assert run.status is RunStatus.RUNNING
    # the store transaction died with the process: none of its rows are kept
    assert await _count(sessions, PatternRow, PatternRow.run_id == run.id) == 0
    assert await _count(sessions, SuggestionRow, SuggestionRow.run_id == run.id) == 0

    # its lease runs out (shortened here from 30 s), then the next analysis sees it abandoned
    monkeypatch.setattr(run_lease, "LEASE", SHORT_LEASE)
    await asyncio.sleep(SHORT_LEASE.total_seconds() * 1.5)
    result = await AnalysisRunner(_settings(database_url), sessions, _small_demo_home).run("cli")
    assert result.run.status is RunStatus.SUCCEEDED
    assert result.suggestions

    abandoned = await get_run(sessions, run.id)
    assert abandoned.status is RunStatus.FAILED
    assert abandoned.summary.errors == [run_lease.ABANDONED]
    assert abandoned.finished_at is not None


async def test_a_live_analysis_is_left_alone_by_a_service_and_an_analysis_starting_beside_it(
    database_url: str, sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = await _analysis(database_url, "--pause-before-store", "4", "--beat", "0.2")
    await _wait_for_line(live, "storing")
    # longer than the lease: only its heartbeat shows the run is alive
    monkeypatch.setattr(run_lease, "LEASE", SHORT_LEASE)
    await asyncio.sleep(SHORT_LEASE.total_seconds() * 1.5)

    async with _service(database_url):
        [running] = await list_runs(sessions)
        assert running.status is RunStatus.RUNNING
    with pytest.raises(RunInProgressError) as refused:
        await AnalysisRunner(_settings(database_url), sessions, _small_demo_home).run("cli")
    assert str(refused.value).startswith(
        f"an analysis is already running (run {running.id}, started "
    )
    assert f"by pid {live.pid} on host " in str(refused.value)

    returncode, outcome = await _outcome(live)
    assert (returncode, outcome["status"]) == (0, "succeeded")
    assert outcome["suggestions"] > 0
    assert [run.id for run in await list_runs(sessions)] == [running.id]
    stored = SuggestionRow.run_id == running.id
    assert await _count(sessions, SuggestionRow, stored) == outcome["suggestions"]


async def test_two_analyses_at_once_store_their_habits_once(
    database_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    both = [
        await _analysis(database_url, "--start-file", str(go), "--pause-before-store", "1")
        for _ in "ab"
    ]
    for process in both:
        await _wait_for_line(process, "ready")
    go.touch()
    outcomes = sorted([await _outcome(process) for process in both], key=lambda o: o[0])

    (stored_code, stored), (refused_code, refused) = outcomes
    assert (stored_code, stored["status"]) == (0, "succeeded")
    assert refused_code == 3
    assert refused["refused"].startswith(
        f"an analysis is already running (run {stored['run_id']}, started "
    )
    assert len(await list_runs(sessions)) == 1
    async with sessions() as session:
        twice = await session.scalars(
            select(SuggestionRow.fingerprint)
            .where(SuggestionRow.status == SuggestionStatus.PENDING.value)
            .group_by(SuggestionRow.fingerprint)
            .having(func.count() > 1)
        )
        assert twice.all() == []
    assert await _count(sessions, SuggestionRow) == stored["suggestions"] > 0


_MIGRATE = """
import asyncio, sys, time
from pathlib import Path
from homehabits.store.migrate import migrate
print("ready", flush=True)
while not Path(sys.argv[2]).exists():
    time.sleep(0.005)
asyncio.run(migrate(sys.argv[1]))
print("migrated")
"""


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_processes_migrating_a_fresh_database_at_once_all_succeed(
    backend: str, tmp_path: Path
) -> None:
    for attempt in range(2):
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path}/fresh{attempt}.db"
        else:
            name = f"homehabits_migrate_{os.getpid()}_{attempt}"
            await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await _postgres_admin(f'CREATE DATABASE "{name}"')
            url = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
        go = tmp_path / f"go{attempt}"
        processes = [await _python("-c", _MIGRATE, url, str(go)) for _ in range(3)]
        for process in processes:
            await _wait_for_line(process, "ready")
        go.touch()
        async with asyncio.timeout(120):
            results = [await process.communicate() for process in processes]
        for process, (out, err) in zip(processes, results, strict=True):
            assert (process.returncode, out.decode().strip()) == (0, "migrated"), err.decode()
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                versions = await connection.execute(text("SELECT version_num FROM alembic_version"))
                assert len(versions.all()) == 1
        finally:
            await engine.dispose()
            if backend == "postgres":
                await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_writer_waits_out_another_process_holding_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "homehabits.db"
    engine = make_engine(f"sqlite:///{path}")
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    holding = threading.Event()

    def hold_the_write_lock() -> None:
        # another process's writer, as sqlite3 sees it: it writes and keeps the lock 5 s
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE analysis_runs SET source = 'held' WHERE id = ?", (run_id,))
            holding.set()
            threading.Event().wait(5)
            other.execute("COMMIT")
        finally:
            other.close()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert await asyncio.to_thread(holding.wait, 10)
        # reads the run, then writes it: a transaction that used to fail at once
        await fail_run(sessions, run_id, "the recorder schema is too old")
        run = await get_run(sessions, run_id)
        assert (run.status, run.source) == (RunStatus.FAILED, "held")
        assert run.summary.errors == ["the recorder schema is too old"]
    finally:
        await asyncio.to_thread(holder.join)
        await engine.dispose()


async def test_a_service_starting_fails_only_runs_whose_heartbeat_stopped(
    database_url: str, sessions: Sessions
) -> None:
    stopped, alive = [
        await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END) for _ in "ab"
    ]
    async with sessions.begin() as session:
        await session.execute(
            update(AnalysisRunRow)
            .where(AnalysisRunRow.id == stopped)
            .values(heartbeat_at=utc_now() - timedelta(hours=1))
        )

    async with _service(database_url):
        pass

    run = await get_run(sessions, stopped)
    assert (run.status, run.summary.errors) == (RunStatus.FAILED, [run_lease.ABANDONED])
    assert (await get_run(sessions, alive)).status is RunStatus.RUNNING
