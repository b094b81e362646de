"""Crash trials: `kill -9` of an analysis process, then what the next analysis finds.

Each trial starts an analysis of the small demo home in a process of its own (the test
helper tests/store/analysis_process.py) and kills it with SIGKILL: half of the trials while
its store transaction is open, half at a random moment of the run. A trial survives when the
database passes its integrity check (SQLite), the killed run left either all of its rows or
none, and the next analysis, once the killed run's lease has run out, marks it failed as
abandoned and succeeds itself. Prints tried / survived per database.

    python bench/kill_trials.py [--trials 20] [--postgres postgresql://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import psycopg
from sqlalchemy import func, select

from homehabits.config import Settings
from homehabits.job import AnalysisRunner
from homehabits.sources.simulator import DemoSource, SimulationConfig
from homehabits.store import run_lease
from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import RunStatus
from homehabits.store.repository import get_run, list_runs
from homehabits.store.tables import PatternRow, SuggestionRow

ROOT = Path(__file__).resolve().parents[1]
LEASE = timedelta(seconds=1)


async def _trial(url: str, in_store: bool) -> str | None:
    """One kill and recovery; None if it survived, else what went wrong."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("HOMEHABITS_")}
    env["PYTHONPATH"] = str(ROOT)
    options = ["--hang-in-store"] if in_store else ["--start-file", os.devnull]
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.store.analysis_process",
        "--db",
        url,
        "--lease",
        str(LEASE.total_seconds()),
        "--beat",
        "0.2",
        *options,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert child.stdout is not None
    wanted = "in store" if in_store else "ready"
    while (line := (await child.stdout.readline()).decode().strip()) != wanted:
        if not line:
            return "the analysis ended before it could be killed"
    if not in_store:
        await asyncio.sleep(random.uniform(0.0, 1.5))  # somewhere in the run
    # it may have finished first: then the next run has nothing to recover, which must hold too
    with contextlib.suppress(ProcessLookupError):
        child.kill()
    await child.wait()

    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        if engine.dialect.name == "sqlite":
            async with engine.connect() as connection:
                check = (await connection.exec_driver_sql("PRAGMA integrity_check")).scalar_one()
            if check != "ok":
                return f"integrity check: {check}"
        killed = await list_runs(sessions, limit=1)
        if not killed:
            return None  # killed before it recorded a run: nothing to recover
        run = killed[0]
        async with sessions() as session:
            patterns = await session.scalar(
                select(func.count()).select_from(PatternRow).where(PatternRow.run_id == run.id)
            )
        if run.status is RunStatus.RUNNING and patterns:
            return f"run {run.id} is running with {patterns} patterns half written"
        await asyncio.sleep(LEASE.total_seconds() * 1.5)
        settings = Settings(
            _env_file=None, database_url=url, analysis_days=14, time_zone="Europe/Berlin"
        )
        result = await AnalysisRunner(
            settings, sessions, lambda: DemoSource(SimulationConfig(days=14))
        ).run("cli")
        after = await get_run(sessions, run.id)
        if run.status is RunStatus.RUNNING and after.summary.errors[-1:] != [run_lease.ABANDONED]:
            return f"the killed run {run.id} is {after.status.value}, not abandoned"
        if result.run.status is not RunStatus.SUCCEEDED:
            return f"the next run is {result.run.status.value}"
        async with sessions() as session:
            twice = await session.scalar(
                select(func.count())
                .select_from(SuggestionRow)
                .where(SuggestionRow.run_id == run.id)
            )
        if run.status is RunStatus.RUNNING and twice:
            return "the killed run kept suggestions"
        return None
    finally:
        await engine.dispose()


async def _trials(name: str, fresh_url: list[str], trials: int) -> None:
    survived = 0
    started = time.perf_counter()
    for index in range(trials):
        url = fresh_url[index]
        await migrate(url)
        failure = await _trial(url, in_store=index % 2 == 0)
        if failure is None:
            survived += 1
        else:
            print(f"  {name} trial {index + 1}: {failure}")
    seconds = time.perf_counter() - started
    print(f"{name}: {trials} tried, {survived} survived ({seconds:.0f} s)")


async def _postgres_databases(admin: str, count: int) -> list[str]:
    names = [f"homehabits_kill_{uuid4().hex[:10]}" for _ in range(count)]
    # CREATE/DROP DATABASE cannot run inside a transaction: autocommit
    async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as connection:
        for name in names:
            await connection.execute(f'CREATE DATABASE "{name}"'.encode())
    base = admin.rsplit("/", 1)[0]
    return [f"{base}/{name}" for name in names]


async def _drop_postgres(admin: str, urls: list[str]) -> None:
    async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as connection:
        for url in urls:
            name = url.rsplit("/", 1)[1]
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


async def _main(trials: int, postgres: str | None) -> None:
    run_lease.LEASE = LEASE
    with tempfile.TemporaryDirectory() as folder:
        urls = [f"sqlite:///{folder}/trial{index}.db" for index in range(trials)]
        await _trials("SQLite", urls, trials)
    if postgres:
        urls = await _postgres_databases(postgres, trials)
        try:
            await _trials("PostgreSQL", urls, trials)
        finally:
            await _drop_postgres(postgres, urls)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to use")
    args = parser.parse_args()
    asyncio.run(_main(args.trials, args.postgres))
