"""Suggestions in the store: list and count them, move them through the review, remember rejections.

Every function takes the sessionmaker first and opens its own transaction. Every status change
and every edit writes one feedback row: that is the review history. Every change of the
automation (an edit, a rollback, a deploy) also writes a version (store/versions.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, Final, NoReturn

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from homehabits.config import Dialect
from homehabits.exceptions import StatusChangeError, SuggestionNotFoundError
from homehabits.patterns.habit import HabitKind
from homehabits.patterns.same_habit import KnownHabit, known_habit_from_data
from homehabits.store._rows import kind_is, values_of
from homehabits.store._transaction import transaction
from homehabits.store.engine import Sessions
from homehabits.store.history import REVIEWER
from homehabits.store.pattern_records import check_readable
from homehabits.store.records import RunStatus, SuggestionRecord, SuggestionStatus
from homehabits.store.tables import AnalysisRunRow, FeedbackRow, PatternRow, SuggestionRow, utc_now
from homehabits.store.versions import NewVersion, add_versions

__all__ = [
    "ACTIVE_STATUSES",
    "OWN_HOME",
    "TRANSITIONS",
    "StatusFilter",
    "active_fingerprints",
    "bring_back_retired",
    "change_status",
    "count_by_status",
    "count_suggestions",
    "get_suggestion",
    "known_habits",
    "list_suggestions",
    "pending_by_fingerprint",
    "refuse_fleet_home",
    "rejected_fingerprint_times",
    "rejected_fingerprints",
    "retire_gone",
    "store_verdict",
    "update_automation",
]

StatusFilter = SuggestionStatus | str | Sequence[SuggestionStatus | str] | None

#: The `home_id` filter of the service's own home: its rows have no home id (a fleet's have).
OWN_HOME: Final = ""

_S = SuggestionStatus
_RECORD_FIELDS = tuple(field.name for field in fields(SuggestionRecord))

# Where a suggestion may go from each status.
TRANSITIONS: Mapping[SuggestionStatus, frozenset[SuggestionStatus]] = {
    _S.PENDING: frozenset({_S.APPROVED, _S.REJECTED, _S.RETIRED}),
    _S.APPROVED: frozenset({_S.DEPLOYED, _S.DEPLOY_FAILED, _S.REJECTED, _S.PENDING}),
    _S.DEPLOY_FAILED: frozenset({_S.DEPLOYED, _S.DEPLOY_FAILED, _S.REJECTED, _S.APPROVED}),
    _S.DEPLOYED: frozenset({_S.REMOVED}),
    _S.REMOVED: frozenset({_S.APPROVED, _S.DEPLOYED, _S.DEPLOY_FAILED, _S.REJECTED}),
    _S.REJECTED: frozenset({_S.PENDING}),
    # the habit was no longer found: back when it returns (or reopened), or rejected for good
    _S.RETIRED: frozenset({_S.PENDING, _S.REJECTED}),
}

# Fingerprints in these statuses are not suggested again: the owner has them already.
ACTIVE_STATUSES = frozenset({_S.PENDING, _S.APPROVED, _S.DEPLOYED, _S.DEPLOY_FAILED})

_VERBS = {
    _S.PENDING: "reopen",
    _S.APPROVED: "approve",
    _S.REJECTED: "reject",
    _S.DEPLOYED: "deploy",
    _S.DEPLOY_FAILED: "record a failed deployment of",
    _S.REMOVED: "remove",
    _S.RETIRED: "retire",
}
_ARTICLES = {_S.APPROVED: "an", _S.DEPLOY_FAILED: "a"}
_STATE_WORDS = {_S.DEPLOY_FAILED: "failed-to-deploy"}


async def list_suggestions(
    sessions: Sessions,
    status: StatusFilter = None,
    kind: HabitKind | str | None = None,
    area: str | None = None,
    limit: int = 50,
    offset: int = 0,
    run_id: int | None = None,
    home_id: str | None = None,
) -> list[SuggestionRecord]:
    """Suggestions, newest run first and best score first within a run.

    `status` is one status or several; `area` is an area id or name (any case); `run_id`
    keeps those created by one run; `home_id` those of one home of a fleet (homehabits fleet),
    OWN_HOME the service's own home's, None every home's.
    """
    async with transaction(sessions, "listing suggestions", writes=False) as session:
        rows = await session.scalars(
            select(SuggestionRow)
            .where(*_filters(status, kind, area, run_id), *_home(home_id))
            .order_by(SuggestionRow.created_at.desc(), SuggestionRow.score.desc(), SuggestionRow.id)
            .limit(limit)
            .offset(offset)
        )
        return [_record(row) for row in rows]


async def count_suggestions(
    sessions: Sessions,
    status: StatusFilter = None,
    kind: HabitKind | str | None = None,
    area: str | None = None,
    run_id: int | None = None,
    home_id: str | None = None,
) -> int:
    """How many suggestions list_suggestions would give with these filters and no limit."""
    async with transaction(sessions, "counting suggestions", writes=False) as session:
        total = await session.scalar(
            select(func.count(SuggestionRow.id)).where(
                *_filters(status, kind, area, run_id), *_home(home_id)
            )
        )
        return total or 0


async def count_by_status(sessions: Sessions) -> dict[str, int]:
    """How many suggestions are in each status (every status present, zero included)."""
    async with transaction(sessions, "counting suggestions by status", writes=False) as session:
        rows = await session.execute(
            select(SuggestionRow.status, func.count(SuggestionRow.id)).group_by(
                SuggestionRow.status
            )
        )
        counts = {status.value: 0 for status in SuggestionStatus}
        counts.update(dict(rows.all()))
        return counts


async def get_suggestion(sessions: Sessions, suggestion_id: int) -> SuggestionRecord:
    """One suggestion by id; SuggestionNotFoundError if there is none."""
    async with transaction(
        sessions, f"reading suggestion {suggestion_id}", writes=False
    ) as session:
        row = await session.get(SuggestionRow, suggestion_id)
        if row is None:
            raise SuggestionNotFoundError(f"no suggestion with id {suggestion_id}")
        return _record(row)


async def change_status(
    sessions: Sessions,
    suggestion_id: int,
    new_status: SuggestionStatus | str,
    *,
    reason: str | None = None,
    ha_automation_id: str | None = None,
    deploy_message: str | None = None,
    replaced_automation: dict[str, Any] | None = None,
) -> SuggestionRecord:
    """Move a suggestion to `new_status` if TRANSITIONS allows it, and note it in the history.

    `replaced_automation` keeps the owner's automation that a deployed override replaced.

    Raises StatusChangeError ("cannot deploy a rejected suggestion") for a change that is not
    allowed, SuggestionNotFoundError for an unknown id.
    """
    target = SuggestionStatus(new_status)
    allowed_from = [status for status, nexts in TRANSITIONS.items() if target in nexts]
    values: dict[str, Any] = {"status": target, "updated_at": utc_now()}
    # A reason given for a rejection is the rejection's; leaving "rejected" drops it.
    values["reject_reason"] = reason if target is _S.REJECTED else None
    if ha_automation_id is not None:
        values["ha_automation_id"] = ha_automation_id
    if replaced_automation is not None:
        values["replaced_automation"] = replaced_automation
    if target in (_S.DEPLOYED, _S.DEPLOY_FAILED):
        # A new attempt replaces the message of the previous one.
        values["deploy_message"] = deploy_message or (
            reason if target is _S.DEPLOY_FAILED else None
        )
    elif deploy_message is not None:
        values["deploy_message"] = deploy_message
    doing = f"changing suggestion {suggestion_id} to {target.value}"
    async with transaction(sessions, doing) as session:
        # Checking the status in the UPDATE itself makes a concurrent change lose cleanly,
        # and writing first takes SQLite's write lock before anything is read.
        row = await session.scalar(
            update(SuggestionRow)
            .where(
                SuggestionRow.id == suggestion_id,
                SuggestionRow.status.in_(allowed_from),
                SuggestionRow.home_id.is_(None),  # a fleet home's are read-only here
            )
            .values(**values)
            .returning(SuggestionRow)
            .execution_options(synchronize_session=False)
        )
        if row is None:
            await _refuse(session, suggestion_id, _VERBS[target])
        await _note(session, row, target.value, reason or deploy_message)
        if target is _S.DEPLOYED:
            # what Home Assistant runs from now on is a version of its own in the history
            await _version(session, row, "deployed", deployed=True)
        return _record(row)


async def update_automation(
    sessions: Sessions,
    suggestion_id: int,
    automation: dict[str, Any],
    yaml: str,
    *,
    sensitive: bool | None = None,
    sensitive_reason: str | None = None,
    why: str = "edited",
    dialect: Dialect | None = None,
    redeployed: bool = False,
    deploy_message: str | None = None,
) -> SuggestionRecord:
    """Replace a suggestion's automation (the owner edited it); not while it is deployed.

    With `sensitive`, the safety verdict recomputed for the new automation is stored with it.
    The change is kept as a new version saying `why` ("edited", "rolled back to version 2")
    and, with `dialect`, the dialect the new automation is written in. `redeployed` says Home
    Assistant already runs the new automation (a rollback of a deployed suggestion): then only
    a deployed suggestion is changed, and `deploy_message` replaces its deploy message.
    """
    values: dict[str, Any] = {"automation": automation, "yaml": yaml, "updated_at": utc_now()}
    if sensitive is not None:
        values.update(sensitive=sensitive, sensitive_reason=sensitive_reason)
    if dialect is not None:
        values["dialect"] = Dialect(dialect)
    if deploy_message is not None:
        values["deploy_message"] = deploy_message
    # Home Assistant runs the deployed version: editing only ours would hide that
    deployed_now = SuggestionRow.status == _S.DEPLOYED
    async with transaction(sessions, f"editing suggestion {suggestion_id}") as session:
        row = await session.scalar(
            update(SuggestionRow)
            .where(
                SuggestionRow.id == suggestion_id,
                deployed_now if redeployed else ~deployed_now,
                SuggestionRow.home_id.is_(None),  # a fleet home's are read-only here
            )
            .values(**values)
            .returning(SuggestionRow)
            .execution_options(synchronize_session=False)
        )
        if row is None and redeployed:
            raise StatusChangeError(
                f"suggestion {suggestion_id} was undeployed meanwhile; Home Assistant got the "
                "rolled-back automation but homehabits kept the one it had"
            )
        if row is None:
            await _refuse(session, suggestion_id, "edit")
        # an edit's history step says "edited" alone; a rollback says which version came back
        await _note(session, row, "edited", None if why == "edited" else why)
        await _version(session, row, why, deployed=redeployed)
        return _record(row)


async def store_verdict(
    sessions: Sessions, suggestion_id: int, sensitive: bool, sensitive_reason: str | None
) -> SuggestionRecord:
    """Keep the safety verdict a door recomputed for the stored automation."""
    async with transaction(sessions, f"storing the safety verdict of {suggestion_id}") as session:
        row = await session.scalar(
            update(SuggestionRow)
            .where(SuggestionRow.id == suggestion_id)
            .values(sensitive=sensitive, sensitive_reason=sensitive_reason)
            .returning(SuggestionRow)
            .execution_options(synchronize_session=False)
        )
        if row is None:
            raise SuggestionNotFoundError(f"no suggestion with id {suggestion_id}")
        return _record(row)


async def active_fingerprints(sessions: Sessions, *, home_id: str | None = None) -> set[str]:
    """Fingerprints of habits the owner already has in review or deployed (of one home)."""
    async with transaction(sessions, "reading active fingerprints", writes=False) as session:
        found = await session.scalars(
            select(SuggestionRow.fingerprint)
            .where(SuggestionRow.status.in_(ACTIVE_STATUSES), _of_home(home_id))
            .distinct()
        )
        return set(found)


async def pending_by_fingerprint(
    sessions: Sessions, *, home_id: str | None = None
) -> dict[str, tuple[int, bool]]:
    """A home's pending suggestions by fingerprint: (id, whether the owner edited it)."""
    async with transaction(sessions, "reading pending suggestions", writes=False) as session:
        edited = (
            select(FeedbackRow.id)
            .where(FeedbackRow.suggestion_id == SuggestionRow.id, FeedbackRow.action == "edited")
            .exists()
        )
        rows = await session.execute(
            select(SuggestionRow.fingerprint, SuggestionRow.id, edited)
            .where(SuggestionRow.status == _S.PENDING, _of_home(home_id))
            .order_by(SuggestionRow.id)
        )
        return {fingerprint: (sid, bool(was_edited)) for fingerprint, sid, was_edited in rows}


