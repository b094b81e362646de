"""One place that opens a store transaction and turns database failures into StoreError."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from homehabits.exceptions import StoreError
from homehabits.store.engine import READS_ONLY, Sessions, describe_url

__all__ = ["transaction"]


@asynccontextmanager
async def transaction(
    sessions: Sessions, doing: str, *, writes: bool = True
) -> AsyncIterator[AsyncSession]:
    """A session in one transaction: committed on success, rolled back on any error.

    `doing` names the work for the error message, e.g. "storing the results of run 7".
    A transaction that `writes` waits for another process's write (SQLite: BEGIN IMMEDIATE)
    before it reads anything; one that only reads (`writes=False`) never waits for a writer.
    """
    try:
        async with sessions.begin() as session:
            if not writes:
                await session.connection(execution_options={READS_ONLY: True})
            yield session
    except (SQLAlchemyError, OSError) as err:
        raise StoreError(f"{doing} failed on {_database(sessions)}: {err}") from err


def _database(sessions: Sessions) -> str:
    bind = sessions.kw.get("bind")
    if isinstance(bind, AsyncEngine):
        return describe_url(bind.url)
    return "the homehabits database"
