"""One fleet home's analysis: read → mine → compile → replay → words → one transaction.

The same steps as the single home's run (job.py), on the worker a Dask task runs on; the
run and its suggestions carry the home's id. What goes wrong is recorded as a failed run of
that home, and the task returns its outcome rather than raise: one home never stops the rest.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from homehabits.automations import Draft, DroppedPattern
from homehabits.automations.compile import SafetyLimits, choose_dialect, compile_patterns
from homehabits.config import Settings
from homehabits.context import HomeContext
from homehabits.exceptions import HomeHabitsError
from homehabits.fleet.home_source import open_home_source
from homehabits.fleet.homes import HomeSpec
from homehabits.job import (
    held_habits,
    new_or_refreshed,
    recall_known_habits,
    replay_drafts,
    retire_gone_habits,
)
from homehabits.patterns import mine
from homehabits.patterns.habit import Pattern, pattern_to_dict
from homehabits.patterns.service_accounts import count_as_service, propose_service_accounts
from homehabits.sources.base import Source
from homehabits.store import repository
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.fleet import home_done_for_night
from homehabits.store.records import RunStatus, RunSummary
from homehabits.writers import Words, WritingReport, write_words, writer_config

__all__ = ["FLEET_TRIGGER", "HomeOutcome", "ModelGate", "analyse_home", "analyse_home_task"]

_LOGGER = logging.getLogger(__name__)

#: The trigger of every run the fleet records.
FLEET_TRIGGER = "fleet"


class ModelGate(Protocol):
    """A fleet-wide limit on homes writing with a model at once (a distributed.Semaphore)."""

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait for a place."""
        ...

    def release(self) -> bool:
        """Give the place back."""
        ...


@dataclass(frozen=True, slots=True)
class HomeOutcome:
    """What the fleet did with one home: analysed, skipped (done for that night) or failed."""

    home_id: str
    status: str  # succeeded | partial | failed | skipped
    run_id: int | None = None
    window_end: datetime | None = None
    events: int = 0
    habits: int = 0
    suggestions: int = 0
    seconds: float = 0.0
    error: str | None = None
    worker: str = ""
    phase_seconds: dict[str, float] = field(default_factory=dict)


class _StoreWordsCache:
    """The writers' cache in the fleet database (shared by every home)."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def get(self, key: str) -> Words | None:
        return await repository.cache_get(self._sessions, key)

    async def put(self, key: str, words: Words) -> None:
        await repository.cache_put(self._sessions, key, words)


def analyse_home_task(
    home: HomeSpec,
    settings: Settings,
    database_url: str,
    *,
    force: bool = False,
    model_gate: ModelGate | None = None,
) -> HomeOutcome:
    """The Dask task of one home: its analysis on a database of its own engine."""

    async def _run() -> HomeOutcome:
        engine = make_engine(database_url)
        try:
            return await analyse_home(
                home, settings, make_sessionmaker(engine), force=force, model_gate=model_gate
            )
        finally:
            await engine.dispose()

    return asyncio.run(_run())


async def analyse_home(
    home: HomeSpec,
    settings: Settings,
    sessions: Sessions,
    *,
    force: bool = False,
    model_gate: ModelGate | None = None,
) -> HomeOutcome:
    """Analyse one home into the (migrated) fleet database; a failure is a failed run of it."""
    started = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    window: tuple[datetime, datetime] | None = None
    run_id: int | None = None
    try:
        with open_home_source(home, settings) as source:
            window = await _window(source, settings)
            if not force:
                done = await home_done_for_night(sessions, home.home_id, window[1].date())
                if done is not None:
                    return HomeOutcome(home.home_id, "skipped", done, window[1], worker=worker)
            run_id = await repository.create_run(
                sessions,
                trigger=FLEET_TRIGGER,
                source=f"{home.home_id}: {source.description}",
                window_start=window[0],
                window_end=window[1],
                home_id=home.home_id,
            )
            summary, created = await _analyse(
                home, source, settings, sessions, run_id, window, model_gate
            )
    except Exception as err:  # one home's failure, whatever it is, is that home's alone
        message = str(err) if isinstance(err, HomeHabitsError) else f"{type(err).__name__}: {err}"
        if not isinstance(err, HomeHabitsError):
            _LOGGER.exception("fleet home %s failed", home.home_id)
        run_id = await _record_failure(home, settings, sessions, run_id, window, message)
        return HomeOutcome(
            home.home_id,
            "failed",
            run_id,
            window[1] if window else None,
            seconds=time.perf_counter() - started,
            error=message,
            worker=worker,
        )
    return HomeOutcome(
        home.home_id,
        RunStatus(summary.status).value,
        run_id,
        window[1],
        events=summary.events_read,
        habits=summary.patterns_found,
        suggestions=created,
        seconds=time.perf_counter() - started,
        worker=worker,
        phase_seconds=dict(summary.phase_seconds),
    )


async def _window(source: Source, settings: Settings) -> tuple[datetime, datetime]:
    """The analysis window: the source's own end (or now), analysis_days long."""
    end = await asyncio.to_thread(source.default_window_end)
    end = end or datetime.now(UTC)
    return end - timedelta(days=settings.analysis_days), end


async def _record_failure(
    home: HomeSpec,
    settings: Settings,
    sessions: Sessions,
    run_id: int | None,
    window: tuple[datetime, datetime] | None,
    message: str,
) -> int | None:
    """A failed run of the home with the reason; None when the database itself failed."""
    try:
        if run_id is None:
            end = window[1] if window else datetime.now(UTC)
            run_id = await repository.create_run(
                sessions,
                trigger=FLEET_TRIGGER,
                source=f"{home.home_id}: {home.kind} {home.where or home.location}",
                window_start=window[0] if window else end - timedelta(days=settings.analysis_days),
                window_end=end,
                home_id=home.home_id,
            )
        await repository.fail_run(sessions, run_id, message)
    except HomeHabitsError as err:
        _LOGGER.error("fleet home %s: its failure could not be recorded: %s", home.home_id, err)
        return run_id
    return run_id