async def retire_gone(
    sessions: Sessions,
    found: Collection[str],
    stopped: Mapping[str, str] | None = None,
    *,
    home_id: str | None = None,
) -> list[int]:
    """Retire the pending suggestions of a home whose habit its run no longer found; their ids.

    `found` holds the fingerprints of the habits the run found; `stopped` the reasons of the
    habits it found but left out because the household stopped doing them. Only pending ones
    retire: what the owner approved, deployed or rejected stays as the owner left it. Only the
    run's own home's: `home_id` (None: the single home, whose rows have no home id).
    """
    stopped = stopped or {}
    keep = set(found)
    async with transaction(sessions, "retiring the suggestions whose habit is gone") as session:
        rows = await session.execute(
            select(SuggestionRow.id, SuggestionRow.fingerprint).where(
                SuggestionRow.status == _S.PENDING, _of_home(home_id)
            )
        )
        gone = [(sid, fingerprint) for sid, fingerprint in rows if fingerprint not in keep]
        for sid, fingerprint in gone:
            reason = stopped.get(fingerprint, "the habit was not found in the latest analysis")
            await _move(session, sid, _S.PENDING, _S.RETIRED, reason)
        return [sid for sid, _ in gone]


async def bring_back_retired(
    sessions: Sessions, found: Collection[str], *, home_id: str | None = None
) -> list[int]:
    """A home's retired suggestions whose habit its run found again are pending once more."""
    wanted = set(found)
    if not wanted:
        return []
    async with transaction(
        sessions, "bringing back the suggestions whose habit returned"
    ) as session:
        active = set(
            await session.scalars(
                select(SuggestionRow.fingerprint).where(
                    SuggestionRow.status.in_(ACTIVE_STATUSES), _of_home(home_id)
                )
            )
        )
        rows = await session.execute(
            select(SuggestionRow.id, SuggestionRow.fingerprint)
            .where(
                SuggestionRow.status == _S.RETIRED,
                SuggestionRow.fingerprint.in_(wanted),
                _of_home(home_id),
            )
            .order_by(SuggestionRow.id.desc())
        )
        back: list[int] = []
        for sid, fingerprint in rows:
            if fingerprint in active:
                continue  # the newest one per habit comes back, never two pending at once
            active.add(fingerprint)
            await _move(session, sid, _S.RETIRED, _S.PENDING, "the habit was found again")
            back.append(sid)
        return back


