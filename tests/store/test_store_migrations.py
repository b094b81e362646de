"""Migrations: the shipped revisions build exactly the tables, and migrating again changes nothing."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import MIGRATIONS_FOLDER, migrate
from homehabits.store.repository import create_run, get_run, list_runs
from homehabits.store.tables import Base

from .conftest import WINDOW_END, WINDOW_START


async def test_migrating_twice_keeps_the_schema_and_the_data(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    async with engine.connect() as connection:
        before = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()

    await migrate(engine)

    async with engine.connect() as connection:
        after = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    assert after == before
    assert len(before) == 1
    assert (await get_run(sessions, run_id)).source == "demo"
    assert len(await list_runs(sessions)) == 1


async def test_the_migrations_build_exactly_the_declared_tables(engine: AsyncEngine) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_migrate_takes_a_url_and_leaves_a_usable_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh/homehabits.db"
    await migrate(url)
    await migrate(url)

    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert {"analysis_runs", "patterns", "suggestions", "feedback", "writer_cache"} <= tables
        run_id = await create_run(
            make_sessionmaker(engine), "api", "demo", WINDOW_START, WINDOW_END
        )
        assert run_id == 1
    finally:
        await engine.dispose()


def test_the_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS_FOLDER / "env.py").is_file()
    assert (MIGRATIONS_FOLDER / "script.py.mako").is_file()
    assert (MIGRATIONS_FOLDER / "versions" / "0001_initial.py").is_file()
