"""The fleet on Dask distributed: one task per home, outcomes as they come, a report at the end."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from homehabits.config import Settings
from homehabits.exceptions import ConfigError
from homehabits.fleet.analysis import FLEET_TRIGGER, HomeOutcome, analyse_home_task
from homehabits.fleet.homes import HomeSpec
from homehabits.store import repository
from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.writers import writer_config

__all__ = ["FleetProgress", "FleetReport", "open_cluster", "prepare_database", "run_fleet"]

_POLARS_THREADS = "POLARS_MAX_THREADS"

#: Called after each home with its outcome and the fleet's progress so far.
OutcomeCallback = Callable[[HomeOutcome, "FleetProgress"], None]


@dataclass(slots=True)
class FleetProgress:
    """Homes done, failed, skipped and running so far, and the events read per second."""

    total: int
    done: int = 0
    failed: int = 0
    skipped: int = 0
    running: int = 0
    events: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def seconds(self) -> float:
        """Seconds since the fleet started."""
        return time.perf_counter() - self.started

    @property
    def events_per_second(self) -> float:
        """Events read by the homes analysed so far, per second of the fleet's run."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class FleetReport:
    """Every home's outcome, in the order of the home list, and the fleet's figures."""

    outcomes: list[HomeOutcome]
    seconds: float
    workers: int

    def count(self, status: str) -> int:
        """How many homes ended with this status."""
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def events(self) -> int:
        """Events read by every home analysed."""
        return sum(outcome.events for outcome in self.outcomes)


@contextmanager
def open_cluster(
    scheduler: str | None = None, workers: int | None = None, *, processes: bool = True
) -> Iterator[Any]:
    """A Dask client: on the scheduler at `scheduler`, else on a LocalCluster of `workers`.

    A LocalCluster has one single-threaded worker per core by default: mining is CPU work
    that holds the GIL for much of its time, so processes, not threads, make it scale.
    """
    from distributed import Client, LocalCluster

    if scheduler is not None and workers is not None:
        raise ConfigError("--workers sizes a local cluster; with --scheduler the cluster is sized")
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1, not {workers}")
    if scheduler is not None:
        if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://")):
            raise ConfigError(f"--scheduler {scheduler!r}: give the address as tcp://HOST:PORT")
        try:
            client = Client(scheduler, timeout=30)
        except (OSError, TimeoutError) as err:
            raise ConfigError(
                f"--scheduler {scheduler}: no Dask scheduler answers ({err})"
            ) from err
        try:
            yield client
        finally:
            client.close()
        return
    with _one_polars_thread(processes):
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=processes,
            silence_logs=logging.WARNING,
            dashboard_address=":0" if _has_dashboard() else None,
        )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def prepare_database(database_url: str) -> None:
    """Migrate the fleet database once, before any worker writes to it."""

    async def _migrate() -> None:
        engine = make_engine(database_url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(_migrate())


def run_fleet(
    client: Any,
    homes: Sequence[HomeSpec],
    settings: Settings,
    *,
    force: bool = False,
    model_calls: int = 4,
    on_outcome: OutcomeCallback | None = None,
) -> FleetReport:
    """Analyse every home as one task on the client's cluster; one failure stops no other.

    `model_calls` is how many homes may write with a model at once, fleet-wide (a
    distributed.Semaphore); with the template writer there is no limit to keep.
    """
    from distributed import Semaphore, as_completed

    if model_calls < 1:
        raise ConfigError(f"--model-calls must be at least 1, not {model_calls}")
    named = Counter(home.home_id for home in homes)
    twice = sorted(home_id for home_id, times in named.items() if times > 1)
    if twice:
        raise ConfigError(f"--homes names these homes more than once: {', '.join(twice)}")
    prepare_database(settings.database_url)
    gate = None
    if writer_config(settings) is not None:
        gate = Semaphore(max_leases=model_calls, name=f"homehabits-model-{uuid.uuid4().hex}")
    progress = FleetProgress(total=len(homes))
    threads = sum(client.nthreads().values()) or 1
    futures = {
        client.submit(
            analyse_home_task,
            home,
            settings,
            settings.database_url,
            force=force,
            model_gate=gate,
            key=f"home-{home.home_id}-{uuid.uuid4().hex[:8]}",
            pure=False,
            retries=0,
        ): home
        for home in homes
    }
    progress.running = min(len(futures), threads)
    outcomes: dict[str, HomeOutcome] = {}
    for future in as_completed(futures):
        home = futures[future]
        try:
            outcome: HomeOutcome = future.result()
        except Exception as err:  # the worker died or the task could not run: this home only
            outcome = _lost(home, settings, err)
        outcomes[home.home_id] = outcome
        _count(progress, outcome)
        progress.running = min(len(futures) - len(outcomes), threads)
        if on_outcome is not None:
            on_outcome(outcome, progress)
    return FleetReport(
        outcomes=[outcomes[home.home_id] for home in homes],
        seconds=progress.seconds,
        workers=len(client.nthreads()),
    )


def _count(progress: FleetProgress, outcome: HomeOutcome) -> None:
    if outcome.status == "failed":
        progress.failed += 1
    elif outcome.status == "skipped":
        progress.skipped += 1
    else:
        progress.done += 1
    progress.events += outcome.events


def _lost(home: HomeSpec, settings: Settings, err: BaseException) -> HomeOutcome:
    """A home whose task did not return: recorded failed from here, with the reason."""
    message = f"its task did not finish on the cluster ({type(err).__name__}: {err})"

    async def _record() -> int | None:
        from datetime import UTC, datetime, timedelta

        engine = make_engine(settings.database_url)
        sessions = make_sessionmaker(engine)
        try:
            end = datetime.now(UTC)
            run_id = await repository.create_run(
                sessions,
                trigger=FLEET_TRIGGER,
                source=f"{home.home_id}: {home.kind} {home.where or home.location}",
                window_start=end - timedelta(days=settings.analysis_days),
                window_end=end,
                home_id=home.home_id,
            )
            await repository.fail_run(sessions, run_id, message)
            return run_id
        finally:
            await engine.dispose()

    try:
        run_id = asyncio.run(_record())
    except Exception:  # the database is the problem too: the outcome still says why
        run_id = None
    return HomeOutcome(home.home_id, "failed", run_id, error=message)


@contextmanager
def _one_polars_thread(processes: bool) -> Iterator[None]:
    """Worker processes started with one polars thread each (POLARS_MAX_THREADS=1).

    A home's frames are small: polars' own pool of threads costs a third more CPU a home than
    it saves, and two workers' pools fight over the cores. The variable must be set before the
    worker process imports polars, so it goes in the nanny's pre-spawn environment (which the
    nanny also writes into this process's environment: put back as it was once they started).
    """
    if not processes:
        yield
        return
    import dask

    before = os.environ.get(_POLARS_THREADS)
    try:
        with dask.config.set({f"distributed.nanny.pre-spawn-environ.{_POLARS_THREADS}": "1"}):
            yield
    finally:
        if before is None:
            os.environ.pop(_POLARS_THREADS, None)
        else:
            os.environ[_POLARS_THREADS] = before


def _has_dashboard() -> bool:
    # the dashboard needs bokeh, which homehabits does not depend on
    return importlib.util.find_spec("bokeh") is not None