async def _move(
    session: AsyncSession,
    suggestion_id: int,
    current: SuggestionStatus,
    target: SuggestionStatus,
    reason: str,
) -> None:
    """One status change the store makes on its own, noted in the history like the owner's."""
    row = await session.scalar(
        update(SuggestionRow)
        .where(SuggestionRow.id == suggestion_id, SuggestionRow.status == current)
        .values(status=target, updated_at=utc_now())
        .returning(SuggestionRow)
        .execution_options(synchronize_session=False)
    )
    if row is not None:  # changed meanwhile by the owner: the owner's change stands
        await _note(session, row, target.value, reason)


async def rejected_fingerprint_times(
    sessions: Sessions, since: datetime, *, home_id: str | None = None
) -> dict[str, datetime]:
    """A home's fingerprints still rejected, rejected at or after `since`, with the time."""
    async with transaction(sessions, "reading rejected fingerprints", writes=False) as session:
        rows = await session.execute(
            select(SuggestionRow.fingerprint, func.max(FeedbackRow.created_at))
            .join(FeedbackRow, FeedbackRow.suggestion_id == SuggestionRow.id)
            .where(
                SuggestionRow.status == _S.REJECTED,
                FeedbackRow.action == _S.REJECTED.value,
                FeedbackRow.created_at >= since,
                _of_home(home_id),
            )
            .group_by(SuggestionRow.fingerprint)
        )
        return dict(rows.all())


