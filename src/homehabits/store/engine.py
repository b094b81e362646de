"""The homehabits database engine: async drivers, SQLite pragmas, sessions."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from homehabits.exceptions import StoreError

__all__ = [
    "READS_ONLY",
    "SQLITE_BUSY_TIMEOUT_SECONDS",
    "SQLITE_PRAGMAS",
    "Sessions",
    "describe_url",
    "make_engine",
    "make_sessionmaker",
]

Sessions: TypeAlias = async_sessionmaker[AsyncSession]

#: How long a SQLite writer waits for another process's write lock before it fails.
SQLITE_BUSY_TIMEOUT_SECONDS = 30

# Set on every new SQLite connection: most pragmas are per connection, not per file.
SQLITE_PRAGMAS: Mapping[str, str | int] = {
    # first: switching a new file to WAL needs the lock another process may hold just then
    "busy_timeout": SQLITE_BUSY_TIMEOUT_SECONDS * 1000,
    "journal_mode": "WAL",  # readers never wait for the nightly writer
    "synchronous": "NORMAL",  # safe with WAL; FULL would fsync every commit
    "cache_size": -64000,  # 64 MB page cache (negative: KiB)
    "temp_store": "MEMORY",
    "foreign_keys": "ON",  # SQLite ignores FOREIGN KEY clauses unless told
}

#: Execution option of a connection whose transaction only reads (see `make_engine`).
READS_ONLY = "homehabits_reads_only"

# A plain URL names the sync driver; the store is async, so it gets the async one.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    # psycopg (version 3) speaks both ways: async here, sync where the recorder is read.
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg2": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "postgresql+asyncpg": "postgresql+psycopg",
}


def describe_url(url: str | URL) -> str:
    """The URL as it may appear in a message or log: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        # Not parseable, so the password cannot be located: show only the scheme.
        text = str(url)
        return text.split("://", 1)[0] + "://…" if "://" in text else "<unreadable URL>"


def make_engine(url: str, *, sqlite_pragmas: Mapping[str, str | int] | None = None) -> AsyncEngine:
    """An async engine for a homehabits database URL (SQLite file or PostgreSQL).

    `sqlite_pragmas` overrides single entries of SQLITE_PRAGMAS (the benchmark uses it to
    compare journal modes); other callers leave it alone.

    On SQLite every transaction starts with BEGIN IMMEDIATE, taking the write lock at once
    and waiting up to the busy timeout for it, unless its connection has the execution option
    READS_ONLY (then a plain BEGIN: it reads beside a writer). A plain BEGIN that later
    writes would fail at once with "database is locked" when another process writes, without
    waiting: SQLite cannot wait there, as the snapshot it already read would be stale.
    """
    async_url = _async_url(url)
    is_sqlite = async_url.get_backend_name() == "sqlite"
    if is_sqlite:
        _create_parent_folder(async_url)
    # sqlite3's own timeout is the busy handler until the pragmas run: the same 30 s
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS} if is_sqlite else {}
    try:
        engine = create_async_engine(
            async_url, pool_pre_ping=not is_sqlite, connect_args=connect_args
        )
    except (ArgumentError, NoSuchModuleError, TypeError, ValueError) as err:
        raise StoreError(f"cannot use the database {describe_url(url)}: {err}") from err
    if is_sqlite:
        _use_sqlite_pragmas(engine, {**SQLITE_PRAGMAS, **(sqlite_pragmas or {})})
    return engine


def make_sessionmaker(engine: AsyncEngine) -> Sessions:
    """Sessions on `engine` whose objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _async_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise StoreError(f"{describe_url(url)} is not a database URL: {err}") from err
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise StoreError(
            f"the database {describe_url(url)} is not supported: use sqlite:///path/to/file.db "
            "or postgresql://user:password@host/database"
        )
    if parsed.drivername == "postgresql+asyncpg" and "ssl" in parsed.query:
        # asyncpg spelt it ssl; psycopg is libpq and spells it sslmode.
        query = dict(parsed.query)
        query["sslmode"] = query.pop("ssl")
        parsed = parsed.set(query=query)
    return parsed.set(drivername=driver)


def _create_parent_folder(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(
            f"cannot create the folder of the database {describe_url(url)}: {err}"
        ) from err


def _use_sqlite_pragmas(engine: AsyncEngine, pragmas: Mapping[str, str | int]) -> None:
    statements = [f"PRAGMA {name}={value}" for name, value in pragmas.items()]

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for statement in statements:
                cursor.execute(statement)
        finally:
            cursor.close()
        # The sqlite3 module would open transactions itself, and only before INSERT/UPDATE;
        # taking that over (BEGIN on every SQLAlchemy transaction) makes DDL in migrations
        # and reads transactional too.
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        reads_only = connection.get_execution_options().get(READS_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")
