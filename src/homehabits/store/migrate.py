"""Bring a homehabits database up to the newest schema, from code (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from homehabits.exceptions import StoreError
from homehabits.store.engine import describe_url, make_engine

__all__ = ["MIGRATIONS_FOLDER", "alembic_config", "migrate"]

MIGRATIONS_FOLDER = Path(__file__).with_name("migrations")

# PostgreSQL advisory lock key of homehabits' migrations (any fixed 64-bit number will do).
_MIGRATION_LOCK_KEY = 0x686F6D6568616269  # "homehabi"


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_FOLDER))
    return config


async def migrate(engine_or_url: AsyncEngine | str) -> None:
    """Upgrade the database to the newest schema; a database already there is left alone.

    Processes migrating one database at once take turns: the upgrade runs in one transaction
    that first takes the database's write lock (SQLite: BEGIN IMMEDIATE, see make_engine;
    PostgreSQL: an advisory lock), so the second finds the schema up to date.
    """
    own_engine = isinstance(engine_or_url, str)
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to_head)
    except (SQLAlchemyError, OSError) as err:
        raise StoreError(
            f"cannot bring the database {describe_url(engine.url)} up to date: {err}"
        ) from err
    finally:
        if own_engine:
            await engine.dispose()


def _upgrade_to_head(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # held to the end of the transaction; SQLite's BEGIN IMMEDIATE has done the same
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
