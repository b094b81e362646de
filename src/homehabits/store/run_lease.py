"""The analysis lock across processes: one lease row, kept alive by the running process.

Only one analysis runs on a database at a time, whichever process starts it (the CLI, the
service, two of either). The process taking the lock writes its owner ("host:pid:token")
into the single row of analysis_lock with one conditional UPDATE, which only one writer can
win on SQLite and PostgreSQL alike; it then refreshes the row's and its run's heartbeat every
HEARTBEAT_SECONDS. A lock, or a run, whose heartbeat is older than LEASE has no live process
behind it: the lock may be taken over and the run is marked failed as abandoned.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from homehabits.exceptions import RunInProgressError, StoreError
from homehabits.store._transaction import transaction
from homehabits.store.engine import Sessions
from homehabits.store.records import RunStatus
from homehabits.store.tables import AnalysisLockRow, AnalysisRunRow, utc_now

__all__ = [
    "ABANDONED",
    "HEARTBEAT_SECONDS",
    "LEASE",
    "confirm_lock",
    "heartbeat",
    "mark_abandoned_runs",
    "new_owner",
    "release_lock",
    "take_lock",
]

#: A run or lock whose heartbeat is older than this has no live process behind it.
LEASE = timedelta(seconds=30)
#: How often the running process renews its lease (well inside LEASE, so one slow beat is fine).
HEARTBEAT_SECONDS = 5.0
#: The error recorded on a run whose process died.
ABANDONED = "abandoned: the process running it stopped"

_LOCK_ROW = 1


def new_owner() -> str:
    """A name for this process's hold on a run: host, pid and a token unique to this hold."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(6)}"


