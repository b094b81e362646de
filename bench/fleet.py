"""How many homes a second `homehabits fleet` analyses, in one process and on 1 and 2 workers.

Run: python bench/fleet.py [--homes 1000] [--days 30] [--workers 1,2] [--db sqlite|URL].
Simulates the homes (seeds 42…) in the fleet folder layout once (kept in --out for the next
run), then analyses all of them three ways, each into a fresh database: one after another in
this process (the same per-home code, no Dask), and on a LocalCluster of 1 and of 2
single-threaded worker processes. Prints homes/s, events/s, peak memory per worker, the ratio
to the one-process run, the load average during each run (the cores may be shared), where a
home's time goes (phase seconds summed over the homes) and the expected scaling to N machines
from those figures; asserts nothing.

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
from typing import Any

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
    rows: list[tuple[str, float, int, float, str]] = []
    phases: dict[str, float] = {}

    with _database(args.db) as url:
        settings = Settings(database_url=url, analysis_days=args.days)
        prepare_database(url)
        started = time.perf_counter()
        outcomes = [analyse_home_task(home, settings, url) for home in homes]
        seconds = time.perf_counter() - started
        memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        _check(outcomes)
        _add_phases(phases, outcomes)
        rows.append(
            ("one process", seconds, sum(o.events for o in outcomes), memory, _load_and_threads())
        )

    for workers in (int(n) for n in args.workers.split(",")):
        with _database(args.db) as url, open_cluster(workers=workers) as client:
            settings = Settings(database_url=url, analysis_days=args.days)
            client.run(_warm_up)  # the imports each worker pays once, not per home
            report = run_fleet(client, homes, settings)
            peaks = client.run(_peak_memory_mb)
            polars_threads = set(client.run(_polars_threads).values())
            _check(report.outcomes)
            rows.append(
                (
                    f"{workers} worker(s)",
                    report.seconds,
                    report.events,
                    max(peaks.values()),
                    _load_and_threads(polars_threads),
                )
            )

    base = rows[0][1]
    print(
        f"{'run':<14}{'seconds':>9}{'homes/s':>9}{'events/s':>11}{'peak MB':>9}{'x one':>7}"
        "  load 1/5/15 min, polars threads"
    )
    for name, seconds, events, memory, note in rows:
        print(
            f"{name:<14}{seconds:>9.1f}{len(homes) / seconds:>9.2f}{events / seconds:>11,.0f}"
            f"{memory:>9.0f}{base / seconds:>7.2f}  {note}"
        )
    if len(rows) >= 3:
        print(f"scaling 2 workers / 1 worker: {rows[1][1] / rows[2][1]:.2f}x")
    _print_scaling(phases, len(homes), rows)


def _add_phases(phases: dict[str, float], outcomes: list[Any]) -> None:
    for outcome in outcomes:
        for phase, seconds in outcome.phase_seconds.items():
            phases[phase] = phases.get(phase, 0.0) + seconds


def _print_scaling(
    phases: dict[str, float], homes: int, rows: list[tuple[str, float, int, float, str]]
) -> None:
    """Where one home's time goes (one-process run) and what that means for N machines."""
    if not phases or not homes:
        return
    total = sum(phases.values())
    shares = ", ".join(
        f"{phase} {seconds / homes:.2f} s ({seconds / total:.0%})"
        for phase, seconds in sorted(phases.items(), key=lambda item: -item[1])
        if seconds / total >= 0.005
    )
    print(f"one home's phases (one process, mean): {shares}")
    database = phases.get("store", 0.0) / homes
    per_worker = homes / min(seconds for name, seconds, *_ in rows if "worker" in name)
    per_worker /= max(int(name.split()[0]) for name, *_ in rows if "worker" in name)
    print(
        f"expected on N machines of k cores (one worker a core): about N x k x "
        f"{per_worker:.2f} homes/s — the homes share nothing but the database, so throughput "
        "grows with the workers until one of the shared parts bounds it:"
    )
    bound = f"{1 / database:,.0f}" if database > 0 else "many"
    print(
        f"  the database: {database * 1000:.0f} ms of writes a home (one transaction each), "
        f"about {bound} homes/s on one connection before PostgreSQL's own concurrency "
        "(connections, WAL) is the limit;"
    )
    print(
        "  the model, when one writes the words: --model-calls homes at once fleet-wide, so "
        "its rate limit (calls a minute) bounds the fleet, not the workers;"
    )
    print("  the scheduler: one task a home, a few ms each, negligible at these task lengths.")


def _load_and_threads(polars_threads: set[int] | None = None) -> str:
    load = "/".join(f"{value:.1f}" for value in os.getloadavg())
    import polars

    threads = polars_threads or {polars.thread_pool_size()}
    return f"{load}, {','.join(str(n) for n in sorted(threads))}"


def _polars_threads() -> int:
    """The size of this worker's polars thread pool."""
    import polars

    return polars.thread_pool_size()


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
