"""Alembic environment: runs homehabits' migrations on the connection it is given."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from homehabits.config import load_settings
from homehabits.store.engine import make_engine
from homehabits.store.tables import Base

__all__: list[str] = []


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run_on)
    finally:
        await engine.dispose()


def _run_offline(url: str) -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _database_url() -> str:
    return context.config.get_main_option("sqlalchemy.url") or load_settings().database_url


# migrate() hands over its connection; the alembic command line gets the URL from settings.
_given = context.config.attributes.get("connection")
if isinstance(_given, Connection):
    _run_on(_given)
elif context.is_offline_mode():
    _run_offline(_database_url())
else:
    asyncio.run(_run_with_own_engine(_database_url()))
