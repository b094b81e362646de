"""The engine: async drivers from plain URLs, SQLite pragmas on every connection, clear errors."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from homehabits.exceptions import StoreError
from homehabits.store.engine import READS_ONLY, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.repository import ping

EXPECTED_PRAGMAS = {
    "busy_timeout": 30000,
    "journal_mode": "wal",
    "synchronous": 1,  # NORMAL
    "cache_size": -64000,
    "temp_store": 2,  # MEMORY
    "foreign_keys": 1,
}


async def test_every_sqlite_connection_gets_the_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/homehabits.db")
    try:
        # Two connections open at once: the pool had to create both, so both went
        # through the connect hook, not just the first one.
        async with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                # readers both: a writer's BEGIN IMMEDIATE would wait for the other's lock
                await connection.execution_options(**{READS_ONLY: True})
                found = {
                    name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                    for name in EXPECTED_PRAGMAS
                }
                assert found == EXPECTED_PRAGMAS
    finally:
        await engine.dispose()


async def test_wal_mode_is_kept_in_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "homehabits.db"
    engine = make_engine(f"sqlite:///{path}")
    async with engine.connect() as connection:
        await connection.exec_driver_sql("CREATE TABLE probe (x INTEGER)")
    await engine.dispose()

    # A plain sqlite3 connection, without our hook, sees the mode stored in the file.
    def journal_mode() -> str:
        plain = sqlite3.connect(path)
        try:
            mode: str = plain.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            plain.close()
        return mode

    assert await asyncio.to_thread(journal_mode) == "wal"


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///./data/homehabits.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///./data/homehabits.db", "sqlite+aiosqlite"),
        ("postgresql://habits:pw@db.local/habits", "postgresql+psycopg"),
        ("postgres://habits:pw@db.local/habits", "postgresql+psycopg"),
        ("postgresql+psycopg2://habits:pw@db.local/habits", "postgresql+psycopg"),
        ("postgresql+asyncpg://habits:pw@db.local/habits", "postgresql+psycopg"),
    ],
)
async def test_plain_urls_get_the_async_driver(
    url: str, driver: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = make_engine(url)
    try:
        assert engine.url.drivername == driver
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://habits:pw@db.local/habits?sslmode=require",
        "postgresql+asyncpg://habits:pw@db.local/habits?ssl=require",
    ],
)
async def test_a_postgresql_url_keeps_asking_for_tls(url: str) -> None:
    engine = make_engine(url)
    try:
        assert engine.url.query == {"sslmode": "require"}
    finally:
        await engine.dispose()


async def test_the_folder_of_a_new_sqlite_database_is_created(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there" / "homehabits.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        await migrate(engine)
        assert path.exists()
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "url",
    ["not a url", "oracle://scott:tiger@db.local/orcl", "mysql://root@127.0.0.1/test"],
)
def test_an_unusable_url_is_a_store_error(url: str) -> None:
    with pytest.raises(StoreError, match="database"):
        make_engine(url)


async def test_an_unreachable_database_names_the_url_without_its_password() -> None:
    # Port 1 on the loopback refuses at once: no network, no waiting.
    engine = make_engine("postgresql://habits:hunter2@127.0.0.1:1/habits")
    try:
        with pytest.raises(StoreError) as caught:
            await migrate(engine)
        message = str(caught.value)
        assert "127.0.0.1:1/habits" in message
        assert "hunter2" not in message
        assert await ping(make_sessionmaker(engine)) is False
    finally:
        await engine.dispose()


async def test_a_reader_is_not_blocked_by_an_open_write_transaction(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/homehabits.db")
    try:
        async with engine.begin() as setup:
            await setup.execute(text("CREATE TABLE habit (name TEXT)"))
            await setup.execute(text("INSERT INTO habit VALUES ('morning lights')"))

        async with engine.connect() as writer, engine.connect() as reader:
            await reader.execution_options(**{READS_ONLY: True})
            await writer.begin()
            await writer.execute(text("INSERT INTO habit VALUES ('evening blinds')"))
            # The writer holds SQLite's write lock now; in WAL mode a reader still reads
            # (the committed state) instead of waiting out the 30 s busy timeout.
            seen = await asyncio.wait_for(
                reader.execute(text("SELECT name FROM habit ORDER BY name")), timeout=5
            )
            assert seen.scalars().all() == ["morning lights"]
            await writer.commit()
    finally:
        await engine.dispose()


async def test_foreign_keys_are_enforced_on_sqlite(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/homehabits.db")
    try:
        await migrate(engine)
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "INSERT INTO feedback (suggestion_id, fingerprint, action, created_at) "
                        "VALUES (12345, 'abc', 'approved', '2026-11-01 00:00:00')"
                    )
                )
    finally:
        await engine.dispose()
