"""The owner's decisions as the calibration counts them, and the rejections a returning habit recalls.

Every function takes the sessionmaker first and opens its own transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import func, select

from homehabits.patterns.calibration import Decision, DecisionCounts, PastRejection
from homehabits.store._transaction import transaction
from homehabits.store.engine import Sessions
from homehabits.store.records import RunStatus, SuggestionStatus
from homehabits.store.tables import AnalysisRunRow, AutomationWatchRow, FeedbackRow, SuggestionRow

__all__ = ["OwnerDecisions", "owner_decisions", "past_rejections"]

_S = SuggestionStatus
_FINISHED: Final = (RunStatus.SUCCEEDED, RunStatus.PARTIAL)
# every status the owner put a suggestion in: approved ones, whatever became of them since
_APPROVED: Final = frozenset({_S.APPROVED, _S.DEPLOYED, _S.DEPLOY_FAILED, _S.REMOVED})
_DECIDED: Final = (*_APPROVED, _S.REJECTED)


@dataclass(frozen=True, slots=True)
class OwnerDecisions:
    """Every decided suggestion's decisions, newest first, each with its kind, domain and time."""

    decisions: tuple[Decision, ...] = ()

    @property
    def by_kind(self) -> dict[str, DecisionCounts]:
        """The decisions summed per kind of habit (unaged, as the owner counts them)."""
        return _summed(self.decisions, by_kind=True)

    @property
    def by_domain(self) -> dict[str, DecisionCounts]:
        """The decisions summed per domain of the suggestion's target."""
        return _summed(self.decisions, by_kind=False)


def _summed(decisions: tuple[Decision, ...], *, by_kind: bool) -> dict[str, DecisionCounts]:
    summed: dict[str, DecisionCounts] = {}
    for decision in decisions:
        name = decision.kind if by_kind else decision.domain
        summed[name] = summed.get(name, DecisionCounts()).add(decision.counts)
    return summed


async def owner_decisions(sessions: Sessions) -> OwnerDecisions:
    """Every approved, rejected, deployed and undeployed suggestion's decisions, with their time.

    A deployed one counts its fires and reverts from the newest finished run that watched it
    (one that has not fired yet is not counted as lived with), and is as old as that run;
    the others are as old as their last change. Two queries, whatever the number of
    suggestions.
    """
    async with transaction(sessions, "reading the owner's decisions", writes=False) as session:
        rows = (
            await session.execute(
                select(
                    SuggestionRow.id,
                    SuggestionRow.kind,
                    SuggestionRow.target_entity,
                    SuggestionRow.status,
                    SuggestionRow.reject_reason,
                    SuggestionRow.updated_at,
                )
                .where(SuggestionRow.status.in_(_DECIDED))
                .order_by(SuggestionRow.updated_at.desc(), SuggestionRow.id.desc())
            )
        ).all()
        deployed = [sid for sid, _, _, status, _, _ in rows if status is _S.DEPLOYED]
        # each deployed one's newest track record only: every run keeps one per automation
        latest = (
            select(
                AutomationWatchRow.suggestion_id,
                func.max(AutomationWatchRow.run_id).label("run_id"),
                # when the newest of them ran: a deployed one is as old as its track record
                func.max(AnalysisRunRow.started_at).label("seen_at"),
            )
            .join(AnalysisRunRow, AnalysisRunRow.id == AutomationWatchRow.run_id)
            .where(
                AutomationWatchRow.suggestion_id.in_(deployed),
                AnalysisRunRow.status.in_(_FINISHED),
            )
            .group_by(AutomationWatchRow.suggestion_id)
            .subquery()
        )
        watched = await session.execute(
            select(
                AutomationWatchRow.suggestion_id,
                AutomationWatchRow.fires,
                AutomationWatchRow.reverts,
                latest.c.seen_at,
            )
            .join(
                latest,
                (AutomationWatchRow.suggestion_id == latest.c.suggestion_id)
                & (AutomationWatchRow.run_id == latest.c.run_id),
            )
            .order_by(AutomationWatchRow.id)
        )
        newest: dict[int, tuple[int, int, datetime]] = {}
        for suggestion_id, fires, reverts, seen_at in watched:
            if suggestion_id is not None and suggestion_id not in newest:
                newest[suggestion_id] = (fires, len(reverts or ()), _utc(seen_at))
    found: list[Decision] = []
    for suggestion_id, kind, target, status, reason, updated_at in rows:
        track = newest.get(suggestion_id)
        counts = _one(SuggestionStatus(status), reason, track[:2] if track else None)
        when = _utc(updated_at)
        if counts.deployed and track is not None:
            when = max(when, track[2])  # lived with until its newest track record
        found.append(Decision(kind.value, target.split(".", 1)[0], counts, when))
    return OwnerDecisions(tuple(found))


def _utc(moment: datetime) -> datetime:
    """A stored time as aware UTC (SQLite hands them back naive)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _one(
    status: SuggestionStatus, reason: str | None, watched: tuple[int, int] | None
) -> DecisionCounts:
    """One suggestion's decisions."""
    if status is _S.REJECTED:
        return DecisionCounts(
            rejected=1, reasons=(reason.strip(),) if reason and reason.strip() else ()
        )
    fires, reverts = watched or (0, 0)
    lived_with = status is _S.DEPLOYED and fires > 0
    return DecisionCounts(
        approved=1,
        deployed=1 if lived_with else 0,
        fires=fires if lived_with else 0,
        reverts=min(reverts, fires) if lived_with else 0,
        removed=1 if status is _S.REMOVED else 0,
    )


async def past_rejections(
    sessions: Sessions, fingerprints: Collection[str]
) -> dict[str, PastRejection]:
    """Fingerprint → the newest rejection of a still-rejected suggestion of that habit."""
    wanted = sorted(set(fingerprints))
    if not wanted:
        return {}
    async with transaction(sessions, "reading past rejections", writes=False) as session:
        rows = await session.execute(
            select(SuggestionRow.fingerprint, FeedbackRow.created_at, FeedbackRow.reason)
            .join(FeedbackRow, FeedbackRow.suggestion_id == SuggestionRow.id)
            .where(
                SuggestionRow.status == _S.REJECTED,
                SuggestionRow.fingerprint.in_(wanted),
                FeedbackRow.action == _S.REJECTED.value,
            )
            .order_by(FeedbackRow.created_at.desc(), FeedbackRow.id.desc())
        )
        found: dict[str, PastRejection] = {}
        for fingerprint, rejected_at, reason in rows:
            found.setdefault(fingerprint, PastRejection(rejected_at, reason))
        return found
