"""The words cache: what a model already wrote for a habit, so it is not paid for twice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from homehabits.store._transaction import transaction
from homehabits.store.engine import Sessions
from homehabits.store.tables import WriterCacheRow, utc_now
from homehabits.writers.words import Words

__all__ = ["cache_get", "cache_put"]


async def cache_get(sessions: Sessions, key: str) -> Words | None:
    """The words cached under `key` (cached=True, author = the model), or None.

    Tokens are those the words cost when written; cost is 0: a cache hit spends nothing.
    """
    async with transaction(sessions, "reading the words cache", writes=False) as session:
        row = await session.scalar(select(WriterCacheRow).where(WriterCacheRow.key == key))
        if row is None:
            return None
        return Words(
            title=row.title,
            description=row.description,
            rationale=row.rationale,
            category=row.category,
            author=row.model,
            tokens_in=row.tokens_in,
            tokens_out=row.tokens_out,
            cost=0.0,
            cached=True,
        )


async def cache_put(sessions: Sessions, key: str, words: Words) -> None:
    """Cache `words` under `key`, replacing what was there."""
    values: dict[str, Any] = {
        "key": key,
        "title": words.title,
        "description": words.description,
        "rationale": words.rationale,
        "category": words.category,
        "model": words.author,
        "tokens_in": words.tokens_in,
        "tokens_out": words.tokens_out,
        "created_at": utc_now(),
    }
    changes = {name: value for name, value in values.items() if name != "key"}
    async with transaction(sessions, "writing the words cache") as session:
        # An upsert, so two writers caching the same key at once cannot collide.
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite":
            sqlite_upsert = sqlite_insert(WriterCacheRow).values(values)
            await session.execute(
                sqlite_upsert.on_conflict_do_update(index_elements=["key"], set_=changes)
            )
        elif dialect == "postgresql":
            postgresql_upsert = postgresql_insert(WriterCacheRow).values(values)
            await session.execute(
                postgresql_upsert.on_conflict_do_update(index_elements=["key"], set_=changes)
            )
        else:
            await session.merge(WriterCacheRow(**values))
