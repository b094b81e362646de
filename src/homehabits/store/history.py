"""The review history of a suggestion: every status change and edit, oldest first."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from homehabits.store._transaction import transaction
from homehabits.store.engine import Sessions
from homehabits.store.tables import FeedbackRow

__all__ = ["REVIEWER", "FeedbackEntry", "review_history"]

#: Who is reviewing now (the Home Assistant user under ingress); None: not known (CLI, token).
REVIEWER: ContextVar[str | None] = ContextVar("homehabits_reviewer", default=None)


@dataclass(frozen=True, slots=True)
class FeedbackEntry:
    """One step of the review: the new status (or "edited"), why, and when."""

    id: int
    suggestion_id: int
    fingerprint: str
    action: str  # approved | rejected | deployed | deploy_failed | removed | pending | edited
    reason: str | None
    created_at: datetime
    actor: str | None = None  # who did it, when known: "Display Name (user id)" under ingress


async def review_history(sessions: Sessions, suggestion_id: int) -> list[FeedbackEntry]:
    """What happened to one suggestion in the review, oldest first (empty for an unknown id)."""
    async with transaction(
        sessions, f"reading the history of suggestion {suggestion_id}", writes=False
    ) as session:
        rows = await session.scalars(
            select(FeedbackRow)
            .where(FeedbackRow.suggestion_id == suggestion_id)
            .order_by(FeedbackRow.created_at, FeedbackRow.id)
        )
        return [
            FeedbackEntry(
                id=row.id,
                suggestion_id=row.suggestion_id,
                fingerprint=row.fingerprint,
                action=row.action,
                reason=row.reason,
                created_at=row.created_at,
                actor=row.actor,
            )
            for row in rows
        ]