async def rejected_fingerprints(
    sessions: Sessions, since: datetime, *, home_id: str | None = None
) -> set[str]:
    """A home's fingerprints still rejected whose rejection was at or after `since`."""
    return set(await rejected_fingerprint_times(sessions, since, home_id=home_id))


async def known_habits(
    sessions: Sessions, rejected_since: datetime, *, home_id: str | None = None
) -> list[KnownHabit]:
    """The habits a new run's habits are matched to, so that one found again keeps its name.

    Every suggestion of the home whatever its status (a rejected one while its rejection since
    `rejected_since` holds), and every habit the home's latest finished run found.
    """
    rejection_holds = (
        select(FeedbackRow.id)
        .where(
            FeedbackRow.suggestion_id == SuggestionRow.id,
            FeedbackRow.action == _S.REJECTED.value,
            FeedbackRow.created_at >= rejected_since,
        )
        .exists()
    )
    latest_run = (
        select(AnalysisRunRow.id)
        .where(
            AnalysisRunRow.status.in_([RunStatus.SUCCEEDED, RunStatus.PARTIAL]),
            AnalysisRunRow.home_id.is_(None)
            if home_id is None
            else AnalysisRunRow.home_id == home_id,
        )
        .order_by(AnalysisRunRow.started_at.desc(), AnalysisRunRow.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    async with transaction(sessions, "reading the habits already known") as session:
        suggested = await session.execute(
            select(SuggestionRow.fingerprint, SuggestionRow.pattern)
            .where((SuggestionRow.status != _S.REJECTED) | rejection_holds, _of_home(home_id))
            .order_by(SuggestionRow.id)
        )
        found = await session.execute(
            select(PatternRow.fingerprint, PatternRow.data)
            .where(PatternRow.run_id == latest_run)
            .order_by(PatternRow.id)
        )
        rows = [*suggested.all(), *found.all()]
    known = (known_habit_from_data(fingerprint, data or {}) for fingerprint, data in rows)
    return [habit for habit in known if habit is not None]


def _filters(
    status: StatusFilter, kind: HabitKind | str | None, area: str | None, run_id: int | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        conditions.append(SuggestionRow.status.in_([SuggestionStatus(one) for one in wanted]))
    if kind is not None:
        conditions.append(kind_is(SuggestionRow.kind, kind))
    if run_id is not None:
        conditions.append(SuggestionRow.run_id == run_id)
    if area is not None:
        conditions.append(
            (SuggestionRow.area_id == area) | (func.lower(SuggestionRow.area_name) == area.lower())
        )
    return conditions


def _of_home(home_id: str | None) -> ColumnElement[bool]:
    """The rows of one home a run works on: a fleet's home, or (None) the single home's own."""
    if home_id is None:
        return SuggestionRow.home_id.is_(None)
    return SuggestionRow.home_id == home_id


def _home(home_id: str | None) -> list[ColumnElement[bool]]:
    """One fleet home's suggestions; OWN_HOME the service's own; None: every suggestion."""
    if home_id is None:
        return []
    return [_of_home(None if home_id == OWN_HOME else home_id)]


def refuse_fleet_home(record: SuggestionRecord, verb: str) -> None:
    """Raise StatusChangeError for a suggestion of a fleet home: they are read-only here.

    The service reviews and deploys to its own Home Assistant only; a fleet home's
    suggestions (homehabits fleet) are shown, never approved, edited or deployed from it.
    """
    if record.home_id is not None:
        raise _fleet_home_refusal(record.id, record.home_id, verb)


def _fleet_home_refusal(suggestion_id: int, home_id: str, verb: str) -> StatusChangeError:
    return StatusChangeError(
        f"cannot {verb} suggestion #{suggestion_id}: it belongs to fleet home {home_id!r}, "
        "and a fleet home's suggestions are read-only on this service (it reviews and deploys "
        "for its own home only)"
    )


async def _refuse(session: AsyncSession, suggestion_id: int, verb: str) -> NoReturn:
    found = (
        await session.execute(
            select(SuggestionRow.status, SuggestionRow.home_id).where(
                SuggestionRow.id == suggestion_id
            )
        )
    ).first()
    if found is None:
        raise SuggestionNotFoundError(f"no suggestion with id {suggestion_id}")
    current, home_id = found
    if home_id is not None:
        raise _fleet_home_refusal(suggestion_id, home_id, verb)
    status = SuggestionStatus(current)
    article = _ARTICLES.get(status, "a")
    state = _STATE_WORDS.get(status, status.value)
    nexts = ", ".join(sorted(_VERBS[option] for option in TRANSITIONS[status]))
    raise StatusChangeError(
        f"cannot {verb} {article} {state} suggestion (#{suggestion_id}); "
        f"from {status.value} it can only: {nexts}"
    )


async def _note(session: AsyncSession, row: SuggestionRow, action: str, reason: str | None) -> None:
    await session.execute(
        insert(FeedbackRow).values(
            suggestion_id=row.id,
            fingerprint=row.fingerprint,
            action=action,
            reason=reason,
            created_at=row.updated_at,
            actor=REVIEWER.get(),
        )
    )


async def _version(session: AsyncSession, row: SuggestionRow, why: str, *, deployed: bool) -> None:
    """Keep the row's automation as a new version, by the reviewer of this request."""
    version = NewVersion(
        suggestion_id=row.id,
        automation=row.automation,
        yaml=row.yaml,
        dialect=row.dialect,
        reason=why,
        actor=REVIEWER.get(),
        deployed=deployed,
    )
    await add_versions(session, [version], row.updated_at)


def _record(row: SuggestionRow) -> SuggestionRecord:
    check_readable(row.pattern, where=f"suggestion {row.id}")
    return SuggestionRecord(**values_of(row, _RECORD_FIELDS))
