"""Migration 0010: a database from before the fleet gains home_id, its rows kept unmarked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.fleet import fleet_homes, home_done_for_night
from homehabits.store.migrate import alembic_config, migrate
from homehabits.store.records import RunStatus, RunSummary
from homehabits.store.repository import complete_run, create_run, list_suggestions
from homehabits.store.tables import AnalysisRunRow
from tests.store.conftest import WINDOW_END, WINDOW_START, _suggestion


def _upgrade_to(revision: str) -> Callable[[Connection], None]:
    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    return upgrade


async def test_a_database_from_before_the_fleet_keeps_its_rows_as_the_single_homes(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    try:
        async with engine.begin() as connection:
            # 0011 is the revision before 0010 in the chain
            await connection.run_sync(_upgrade_to("0011"))
        sessions = make_sessionmaker(engine)
        old_run = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
        await complete_run(
            sessions, old_run, RunSummary(status=RunStatus.SUCCEEDED), [], [_suggestion(1)]
        )

        await migrate(engine)

        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {
                    table: {c["name"] for c in inspect(sync).get_columns(table)}
                    for table in ("analysis_runs", "suggestions")
                }
            )
            kept = (await connection.execute(text("SELECT home_id FROM suggestions"))).all()
        assert all("home_id" in names for names in columns.values())
        assert kept == [(None,)]
        fleet_run = await create_run(
            sessions, "fleet", "h1", WINDOW_START, WINDOW_END, home_id="h1"
        )
        await complete_run(
            sessions,
            fleet_run,
            RunSummary(status=RunStatus.SUCCEEDED),
            [],
            [_suggestion(2)],
            home_id="h1",
        )
        assert len(await list_suggestions(sessions)) == 2
        homes = await fleet_homes(sessions)
        assert [(h.home_id, h.runs, h.suggestions) for h in homes] == [("h1", 1, 1)]
        assert await home_done_for_night(sessions, "h1", WINDOW_END.date()) == fleet_run
        assert await home_done_for_night(sessions, "h2", WINDOW_END.date()) is None
        async with sessions() as session:
            old = await session.scalar(select(AnalysisRunRow).where(AnalysisRunRow.id == old_run))
            assert old is not None
            assert old.home_id is None
            assert old.source == "demo"
    finally:
        await engine.dispose()
