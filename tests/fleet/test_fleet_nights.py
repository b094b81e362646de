"""A later night of the fleet: each home's pending suggestions refreshed or retired, its own only."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import select

from homehabits.config import Settings
from homehabits.fleet.homes import EVENTS_NAME, HOME_ID_PREFIX, list_homes
from homehabits.fleet.run import run_fleet
from homehabits.fleet.simulate import write_fleet_home
from homehabits.job import retire_gone_habits
from homehabits.sources.home_file import HOME_FILE_NAME
from homehabits.store import repository
from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import RunStatus, RunSummary, SuggestionStatus
from homehabits.store.repository import complete_run, create_run
from homehabits.store.tables import AnalysisRunRow, FeedbackRow, SuggestionRow
from tests.store.conftest import WINDOW_END, WINDOW_START, _suggestion

from .conftest import DAYS, SIZE

pytestmark = pytest.mark.postgres

_HOMES = ("home-0001", "home-0002", "home-0003")
_CHANGED = "home-0001"


async def _rows(url: str, table: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list(await session.scalars(select(table).order_by(table.id)))
    finally:
        await engine.dispose()


def _night(full: Path, out: Path, *, days_cut: int, drop: dict[str, str] | None = None) -> Path:
    """Every home of `full` with its last `days_cut` days cut, and `drop`'s entity removed."""
    for home in _HOMES:
        source = full / f"{HOME_ID_PREFIX}{home}"
        folder = out / f"{HOME_ID_PREFIX}{home}"
        folder.mkdir(parents=True)
        frame = pl.read_parquet(source / EVENTS_NAME)
        last = frame["time"].max()
        assert last is not None
        frame = frame.filter(pl.col("time") <= last - timedelta(days=days_cut))
        if drop and home in drop:
            frame = frame.filter(pl.col("entity_id") != drop[home])
        frame.write_parquet(folder / EVENTS_NAME)
        (folder / HOME_FILE_NAME).write_bytes((source / HOME_FILE_NAME).read_bytes())
    return out


def _analyse(cluster_client: Any, folder: Path, url: str) -> None:
    report = run_fleet(
        cluster_client, list_homes(str(folder)), Settings(database_url=url, analysis_days=DAYS)
    )
    assert [outcome.status for outcome in report.outcomes] == ["succeeded"] * len(_HOMES), (
        report.outcomes
    )


def test_a_later_night_retires_a_gone_habit_of_its_home_only_and_brings_it_back_when_it_returns(
    cluster_client: Any, fleet_postgres_url: str, tmp_path: Path
) -> None:
    full = tmp_path / "full"
    for index in range(len(_HOMES)):
        write_fleet_home(full, index, seed=300, days=DAYS + 2, size=SIZE)
    url = fleet_postgres_url

    # night 1: three homes analysed, two days before the end of their data
    _analyse(cluster_client, _night(full, tmp_path / "night1", days_cut=2), url)
    first = asyncio.run(_rows(url, SuggestionRow))
    assert {row.home_id for row in first} == set(_HOMES)
    assert {row.status for row in first} == {SuggestionStatus.PENDING}
    changed = [row for row in first if row.home_id == _CHANGED]
    gone = changed[0]  # its habit's entity stops showing up in the changed home's data
    others_before = {
        row.id: (row.status, row.updated_at) for row in first if row.home_id != _CHANGED
    }

    # night 2, a day later: only the changed home is analysed; its habit is gone
    night2 = _night(full, tmp_path / "night2", days_cut=1, drop={_CHANGED: gone.target_entity})
    changed_only = [home for home in list_homes(str(night2)) if home.home_id == _CHANGED]
    report = run_fleet(cluster_client, changed_only, Settings(database_url=url, analysis_days=DAYS))
    assert [outcome.status for outcome in report.outcomes] == ["succeeded"]
    second = {row.id: row for row in asyncio.run(_rows(url, SuggestionRow))}

    assert second[gone.id].status is SuggestionStatus.RETIRED
    feedback = [f for f in asyncio.run(_rows(url, FeedbackRow)) if f.suggestion_id == gone.id]
    assert feedback[-1].action == "retired"
    # the other homes' suggestions are as night 1 left them
    assert {
        sid: (row.status, row.updated_at) for sid, row in second.items() if row.home_id != _CHANGED
    } == others_before
    # the changed home's habits still found were refreshed, not suggested a second time
    still = [
        second[row.id]
        for row in changed
        if row.target_entity != gone.target_entity and row.trigger_entity != gone.target_entity
    ]
    assert any(row.status is SuggestionStatus.PENDING for row in still)
    assert any(row.updated_at > row.created_at for row in still)
    _assert_no_two_pending(list(second.values()))

    # night 3, a day later again: every home, the habit back in the changed home's data
    _analyse(cluster_client, _night(full, tmp_path / "night3", days_cut=0), url)
    third = asyncio.run(_rows(url, SuggestionRow))
    back = next(row for row in third if row.id == gone.id)
    assert back.status is SuggestionStatus.PENDING
    _assert_no_two_pending(third)
    runs = asyncio.run(_rows(url, AnalysisRunRow))
    assert Counter(run.home_id for run in runs) == {_CHANGED: 3, "home-0002": 2, "home-0003": 2}


def _assert_no_two_pending(rows: list[SuggestionRow]) -> None:
    pending = Counter(
        (row.home_id, row.fingerprint) for row in rows if row.status is SuggestionStatus.PENDING
    )
    assert [key for key, count in pending.items() if count > 1] == []


async def test_the_single_homes_run_retires_and_brings_back_its_own_suggestions_only(
    fleet_postgres_url: str,
) -> None:
    engine = make_engine(fleet_postgres_url)
    try:
        await migrate(engine)
        sessions = make_sessionmaker(engine)
        for home in (None, "flat-1"):
            run = await create_run(
                sessions, "fleet", "test", WINDOW_START, WINDOW_END, home_id=home
            )
            await complete_run(
                sessions,
                run,
                RunSummary(status=RunStatus.SUCCEEDED),
                [],
                [_suggestion(1), _suggestion(2)],
                home_id=home,
            )

        # the single home's run found neither habit; the fleet home's run found one again
        retired = await retire_gone_habits(sessions, [], [])
        fleet_retired = await retire_gone_habits(sessions, [], [], home_id="flat-1")
        assert await repository.bring_back_retired(
            sessions, {_suggestion(1).fingerprint}, home_id="flat-1"
        )
    finally:
        await engine.dispose()

    rows = await _rows(fleet_postgres_url, SuggestionRow)
    single = {row.id for row in rows if row.home_id is None}
    assert set(retired) == single
    assert set(fleet_retired) == {row.id for row in rows if row.home_id == "flat-1"}
    assert sorted((row.home_id or "", row.fingerprint, row.status.value) for row in rows) == [
        ("", _suggestion(1).fingerprint, "retired"),
        ("", _suggestion(2).fingerprint, "retired"),
        ("flat-1", _suggestion(1).fingerprint, "pending"),
        ("flat-1", _suggestion(2).fingerprint, "retired"),
    ]
