"""How many homes a second `homehabits fleet` analyses, in one process and on 1 and 2 workers.

Run: python bench/fleet.py [--homes 1000] [--days 30] [--workers 1,2] [--db sqlite|URL].
Simulates the homes (seeds 42…) in the fleet folder layout once (kept in --out for the next
run), then analyses all of them three ways, each into a fresh database: one after another in
this process (the same per-home code, no Dask), and on a LocalCluster of 1 and of 2
single-threaded worker processes. Prints homes/s, events/s, peak memory per worker and the
ratio to the one-process run; asserts nothing.

--db sqlite (default) gives each run a fresh SQLite file; --db postgresql://USER@HOST:PORT
creates a fresh database on that server for each run and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["main"]


def main() -> None:
    """Simulate the homes, analyse them three ways, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--workers", default="1,2", help="cluster sizes to time, e.g. 1,2")
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL server URL")
    parser.add_argument("--out", type=Path, default=None, help="folder of the simulated homes")
    args = parser.parse_args()

    from homehabits.config import Settings
    from homehabits.fleet.analysis import analyse_home_task
    from homehabits.fleet.homes import list_homes
    from homehabits.fleet.run import open_cluster, prepare_database, run_fleet

    out = args.out or Path(tempfile.gettempdir()) / f"homehabits-fleet-{args.homes}x{args.days}"
    _simulate(out, args.homes, args.days)
    homes = list_homes(str(out))[: args.homes]
    print(f"{len(homes)} homes of {args.days} days in {out}")
    rows: list[tuple[str, float, int, float]] = []

    with _database(args.db) as url:
        settings = Settings(database_url=url, analysis_days=args.days)
        prepare_database(url)
        started = time.perf_counter()
        outcomes = [analyse_home_task(home, settings, url) for home in homes]
        seconds = time.perf_counter() - started
        memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        _check(outcomes)
        rows.append(("one process", seconds, sum(o.events for o in outcomes), memory))

    for workers in (int(n) for n in args.workers.split(",")):
        with _database(args.db) as url, open_cluster(workers=workers) as client:
            settings = Settings(database_url=url, analysis_days=args.days)
            client.run(_warm_up)  # the imports each worker pays once, not per home
            report = run_fleet(client, homes, settings)
            peaks = client.run(_peak_memory_mb)
            _check(report.outcomes)
            rows.append(
                (f"{workers} worker(s)", report.seconds, report.events, max(peaks.values()))
            )

    base = rows[0][1]
    print(f"load average while measuring (1, 5, 15 min): {os.getloadavg()}")
    print(f"{'run':<14}{'seconds':>9}{'homes/s':>9}{'events/s':>11}{'peak MB':>9}{'x one':>7}")
    for name, seconds, events, memory in rows:
        print(
            f"{name:<14}{seconds:>9.1f}{len(homes) / seconds:>9.2f}{events / seconds:>11,.0f}"
            f"{memory:>9.0f}{base / seconds:>7.2f}"
        )
    if len(rows) >= 3:
        print(f"scaling 2 workers / 1 worker: {rows[1][1] / rows[2][1]:.2f}x")


def _simulate(out: Path, homes: int, days: int) -> None:
    from homehabits.fleet.homes import EVENTS_NAME, HOME_ID_PREFIX
    from homehabits.fleet.simulate import home_id_of, write_fleet_home

    started = time.perf_counter()
    written = 0
    for index in range(homes):
        if not (out / f"{HOME_ID_PREFIX}{home_id_of(index)}" / EVENTS_NAME).is_file():
            write_fleet_home(out, index, days=days)
            written += 1
    if written:
        print(f"simulated {written} homes in {time.perf_counter() - started:.1f} s")


def _check(outcomes: list[object]) -> None:
    failed = [o for o in outcomes if getattr(o, "status", "") != "succeeded"]
    if failed:
        print(f"  {len(failed)} homes did not succeed, e.g. {failed[0]}")


def _warm_up() -> None:
    """Import what a home's analysis needs, as the one-process run already has."""
    import homehabits.fleet.analysis
    import homehabits.sources.event_file  # noqa: F401


def _peak_memory_mb() -> float:
    """This worker process's peak resident memory (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def _database(db: str) -> Iterator[str]:
    """A fresh homehabits database URL for one run, removed afterwards."""
    if db == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/fleet.db"
        return
    import psycopg

    name = f"homehabits_bench_{uuid.uuid4().hex[:10]}"
    server = db.rstrip("/")

    async def _admin(statement: str) -> None:
        async with await psycopg.AsyncConnection.connect(
            f"{server}/postgres", autocommit=True
        ) as connection:
            await connection.execute(statement)

    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