async def take_lock(session: AsyncSession, owner: str) -> None:
    """Take the analysis lock for `owner` in the session's transaction, or RunInProgressError.

    A lock whose holder stopped renewing it for LEASE is taken over.
    """
    now = utc_now()
    taken = await session.execute(
        update(AnalysisLockRow)
        .where(
            AnalysisLockRow.id == _LOCK_ROW,
            AnalysisLockRow.owner.is_(None)
            | AnalysisLockRow.heartbeat_at.is_(None)
            | (AnalysisLockRow.heartbeat_at < now - LEASE),
        )
        .values(owner=owner, run_id=None, taken_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    if _changed(taken):
        return
    if await _insert_lock_row(session, owner, now):
        return
    holder = await session.scalar(select(AnalysisLockRow).where(AnalysisLockRow.id == _LOCK_ROW))
    raise RunInProgressError(await _describe_holder(session, holder))


async def set_lock_run(session: AsyncSession, owner: str, run_id: int) -> None:
    """Note which run the lock's holder is running (for the message others get)."""
    await session.execute(
        update(AnalysisLockRow)
        .where(AnalysisLockRow.id == _LOCK_ROW, AnalysisLockRow.owner == owner)
        .values(run_id=run_id)
        .execution_options(synchronize_session=False)
    )


async def confirm_lock(session: AsyncSession, owner: str, run_id: int) -> None:
    """Renew the lock in the session's transaction; StoreError if `owner` no longer holds it."""
    renewed = await session.execute(
        update(AnalysisLockRow)
        .where(AnalysisLockRow.id == _LOCK_ROW, AnalysisLockRow.owner == owner)
        .values(heartbeat_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    if not _changed(renewed):
        # its lease ran out and another analysis took over: storing now would store twice
        raise StoreError(
            f"run {run_id} lost the analysis lock (its heartbeat stopped for longer than "
            f"{LEASE.total_seconds():.0f} s); its results are not stored"
        )


async def heartbeat(sessions: Sessions, owner: str, run_id: int) -> bool:
    """Renew the lease of `owner` and its run; whether it still holds the lock."""
    now = utc_now()
    async with transaction(sessions, f"renewing the lease of run {run_id}") as session:
        renewed = await session.execute(
            update(AnalysisLockRow)
            .where(AnalysisLockRow.id == _LOCK_ROW, AnalysisLockRow.owner == owner)
            .values(heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(AnalysisRunRow)
            .where(
                AnalysisRunRow.id == run_id,
                AnalysisRunRow.owner == owner,
                AnalysisRunRow.status == RunStatus.RUNNING,
            )
            .values(heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(renewed)


async def release_lock(sessions: Sessions, owner: str) -> None:
    """Give the lock back, if `owner` still holds it."""
    async with transaction(sessions, "releasing the analysis lock") as session:
        await session.execute(
            update(AnalysisLockRow)
            .where(AnalysisLockRow.id == _LOCK_ROW, AnalysisLockRow.owner == owner)
            .values(owner=None, run_id=None, taken_at=None, heartbeat_at=None)
            .execution_options(synchronize_session=False)
        )


async def mark_abandoned_runs(sessions: Sessions) -> int:
    """Mark runs whose process stopped (no heartbeat for LEASE) as failed; return how many."""
    async with transaction(sessions, "marking abandoned runs") as session:
        return await mark_abandoned(session)


async def mark_abandoned(session: AsyncSession, *, lock_taken: bool = False) -> int:
    """`mark_abandoned_runs` in the session's transaction.

    Once this transaction has taken the lock (`lock_taken`), every run still running is
    abandoned, however fresh its heartbeat: its process gave the lock up or lost it.
    """
    now = utc_now()
    stale = [AnalysisRunRow.status == RunStatus.RUNNING]
    if not lock_taken:
        # a run from before heartbeats existed has none: nothing can be holding it now
        stale.append(
            AnalysisRunRow.heartbeat_at.is_(None) | (AnalysisRunRow.heartbeat_at < now - LEASE)
        )
    # FOR UPDATE (PostgreSQL) waits for a run being stored now and then sees it finished
    found = await session.execute(
        select(AnalysisRunRow.id, AnalysisRunRow.errors).where(*stale).with_for_update()
    )
    marked = 0
    for run_id, errors in found.all():
        done = await session.execute(
            update(AnalysisRunRow)
            .where(AnalysisRunRow.id == run_id, *stale)
            .values(status=RunStatus.FAILED, finished_at=now, errors=[*errors, ABANDONED])
            .execution_options(synchronize_session=False)
        )
        marked += int(_changed(done))
    return marked


async def _insert_lock_row(session: AsyncSession, owner: str, now: datetime) -> bool:
    # the row is made by the migration; should it have gone, the first taker makes it again
    values = {"id": _LOCK_ROW, "owner": owner, "taken_at": now, "heartbeat_at": now}
    dialect = session.get_bind().dialect.name
    # RETURNING says whether the row was made: drivers differ on an INSERT's rowcount (-1)
    if dialect == "postgresql":
        pg_statement = postgresql_insert(AnalysisLockRow).values(values).on_conflict_do_nothing()
        made = await session.execute(pg_statement.returning(AnalysisLockRow.id))
    else:
        sqlite_statement = sqlite_insert(AnalysisLockRow).values(values).on_conflict_do_nothing()
        made = await session.execute(sqlite_statement.returning(AnalysisLockRow.id))
    return made.first() is not None


async def _describe_holder(session: AsyncSession, holder: AnalysisLockRow | None) -> str:
    if holder is None or holder.owner is None:
        return "an analysis is already running"
    # owner is "host:pid:token"; the host may hold colons itself (an IPv6 address)
    place = holder.owner.rpartition(":")[0]
    host, _, pid = place.rpartition(":")
    parts = []
    if holder.run_id is not None:
        parts.append(f"run {holder.run_id}")
        started = await session.scalar(
            select(AnalysisRunRow.started_at).where(AnalysisRunRow.id == holder.run_id)
        )
        if started is not None:
            parts.append(f"started {started:%H:%M} UTC by pid {pid} on host {host}")
    if len(parts) < 2:
        parts.append(f"by pid {pid} on host {host}")
    return f"an analysis is already running ({', '.join(parts)})"


def _changed(result: object) -> bool:
    # an UPDATE's rowcount: the rows it changed (never -1 for a plain UPDATE)
    return int(getattr(result, "rowcount", 0)) > 0
