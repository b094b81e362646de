"""The owner's decisions as the calibration counts them, and the rejections a returning habit recalls.

Every function takes the sessionmaker first and opens its own transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import func, select

from homehabits.patterns.calibration import DecisionCounts, PastRejection
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
    """The decisions per kind of habit and per domain of the suggestion's target."""

    by_kind: dict[str, DecisionCounts] = field(default_factory=dict)
    by_domain: dict[str, DecisionCounts] = field(default_factory=dict)


async def owner_decisions(sessions: Sessions) -> OwnerDecisions:
    """Every approved, rejected, deployed and undeployed suggestion, counted per kind and domain.

    A deployed one counts its fires and reverts from the newest finished run that watched it
    (one that has not fired yet is not counted as lived with). Two queries, whatever the
    number of suggestions.
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
                )
                .where(SuggestionRow.status.in_(_DECIDED))
                .order_by(SuggestionRow.updated_at.desc(), SuggestionRow.id.desc())
            )
        ).all()
        deployed = [sid for sid, _, _, status, _ in rows if status is _S.DEPLOYED]
        # each deployed one's newest track record only: every run keeps one per automation
        latest = (
            select(
                AutomationWatchRow.suggestion_id,
                func.max(AutomationWatchRow.run_id).label("run_id"),
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
            )
            .join(
                latest,
                (AutomationWatchRow.suggestion_id == latest.c.suggestion_id)
                & (AutomationWatchRow.run_id == latest.c.run_id),
            )
            .order_by(AutomationWatchRow.id)
        )
        newest: dict[int, tuple[int, int]] = {}
        for suggestion_id, fires, reverts in watched:
            if suggestion_id is not None and suggestion_id not in newest:
                newest[suggestion_id] = (fires, len(reverts or ()))
    decisions = OwnerDecisions()
    for suggestion_id, kind, target, status, reason in rows:
        counts = _one(SuggestionStatus(status), reason, newest.get(suggestion_id))
        for groups, name in (
            (decisions.by_kind, kind.value),
            (decisions.by_domain, target.split(".", 1)[0]),
        ):
            groups[name] = groups.get(name, DecisionCounts()).add(counts)
    return decisions


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