async def _analyse(
    home: HomeSpec,
    source: Source,
    settings: Settings,
    sessions: Sessions,
    run_id: int,
    window: tuple[datetime, datetime],
    model_gate: ModelGate | None,
) -> tuple[RunSummary, int]:
    """The phases of job.py for one home, stored with complete_run under its home id."""
    start, end = window
    summary = RunSummary(status=RunStatus.SUCCEEDED)
    seconds = summary.phase_seconds
    clock = time.perf_counter()

    context = await source.read_context()
    if settings.time_zone:
        context = replace(context, time_zone=settings.time_zone)
    summary.time_zone, summary.ha_version = context.time_zone, context.ha_version
    seconds["context"], clock = time.perf_counter() - clock, time.perf_counter()

    read = await source.read_events(start, end, context)
    read = replace(read, frame=count_as_service(read.frame, context.service_user_ids))
    summary.events_read, summary.events_rejected = read.rows_read, read.rejected_count
    summary.rejected_examples = [{"row": r.row, "reason": r.reason} for r in read.rejected[:100]]
    summary.warnings.extend(read.warnings)
    if read.rejected_count:
        reasons = ", ".join(f"{n} {why}" for why, n in read.rejected_by_reason.items())
        summary.errors.append(f"{read.rejected_count} rows skipped ({reasons})")
    seconds["events"], clock = time.perf_counter() - clock, time.perf_counter()

    stopped: list[tuple[Pattern, str]] = []
    patterns = await asyncio.to_thread(
        mine,
        read.frame,
        context,
        window_start=start,
        window_end=end,
        settings=settings.mining,
        left_out=stopped,
    )
    summary.patterns_found = len(patterns)
    proposals = propose_service_accounts(read.frame, context)
    summary.service_account_proposals = [p.as_dict() for p in proposals]
    summary.warnings.extend(p.warning() for p in proposals)
    seconds["mine"], clock = time.perf_counter() - clock, time.perf_counter()

    # the single home's bookkeeping, on this home's rows only: a habit found again keeps its
    # name, a retired one returns, pending ones are compiled again to be refreshed
    rejected_since = end - timedelta(days=settings.rejected_days)
    patterns, stopped = await recall_known_habits(
        sessions, patterns, stopped, rejected_since=rejected_since, home_id=home.home_id
    )
    held = await held_habits(sessions, rejected_since=rejected_since, home_id=home.home_id)
    compiled = compile_patterns(
        patterns,
        context,
        dialect=choose_dialect(settings.dialect, context.ha_version),
        active_fingerprints=held.settled_but_pending,
        rejected_fingerprints=held.rejected,
        safety=SafetyLimits(settings.heating_min_c, settings.heating_max_c),
    )
    compiled.dropped.extend(DroppedPattern(pattern, why) for pattern, why in stopped)
    seconds["compile"], clock = time.perf_counter() - clock, time.perf_counter()

    _, drafts, misfiring = await asyncio.to_thread(
        replay_drafts, compiled.drafts, read.frame, context, window=window, mining=settings.mining
    )
    summary.suggestions_dropped = len(compiled.dropped) + len(misfiring)
    seconds["replay"], clock = time.perf_counter() - clock, time.perf_counter()

    words, report = await _write(drafts, context, settings, sessions, model_gate)
    summary.model_calls, summary.cache_hits = report.model_calls, report.cache_hits
    summary.tokens_in, summary.tokens_out, summary.cost = (
        report.tokens_in,
        report.tokens_out,
        report.cost,
    )
    summary.errors.extend(report.errors)
    summary.warnings.extend(report.warnings)
    seconds["write"], clock = time.perf_counter() - clock, time.perf_counter()

    found, refreshed = new_or_refreshed(
        drafts, words, context, held.pending, days=settings.analysis_days
    )
    summary.suggestions_created = len(found)
    summary.suggestions_refreshed = len(refreshed)
    if summary.errors:
        summary.status = RunStatus.PARTIAL
    if read.frame.is_empty():
        summary.errors.append(
            f"no state changes between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC"
        )
    # as in job.py: the store phase's time is only known after its transaction, and is
    # written after it
    seconds["store"] = 0.0
    clock = time.perf_counter()
    await repository.complete_run(
        sessions,
        run_id,
        summary,
        [{**pattern_to_dict(p), "area_id": context.area_id(p.target_entity)} for p in patterns],
        found,
        refreshed,
        home_id=home.home_id,
    )
    seconds["store"] = time.perf_counter() - clock
    await repository.set_phase_seconds(sessions, run_id, "store", seconds["store"])
    if not read.frame.is_empty():  # an empty window says nothing about the habits
        await retire_gone_habits(sessions, patterns, stopped, home_id=home.home_id)
    return summary, len(found)


async def _write(
    drafts: list[Draft],
    context: HomeContext,
    settings: Settings,
    sessions: Sessions,
    model_gate: ModelGate | None,
) -> tuple[list[Words], WritingReport]:
    """The words: the template's, or a model's while this home holds a place at the gate."""
    model = writer_config(settings)

    async def _words() -> tuple[list[Words], WritingReport]:
        return await write_words(
            drafts,
            context,
            model=model,
            cache=_StoreWordsCache(sessions),
            window_days=settings.analysis_days,
        )

    if model is None or not drafts or model_gate is None:
        return await _words()
    await asyncio.to_thread(model_gate.acquire)
    try:
        return await _words()
    finally:
        await asyncio.to_thread(model_gate.release)
