"""Analysis runs in the store: start one, record its results in one transaction, read them back.

Every function takes the sessionmaker first and opens its own transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from homehabits.exceptions import RunNotFoundError, StoreError
from homehabits.patterns.habit import HabitKind
from homehabits.store._rows import kind_is, values_of
from homehabits.store._transaction import transaction
from homehabits.store.engine import Sessions
from homehabits.store.pattern_records import StoredPattern, check_readable
from homehabits.store.records import (
    NewSuggestion,
    RunRecord,
    RunStatus,
    RunSummary,
    SuggestionRefresh,
    SuggestionStatus,
)
from homehabits.store.run_lease import confirm_lock, mark_abandoned, set_lock_run, take_lock
from homehabits.store.tables import AnalysisRunRow, PatternRow, SuggestionRow, utc_now
from homehabits.store.versions import RUN_ACTOR, NewVersion, add_versions

__all__ = [
    "add_run_warnings",
    "complete_run",
    "create_run",
    "fail_run",
    "get_run",
    "last_finished_run",
    "latest_run",
    "list_patterns",
    "list_runs",
    "runs_by_id",
    "set_phase_seconds",
]
_NEW_SUGGESTION_FIELDS = tuple(field.name for field in fields(NewSuggestion))
_SUMMARY_FIELDS = tuple(field.name for field in fields(RunSummary))
_FINISHED = (RunStatus.SUCCEEDED, RunStatus.PARTIAL)


async def create_run(
    sessions: Sessions,
    trigger: str,
    source: str,
    window_start: datetime,
    window_end: datetime,
    *,
    owner: str | None = None,
    home_id: str | None = None,
) -> int:
    """Record that a run has started (status running) and return its id at once.

    `home_id` names the home of a fleet (homehabits fleet); None is the single home.

    With an `owner` (run_lease.new_owner) the run is started under the analysis lock: taken
    in the same transaction (RunInProgressError if a live process holds it), after runs
    abandoned by a stopped process are marked failed. The owner then keeps it alive with
    run_lease.heartbeat and gives it back with run_lease.release_lock.
    """
    async with transaction(sessions, "starting an analysis run") as session:
        if owner is not None:
            await take_lock(session, owner)
            await mark_abandoned(session, lock_taken=True)
        now = utc_now()
        run_id: int | None = await session.scalar(
            insert(AnalysisRunRow)
            .values(
                trigger=trigger,
                source=source,
                status=RunStatus.RUNNING,
                started_at=now,
                owner=owner,
                heartbeat_at=now,
                window_start=window_start,
                window_end=window_end,
                events_read=0,
                events_rejected=0,
                patterns_found=0,
                suggestions_created=0,
                suggestions_dropped=0,
                suggestions_refreshed=0,
                phase_seconds={},
                model_calls=0,
                cache_hits=0,
                tokens_in=0,
                tokens_out=0,
                cost=0.0,
                errors=[],
                rejected_examples=[],
                warnings=[],
                service_account_proposals=[],
                # named only for a fleet's home: the single home's insert stays as it was
                **({"home_id": home_id} if home_id is not None else {}),
            )
            .returning(AnalysisRunRow.id)
        )
        if run_id is None:
            raise StoreError("the database did not return the new run's id")
        if owner is not None:
            await set_lock_run(session, owner, run_id)
    return run_id


async def complete_run(
    sessions: Sessions,
    run_id: int,
    summary: RunSummary,
    patterns: Sequence[Mapping[str, Any]],
    suggestions: Sequence[NewSuggestion],
    refreshed: Sequence[SuggestionRefresh] = (),
    *,
    owner: str | None = None,
    home_id: str | None = None,
) -> list[int]:
    """Record a run's outcome, its patterns and its suggestions, all or nothing.

    `patterns` are pattern_to_dict dicts, optionally with "area_id". `refreshed` brings
    pending suggestions found again up to date (one the owner reviewed meanwhile is left as it
    is). Returns the new suggestions' ids in the order given. If any row fails, nothing of this
    call is kept (the run stays running) and StoreError is raised. A run started with an
    `owner` is stored only while that owner still holds the analysis lock. `home_id` names the
    fleet's home the new suggestions belong to (None: the single home).
    """
    pattern_rows = [_pattern_values(run_id, index, data) for index, data in enumerate(patterns)]
    now = utc_now()
    suggestion_rows = [_suggestion_values(run_id, now, new, home_id) for new in suggestions]
    async with transaction(sessions, f"storing the results of run {run_id}") as session:
        if owner is not None:
            await confirm_lock(session, owner, run_id)
        updated = await session.execute(
            update(AnalysisRunRow)
            .where(AnalysisRunRow.id == run_id, AnalysisRunRow.status == RunStatus.RUNNING)
            .values(finished_at=now, **_summary_values(summary))
            .returning(AnalysisRunRow.id)
        )
        if updated.first() is None:
            await _refuse_finished_run(session, run_id)
        if pattern_rows:
            # executemany: one statement for all rows, not one round trip per pattern.
            await session.execute(insert(PatternRow), pattern_rows)
        await _refresh(session, run_id, refreshed, now)
        if not suggestion_rows:
            return []
        await session.execute(insert(SuggestionRow), suggestion_rows)
        # Ids grow in insertion order and only this call writes this run's suggestions, so
        # reading them back by id keeps the order given. (RETURNING in input order would
        # make SQLAlchemy insert one row per statement on SQLite: ten times slower.)
        new_ids = list(
            await session.scalars(
                select(SuggestionRow.id)
                .where(SuggestionRow.run_id == run_id)
                .order_by(SuggestionRow.id)
            )
        )
        found = f"found by run {run_id}"
        first = [_version(sid, new, found) for sid, new in zip(new_ids, suggestions, strict=True)]
        await add_versions(session, first, now, fresh=True)
        return new_ids


async def _refresh(
    session: AsyncSession, run_id: int, refreshed: Sequence[SuggestionRefresh], now: datetime
) -> None:
    """Bring pending suggestions found again up to date; a changed automation is a new version."""
    if not refreshed:
        return
    before: dict[int, dict[str, Any]] = dict(
        (
            await session.execute(
                select(SuggestionRow.id, SuggestionRow.automation).where(
                    SuggestionRow.id.in_([refresh.suggestion_id for refresh in refreshed])
                )
            )
        ).all()
    )
    changed: list[NewVersion] = []
    for refresh in refreshed:
        updated = await session.scalar(
            update(SuggestionRow)
            .where(
                SuggestionRow.id == refresh.suggestion_id,
                SuggestionRow.status == SuggestionStatus.PENDING,
            )
            .values(_refresh_values(refresh, now))
            .returning(SuggestionRow.id)
            .execution_options(synchronize_session=False)
        )
        # one the owner reviewed meanwhile is left as it is; the same automation is no change
        if updated is None or refresh.keep_automation:
            continue
        # compared as stored: JSON has no tuples, and keys may come back in another order
        if before.get(refresh.suggestion_id) != _as_json(refresh.found.automation):
            changed.append(
                _version(refresh.suggestion_id, refresh.found, f"refreshed by run {run_id}")
            )
    await add_versions(session, changed, now)


def _as_json(value: dict[str, Any]) -> Any:
    return json.loads(json.dumps(value, default=str))


def _version(suggestion_id: int, found: NewSuggestion, why: str) -> NewVersion:
    return NewVersion(
        suggestion_id=suggestion_id,
        automation=found.automation,
        yaml=found.yaml,
        dialect=found.dialect,
        reason=why,
        actor=RUN_ACTOR,
    )


async def fail_run(sessions: Sessions, run_id: int, error: str) -> None:
    """Mark a run as failed, keeping the error with any it already had."""
    async with transaction(sessions, f"marking run {run_id} as failed") as session:
        run = await session.get(AnalysisRunRow, run_id)
        if run is None:
            raise RunNotFoundError(f"no analysis run with id {run_id}")
        run.status = RunStatus.FAILED
        run.finished_at = utc_now()
        run.errors = [*run.errors, error]


async def set_phase_seconds(sessions: Sessions, run_id: int, phase: str, seconds: float) -> None:
    """Record how long one phase of a run took (the store phase is only known after storing)."""
    async with transaction(sessions, f"timing run {run_id}") as session:
        run = await session.get(AnalysisRunRow, run_id)
        if run is None:
            raise RunNotFoundError(f"no analysis run with id {run_id}")
        # A new dict, so the JSON column sees the change.
        run.phase_seconds = {**run.phase_seconds, phase: seconds}


async def add_run_warnings(sessions: Sessions, run_id: int, warnings: list[str]) -> None:
    """Add warnings to a stored run (what went wrong after storing, e.g. a notification)."""
    if not warnings:
        return
    async with transaction(sessions, f"adding warnings to run {run_id}") as session:
        run = await session.get(AnalysisRunRow, run_id)
        if run is None:
            raise RunNotFoundError(f"no analysis run with id {run_id}")
        # A new list, so the JSON column sees the change.
        run.warnings = [*run.warnings, *warnings]


async def get_run(sessions: Sessions, run_id: int) -> RunRecord:
    """One run by id; RunNotFoundError if there is none."""
    async with transaction(sessions, f"reading run {run_id}", writes=False) as session:
        run = await session.get(AnalysisRunRow, run_id)
        if run is None:
            raise RunNotFoundError(f"no analysis run with id {run_id}")
        return _run_record(run)


async def list_runs(sessions: Sessions, limit: int = 50, offset: int = 0) -> list[RunRecord]:
    """Runs, newest first."""
    async with transaction(sessions, "listing analysis runs", writes=False) as session:
        runs = await session.scalars(
            select(AnalysisRunRow)
            .order_by(AnalysisRunRow.started_at.desc(), AnalysisRunRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [_run_record(run) for run in runs]


async def runs_by_id(sessions: Sessions, run_ids: Iterable[int]) -> dict[int, RunRecord]:
    """The runs of these ids, in one query (an id without a run is left out)."""
    wanted = sorted(set(run_ids))
    if not wanted:
        return {}
    async with transaction(sessions, "reading analysis runs", writes=False) as session:
        runs = await session.scalars(select(AnalysisRunRow).where(AnalysisRunRow.id.in_(wanted)))
        return {run.id: _run_record(run) for run in runs}


async def last_finished_run(sessions: Sessions) -> RunRecord | None:
    """The newest run that is no longer running (whatever its outcome), or None."""
    async with transaction(sessions, "reading the last finished run", writes=False) as session:
        run = await session.scalar(
            select(AnalysisRunRow)
            .where(AnalysisRunRow.status != RunStatus.RUNNING)
            .order_by(AnalysisRunRow.started_at.desc(), AnalysisRunRow.id.desc())
            .limit(1)
        )
        return None if run is None else _run_record(run)


async def latest_run(sessions: Sessions) -> RunRecord | None:
    """The newest run, whatever its status, or None before the first run."""
    runs = await list_runs(sessions, limit=1)
    return runs[0] if runs else None


async def list_patterns(
    sessions: Sessions,
    *,
    kind: HabitKind | str | None = None,
    entity: str | None = None,
    area: str | None = None,
    run_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[StoredPattern]:
    """Patterns of one run (default: the latest that finished), best score first.

    `entity` matches the target or the trigger entity; `area` is an area id.
    """
    async with transaction(sessions, "listing patterns", writes=False) as session:
        if run_id is None:
            run_id = await session.scalar(
                select(AnalysisRunRow.id)
                .where(AnalysisRunRow.status.in_(_FINISHED))
                .order_by(AnalysisRunRow.started_at.desc(), AnalysisRunRow.id.desc())
                .limit(1)
            )
            if run_id is None:
                return []
        query = select(PatternRow).where(PatternRow.run_id == run_id)
        if kind is not None:
            query = query.where(kind_is(PatternRow.kind, kind))
        if entity is not None:
            query = query.where(
                (PatternRow.target_entity == entity) | (PatternRow.trigger_entity == entity)
            )
        if area is not None:
            query = query.where(PatternRow.area_id == area)
        rows = await session.scalars(
            query.order_by(PatternRow.score.desc(), PatternRow.id).limit(limit).offset(offset)
        )
        return [_stored_pattern(row) for row in rows]


async def _refuse_finished_run(session: AsyncSession, run_id: int) -> None:
    status = await session.scalar(select(AnalysisRunRow.status).where(AnalysisRunRow.id == run_id))
    if status is None:
        raise RunNotFoundError(f"no analysis run with id {run_id}")
    # Recording the results twice would store every pattern and suggestion twice.
    raise StoreError(f"run {run_id} is already {status}; its results cannot be stored again")


def _pattern_values(run_id: int, index: int, data: Mapping[str, Any]) -> dict[str, Any]:
    missing = [key for key in ("fingerprint", "kind", "target_entity") if not data.get(key)]
    if missing:
        raise StoreError(
            f"pattern {index} of run {run_id} cannot be stored: field {missing[0]!r} is missing"
        )
    try:
        kind = HabitKind(data["kind"])
    except ValueError:
        raise StoreError(
            f"pattern {index} of run {run_id} cannot be stored: no kind of habit is named "
            f"{data['kind']!r}"
        ) from None
    return {
        "run_id": run_id,
        "fingerprint": data["fingerprint"],
        "kind": kind,
        "target_entity": data["target_entity"],
        "trigger_entity": data.get("trigger_entity"),
        "area_id": data.get("area_id"),
        "score": data.get("score") or 0.0,
        "confidence": data.get("confidence") or 0.0,
        "data": dict(data),
    }


def _refresh_values(refresh: SuggestionRefresh, now: datetime) -> dict[str, Any]:
    kept = {"fingerprint", "kind", "target_entity", "trigger_entity", "area_id", "area_name"}
    if refresh.keep_automation:
        kept |= {"automation", "yaml", "dialect", "diff"}
    values = {
        name: getattr(refresh.found, name) for name in _NEW_SUGGESTION_FIELDS if name not in kept
    }
    values["updated_at"] = now
    return values


def _suggestion_values(
    run_id: int, now: datetime, new: NewSuggestion, home_id: str | None
) -> dict[str, Any]:
    values = {name: getattr(new, name) for name in _NEW_SUGGESTION_FIELDS}
    values.update(run_id=run_id, status=SuggestionStatus.PENDING, created_at=now, updated_at=now)
    if home_id is not None:
        values["home_id"] = home_id
    return values


def _summary_values(summary: RunSummary) -> dict[str, Any]:
    values = values_of(summary, _SUMMARY_FIELDS)
    values["status"] = RunStatus(summary.status)
    return values


def _run_record(run: AnalysisRunRow) -> RunRecord:
    summary = values_of(run, _SUMMARY_FIELDS)
    summary["status"] = RunStatus(run.status)
    return RunRecord(
        id=run.id,
        trigger=run.trigger,
        source=run.source,
        status=RunStatus(run.status),
        started_at=run.started_at,
        finished_at=run.finished_at,
        window_start=run.window_start,
        window_end=run.window_end,
        summary=RunSummary(**summary),
    )


def _stored_pattern(row: PatternRow) -> StoredPattern:
    check_readable(row.data, where=f"pattern {row.id} of run {row.run_id}")
    return StoredPattern(
        id=row.id,
        run_id=row.run_id,
        fingerprint=row.fingerprint,
        kind=row.kind,
        target_entity=row.target_entity,
        trigger_entity=row.trigger_entity,
        area_id=row.area_id,
        score=row.score,
        confidence=row.confidence,
        data=dict(row.data),
    )
