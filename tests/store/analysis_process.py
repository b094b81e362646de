"""An analysis of the small demo home in a process of its own, for the crash and lock tests.

Run as `python -m tests.store.analysis_process --db URL [options]`. It prints one line per
milestone ("ready", "storing", "in store") and a JSON line with the outcome at the end; exit status 0
when the run finished, 3 when another analysis held the lock. `--hang-in-store` stops inside
the store transaction (patterns written, suggestions not yet) so the test can kill it there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from homehabits.config import Settings
from homehabits.exceptions import RunInProgressError
from homehabits.job import AnalysisRunner
from homehabits.sources.simulator import DemoSource, SimulationConfig
from homehabits.store import repository, run_lease
from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.migrate import migrate

__all__ = ["main"]


def main() -> int:
    """Parse the options, run one analysis, report it."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--lease", type=float, default=30.0, help="seconds")
    parser.add_argument("--beat", type=float, default=5.0, help="heartbeat, seconds")
    parser.add_argument("--start-file", type=Path, help="wait until this file exists")
    parser.add_argument("--pause-before-store", type=float, default=0.0, help="seconds")
    parser.add_argument("--hang-in-store", action="store_true")
    args = parser.parse_args()
    run_lease.LEASE = timedelta(seconds=args.lease)
    run_lease.HEARTBEAT_SECONDS = args.beat
    return asyncio.run(_analyse(args))


async def _analyse(args: argparse.Namespace) -> int:
    engine = make_engine(args.db)
    try:
        await migrate(engine)
        if args.start_file is not None:
            _say("ready")
            await asyncio.to_thread(_wait_for_file, args.start_file)
        if args.hang_in_store:
            _hang_when_suggestions_are_written(engine.sync_engine)
        if args.pause_before_store:
            _pause_before_storing(args.pause_before_store)
        settings = Settings(
            _env_file=None, database_url=args.db, analysis_days=14, time_zone="Europe/Berlin"
        )
        runner = AnalysisRunner(
            settings, make_sessionmaker(engine), lambda: DemoSource(SimulationConfig(days=14))
        )
        try:
            result = await runner.run("cli")
        except RunInProgressError as err:
            _say(json.dumps({"refused": str(err)}))
            return 3
        _say(
            json.dumps(
                {
                    "run_id": result.run.id,
                    "status": result.run.status.value,
                    "suggestions": len(result.suggestions),
                }
            )
        )
        return 0
    finally:
        await engine.dispose()


def _wait_for_file(path: Path) -> None:
    while not path.exists():
        time.sleep(0.005)


def _hang_when_suggestions_are_written(sync_engine: Any) -> None:
    @event.listens_for(sync_engine, "before_cursor_execute")
    def _hang(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO suggestions"):
            _say("in store")
            time.sleep(3600)  # in the database's own thread, its transaction open


def _pause_before_storing(seconds: float) -> None:
    store = repository.complete_run

    async def paused(*args: Any, **kwargs: Any) -> list[int]:
        _say("storing")
        await asyncio.sleep(seconds)
        return await store(*args, **kwargs)

    repository.complete_run = paused  # type: ignore[assignment]


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
