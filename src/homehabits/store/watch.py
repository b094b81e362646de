"""The watch's track records: stored per run, read back for a suggestion and the home's own."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import delete, func, insert, select

from homehabits.store._transaction import transaction
from homehabits.store.engine import Sessions
from homehabits.store.records import RunStatus
from homehabits.store.run_lease import confirm_lock
from homehabits.store.tables import AnalysisRunRow, AutomationWatchRow
from homehabits.watch.result import AutomationWatch, Revert

__all__ = [
    "TrackRecord",
    "home_automations",
    "store_watch",
    "track_record",
    "track_records",
]

_FINISHED: Final = (RunStatus.SUCCEEDED, RunStatus.PARTIAL)


@dataclass(frozen=True, slots=True)
class TrackRecord:
    """One automation's track record as a run stored it."""

    run_id: int
    alias: str
    automation_entity: str | None
    automation_id: str | None
    suggestion_id: int | None
    fires: int
    last_fired: datetime | None
    fire_times: tuple[datetime, ...]
    reverts: tuple[Revert, ...]
    misses: tuple[datetime, ...]
    words: str
    problems: tuple[str, ...]
    missing_entities: tuple[str, ...]
    unavailable_entities: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (times as ISO 8601 text), for `--json` and the API."""
        return {
            "run_id": self.run_id,
            "alias": self.alias,
            "automation_entity": self.automation_entity,
            "automation_id": self.automation_id,
            "suggestion_id": self.suggestion_id,
            "fires": self.fires,
            "last_fired": self.last_fired.isoformat() if self.last_fired else None,
            "reverts": [revert.as_dict() for revert in self.reverts],
            "misses": [moment.isoformat() for moment in self.misses],
            "words": self.words,
            "problems": list(self.problems),
            "missing_entities": list(self.missing_entities),
            "unavailable_entities": list(self.unavailable_entities),
        }


def _values(run_id: int, watched: AutomationWatch) -> dict[str, Any]:
    automation = watched.automation
    return {
        "run_id": run_id,
        "automation_entity": automation.entity_id,
        "automation_id": automation.automation_id,
        "alias": automation.alias,
        "suggestion_id": automation.suggestion_id,
        "fires": watched.fires,
        "last_fired": watched.last_fired,
        "fire_times": [moment.isoformat() for moment in watched.fire_times],
        "reverts": [revert.as_dict() for revert in watched.reverts],
        "misses": [moment.isoformat() for moment in watched.misses],
        "words": watched.words,
        "problems": list(watched.problems),
        "missing_entities": list(watched.missing_entities),
        "unavailable_entities": list(watched.unavailable_entities),
    }


async def store_watch(
    sessions: Sessions,
    run_id: int,
    watched: Sequence[AutomationWatch],
    *,
    owner: str | None = None,
) -> None:
    """Keep a run's track records, replacing any it stored before; all or nothing.

    A run started with an `owner` stores them only while that owner holds the analysis lock.
    """
    rows = [_values(run_id, one) for one in watched]
    async with transaction(sessions, f"storing the watch of run {run_id}") as session:
        if owner is not None:
            await confirm_lock(session, owner, run_id)
        await session.execute(delete(AutomationWatchRow).where(AutomationWatchRow.run_id == run_id))
        if rows:
            await session.execute(insert(AutomationWatchRow), rows)


async def track_record(sessions: Sessions, suggestion_id: int) -> TrackRecord | None:
    """A suggestion's track record from the newest finished run that watched it, if any."""
    return (await track_records(sessions, [suggestion_id])).get(suggestion_id)


async def track_records(
    sessions: Sessions, suggestion_ids: Collection[int]
) -> dict[int, TrackRecord]:
    """Suggestion id → its newest track record, in one query (the page's cards)."""
    if not suggestion_ids:
        return {}
    async with transaction(sessions, "reading track records", writes=False) as session:
        rows = await session.scalars(
            select(AutomationWatchRow)
            .join(AnalysisRunRow, AnalysisRunRow.id == AutomationWatchRow.run_id)
            .where(
                AutomationWatchRow.suggestion_id.in_(sorted(suggestion_ids)),
                AnalysisRunRow.status.in_(_FINISHED),
            )
            .order_by(AutomationWatchRow.run_id.desc(), AutomationWatchRow.id)
        )
        found: dict[int, TrackRecord] = {}
        for row in rows:
            if row.suggestion_id is not None and row.suggestion_id not in found:
                found[row.suggestion_id] = _record(row)
        return found


async def home_automations(sessions: Sessions) -> tuple[int | None, list[TrackRecord]]:
    """The owner's own automations as the newest finished run that watched any saw them.

    With the run's id (None when no run has watched yet); problems first, then by name.
    """
    async with transaction(sessions, "reading the home's automations", writes=False) as session:
        run_id = await session.scalar(
            select(func.max(AutomationWatchRow.run_id))
            .join(AnalysisRunRow, AnalysisRunRow.id == AutomationWatchRow.run_id)
            .where(AnalysisRunRow.status.in_(_FINISHED))
        )
        if run_id is None:
            return None, []
        rows = await session.scalars(
            select(AutomationWatchRow).where(
                AutomationWatchRow.run_id == run_id, AutomationWatchRow.suggestion_id.is_(None)
            )
        )
        records = [_record(row) for row in rows]
    records.sort(key=lambda r: (not r.problems, -len(r.problems), r.alias.lower()))
    return run_id, records


def _times(values: Sequence[Any]) -> tuple[datetime, ...]:
    return tuple(datetime.fromisoformat(str(value)) for value in values)


def _record(row: AutomationWatchRow) -> TrackRecord:
    return TrackRecord(
        run_id=row.run_id,
        alias=row.alias,
        automation_entity=row.automation_entity,
        automation_id=row.automation_id,
        suggestion_id=row.suggestion_id,
        fires=row.fires,
        last_fired=row.last_fired,
        fire_times=_times(row.fire_times),
        reverts=tuple(Revert.from_dict(item) for item in row.reverts),
        misses=_times(row.misses),
        words=row.words,
        problems=tuple(str(item) for item in row.problems),
        missing_entities=tuple(str(item) for item in row.missing_entities),
        unavailable_entities=tuple(str(item) for item in row.unavailable_entities),
    )
