"""A fleet of simulated homes on a two-worker LocalCluster, stored in one PostgreSQL database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from homehabits.config import Settings
from homehabits.fleet.homes import list_homes
from homehabits.fleet.run import run_fleet
from homehabits.job import AnalysisRunner
from homehabits.sources.event_file import EventFileSource
from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import RunStatus
from homehabits.store.tables import AnalysisRunRow, SuggestionRow

from .conftest import DAYS, HOMES

pytestmark = pytest.mark.postgres

Suggestion = tuple[str, str, str, str]


def _settings(url: str) -> Settings:
    return Settings(database_url=url, analysis_days=DAYS)


async def _rows(url: str, table: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list(await session.scalars(select(table).order_by(table.id)))
    finally:
        await engine.dispose()


def _by_home(rows: list[SuggestionRow]) -> dict[str, list[Suggestion]]:
    found: dict[str, list[Suggestion]] = {}
    for row in rows:
        assert row.home_id is not None
        found.setdefault(row.home_id, []).append(_suggestion(row))
    return {home: sorted(items) for home, items in found.items()}


def _suggestion(row: SuggestionRow) -> Suggestion:
    return (row.fingerprint, row.title, row.yaml, row.description)


async def _single_home(events: Path, tmp_path: Path) -> list[Suggestion]:
    """The suggestions the single-home analysis stores for the same events file."""
    url = f"sqlite:///{tmp_path}/{events.parent.name}.db"
    engine = make_engine(url)
    await migrate(engine)
    try:
        sessions = make_sessionmaker(engine)
        runner = AnalysisRunner(_settings(url), sessions, lambda: EventFileSource(events))
        result = await runner.run("cli")
        assert result.run.summary.status is RunStatus.SUCCEEDED
    finally:
        await engine.dispose()
    rows = await _rows(url, SuggestionRow)
    assert all(row.home_id is None for row in rows)  # the single home's rows stay unmarked
    return sorted(_suggestion(row) for row in rows)


def test_a_corrupt_home_fails_alone_and_every_other_home_has_its_single_home_suggestions(
    cluster_client: Any, fleet_folder: Path, fleet_postgres_url: str, tmp_path: Path
) -> None:
    homes = list_homes(str(fleet_folder))
    settings = _settings(fleet_postgres_url)

    report = run_fleet(cluster_client, homes, settings)

    by_status = {o.home_id: o.status for o in report.outcomes}
    assert by_status.pop("corrupt") == "failed"
    assert set(by_status.values()) == {"succeeded"}
    assert len(by_status) == HOMES
    runs = asyncio.run(_rows(fleet_postgres_url, AnalysisRunRow))
    failed = [run for run in runs if run.status is RunStatus.FAILED]
    assert [run.home_id for run in failed] == ["corrupt"]
    assert "Parquet" in failed[0].errors[0]
    assert {run.home_id for run in runs} == {o.home_id for o in report.outcomes}
    stored = _by_home(asyncio.run(_rows(fleet_postgres_url, SuggestionRow)))
    assert "corrupt" not in stored
    for home in homes:
        if home.home_id == "corrupt":
            continue
        alone = asyncio.run(_single_home(Path(home.location), tmp_path))
        assert alone, f"{home.home_id}: the simulated home's habits give suggestions"
        assert stored.get(home.home_id) == alone, home.home_id


def test_a_rerun_skips_the_homes_done_that_night_and_force_analyses_them_again(
    cluster_client: Any, fleet_folder: Path, fleet_postgres_url: str
) -> None:
    listed = {home.home_id: home for home in list_homes(str(fleet_folder))}
    homes = [listed[name] for name in ("home-0001", "home-0002", "home-0003", "corrupt")]
    settings = _settings(fleet_postgres_url)
    first = run_fleet(cluster_client, homes, settings)
    suggestions_before = len(asyncio.run(_rows(fleet_postgres_url, SuggestionRow)))

    again = run_fleet(cluster_client, homes, settings)
    forced = run_fleet(cluster_client, homes[:1], settings, force=True)

    assert [o.status for o in first.outcomes] == ["succeeded"] * 3 + ["failed"], first.outcomes
    # the done homes point at the run that did them; the failed one is tried again
    assert [(o.status, o.run_id) for o in again.outcomes[:3]] == [
        ("skipped", o.run_id) for o in first.outcomes[:3]
    ]
    assert again.outcomes[3].status == "failed"
    assert forced.outcomes[0].status == "succeeded"
    runs = asyncio.run(_rows(fleet_postgres_url, AnalysisRunRow))
    assert [run.home_id for run in runs].count("home-0001") == 2
    assert [run.home_id for run in runs].count("corrupt") == 2
    # analysed again, the home's habits are the pending suggestions it already has
    assert len(asyncio.run(_rows(fleet_postgres_url, SuggestionRow))) == suggestions_before
