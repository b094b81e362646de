"""Service accounts the owner confirmed: Home Assistant users whose actions are not a person's."""

from __future__ import annotations

from typing import Final

from sqlalchemy import delete, select

from homehabits.store._transaction import transaction
from homehabits.store.engine import Sessions
from homehabits.store.tables import ServiceAccountRow, utc_now

__all__ = [
    "OWN_TOKEN_REASON",
    "confirm_service_account",
    "confirmed_service_accounts",
    "withdraw_own_token_confirmation",
]

#: Why a user was confirmed without the owner: it is the user of homehabits' own token.
OWN_TOKEN_REASON: Final = "the user of homehabits' own Home Assistant token"


async def confirmed_service_accounts(sessions: Sessions) -> dict[str, str]:
    """User id → name of every confirmed service account."""
    async with transaction(sessions, "reading the confirmed service accounts") as session:
        rows = await session.scalars(select(ServiceAccountRow))
        return {row.user_id: row.name for row in rows}


async def confirm_service_account(
    sessions: Sessions, user_id: str, name: str, reason: str = "confirmed by the owner"
) -> bool:
    """Remember a user as a service account; False when it already was one."""
    user_id = user_id.strip().replace("-", "").lower()
    async with transaction(sessions, f"confirming service account {user_id}") as session:
        if await session.get(ServiceAccountRow, user_id) is not None:
            return False
        session.add(
            ServiceAccountRow(user_id=user_id, name=name, reason=reason, confirmed_at=utc_now())
        )
    return True


async def withdraw_own_token_confirmation(sessions: Sessions, user_id: str) -> bool:
    """Forget a user confirmed only for being homehabits' token user; True when one was.

    A confirmation the owner made stays: only the one homehabits made by itself is withdrawn.
    """
    user_id = user_id.strip().replace("-", "").lower()
    async with transaction(sessions, f"withdrawing service account {user_id}") as session:
        result = await session.execute(
            delete(ServiceAccountRow).where(
                ServiceAccountRow.user_id == user_id, ServiceAccountRow.reason == OWN_TOKEN_REASON
            )
        )
        return bool(getattr(result, "rowcount", 0))
