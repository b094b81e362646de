"""Versions of a suggestion's automation: every change kept, with who made it, when and why.

A version is written in the same transaction as the change it records (a run storing a new or
refreshed suggestion, an edit, a deploy, a rollback), so the history never misses one or holds
one that did not happen. The newest version is the suggestion's current automation; the
deployed one is the newest sent to Home Assistant while the suggestion is deployed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from homehabits.config import Dialect
from homehabits.exceptions import SuggestionNotFoundError, VersionNotFoundError
from homehabits.store._transaction import transaction
from homehabits.store.engine import Sessions
from homehabits.store.records import SuggestionStatus
from homehabits.store.tables import SuggestionRow, SuggestionVersionRow

__all__ = [
    "RUN_ACTOR",
    "NewVersion",
    "VersionRecord",
    "add_versions",
    "get_version",
    "list_versions",
    "versions_of",
]

#: Who a version made by an analysis run is by.
RUN_ACTOR: Final = "homehabits"


@dataclass(frozen=True, slots=True)
class NewVersion:
    """A version to record: the automation as it is now, who made it so, and why."""

    suggestion_id: int
    automation: dict[str, Any]
    yaml: str
    dialect: Dialect
    reason: str  # "found by run 12", "refreshed by run 15", "edited", "deployed", …
    actor: str | None  # the reviewer (feedback.actor), RUN_ACTOR for a run, None: not known
    deployed: bool = False  # sent to Home Assistant at this step


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One stored version, and whether it is the current one and the one Home Assistant runs."""

    suggestion_id: int
    number: int
    automation: dict[str, Any]
    yaml: str
    dialect: Dialect
    actor: str | None
    reason: str
    created_at: datetime
    sent: bool  # went to Home Assistant at this step
    current: bool  # the suggestion's automation now
    deployed: bool  # the one Home Assistant runs now


async def add_versions(
    session: AsyncSession, versions: Sequence[NewVersion], when: datetime, *, fresh: bool = False
) -> None:
    """Record versions in the caller's transaction, each numbered after its suggestion's newest.

    `fresh`: the suggestions were created in this transaction and have no version yet, so
    their numbers start at 1 without asking the database.
    """
    if not versions:
        return
    newest: dict[int, int] = {}
    if not fresh:
        ids = sorted({version.suggestion_id for version in versions})
        rows = await session.execute(
            select(SuggestionVersionRow.suggestion_id, func.max(SuggestionVersionRow.number))
            .where(SuggestionVersionRow.suggestion_id.in_(ids))
            .group_by(SuggestionVersionRow.suggestion_id)
        )
        newest = dict(rows.all())
    values: list[dict[str, Any]] = []
    for version in versions:
        number = newest.get(version.suggestion_id, 0) + 1
        newest[version.suggestion_id] = number
        values.append(
            {
                "suggestion_id": version.suggestion_id,
                "number": number,
                "automation": version.automation,
                "yaml": version.yaml,
                "dialect": version.dialect,
                "actor": version.actor,
                "reason": version.reason,
                "deployed": version.deployed,
                "created_at": when,
            }
        )
    # executemany: one statement for all of a run's new suggestions
    await session.execute(insert(SuggestionVersionRow), values)


async def list_versions(sessions: Sessions, suggestion_id: int) -> list[VersionRecord]:
    """Every version of one suggestion, newest first; SuggestionNotFoundError for an unknown id."""
    found = await _versions(sessions, [suggestion_id], f"reading the versions of {suggestion_id}")
    if suggestion_id not in found:
        raise SuggestionNotFoundError(f"no suggestion with id {suggestion_id}")
    return found[suggestion_id]


async def versions_of(
    sessions: Sessions, suggestion_ids: Collection[int]
) -> dict[int, list[VersionRecord]]:
    """The versions of several suggestions in one query, newest first (the review page's)."""
    if not suggestion_ids:
        return {}
    return await _versions(sessions, sorted(set(suggestion_ids)), "reading suggestion versions")


async def get_version(sessions: Sessions, suggestion_id: int, number: int) -> VersionRecord:
    """One version of a suggestion; VersionNotFoundError naming the numbers it has."""
    every = await list_versions(sessions, suggestion_id)
    for version in every:
        if version.number == number:
            return version
    have = ", ".join(str(version.number) for version in reversed(every)) or "none"
    raise VersionNotFoundError(
        f"suggestion {suggestion_id} has no version {number} (its versions: {have})"
    )


async def _versions(
    sessions: Sessions, suggestion_ids: Sequence[int], doing: str
) -> dict[int, list[VersionRecord]]:
    """Versions by suggestion, newest first; a suggestion that exists is there, if versionless.

    One query (the suggestions outer-joined to their versions): the review page asks once
    for all its cards.
    """
    async with transaction(sessions, doing, writes=False) as session:
        rows = await session.execute(
            select(SuggestionRow.id, SuggestionRow.status, SuggestionVersionRow)
            .outerjoin(SuggestionVersionRow, SuggestionVersionRow.suggestion_id == SuggestionRow.id)
            .where(SuggestionRow.id.in_(suggestion_ids))
            .order_by(SuggestionRow.id, SuggestionVersionRow.number.desc())
        )
        statuses: dict[int, SuggestionStatus] = {}
        grouped: dict[int, list[SuggestionVersionRow]] = defaultdict(list)
        for suggestion_id, status, version in rows:
            statuses[suggestion_id] = SuggestionStatus(status)
            if version is not None:
                grouped[suggestion_id].append(version)
    return {
        suggestion_id: _records(grouped.get(suggestion_id, []), status)
        for suggestion_id, status in statuses.items()
    }


def _records(rows: list[SuggestionVersionRow], status: SuggestionStatus) -> list[VersionRecord]:
    """Records of one suggestion's rows (newest first), marking the current and deployed one."""
    live = None
    if status is SuggestionStatus.DEPLOYED:
        live = next((row.number for row in rows if row.deployed), None)
    return [
        VersionRecord(
            suggestion_id=row.suggestion_id,
            number=row.number,
            automation=dict(row.automation),
            yaml=row.yaml,
            dialect=Dialect(row.dialect),
            actor=row.actor,
            reason=row.reason,
            created_at=row.created_at,
            sent=row.deployed,
            current=index == 0,
            deployed=row.number == live,
        )
        for index, row in enumerate(rows)
    ]
