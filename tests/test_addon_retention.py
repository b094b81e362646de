"""Retention in the add-on: its two options become the retention settings, a bad one is named,
and the analysis run the schedule starts prunes by them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from homehabits.addon import addon_settings
from homehabits.exceptions import ConfigError
from homehabits.job import AnalysisRunner
from homehabits.sources.simulator import DemoSource, SimulationConfig
from homehabits.store import repository
from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.migrations import migrate
from homehabits.store.records import RunStatus, RunSummary
from homehabits.store.tables import AnalysisRunRow, utc_now
from tests.test_addon import SUPERVISOR_TOKEN, _options

_ENV = {"SUPERVISOR_TOKEN": SUPERVISOR_TOKEN}


def test_the_retention_options_become_the_retention_settings(tmp_path: Path) -> None:
    places = _options(tmp_path, retention_keep_days=30, retention_keep_runs=12)

    settings = addon_settings(places, _ENV)

    assert (settings.retention.keep_days, settings.retention.keep_runs) == (30, 12)


def test_without_retention_options_the_defaults_hold(tmp_path: Path) -> None:
    settings = addon_settings(_options(tmp_path, retention_keep_runs=None), _ENV)

    assert (settings.retention.keep_days, settings.retention.keep_runs) == (90, 0)


@pytest.mark.parametrize(
    ("option", "value"),
    [("retention_keep_days", -1), ("retention_keep_runs", "many"), ("retention_keep_days", 40000)],
)
def test_a_bad_retention_value_names_its_option(tmp_path: Path, option: str, value: object) -> None:
    places = _options(tmp_path, **{option: value})

    with pytest.raises(ConfigError) as caught:
        addon_settings(places, _ENV)

    message = str(caught.value)
    assert f"add-on option {option!r}" in message
    assert repr(value) in message


def test_a_misspelt_retention_option_is_refused_with_the_right_name(tmp_path: Path) -> None:
    places = _options(tmp_path, retention_keep_day=30)

    with pytest.raises(ConfigError, match="did you mean 'retention_keep_days'"):
        addon_settings(places, _ENV)


async def test_the_add_on_s_analysis_run_prunes_runs_older_than_its_option(
    tmp_path: Path,
) -> None:
    places = _options(tmp_path, retention_keep_days=7)
    settings = addon_settings(places, _ENV)
    engine = make_engine(settings.database_url)  # the add-on's own database, in /data
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    try:
        now = utc_now()
        old = await repository.create_run(
            sessions, "schedule", "demo", now - timedelta(days=40), now - timedelta(days=10)
        )
        await repository.complete_run(sessions, old, RunSummary(status=RunStatus.SUCCEEDED), [], [])
        async with sessions.begin() as session:
            await session.execute(
                update(AnalysisRunRow)
                .where(AnalysisRunRow.id == old)
                .values(started_at=now - timedelta(days=10))
            )
        source = DemoSource(SimulationConfig(days=7))

        result = await AnalysisRunner(settings, sessions, lambda: source).run("schedule")

        runs = await repository.list_runs(sessions, limit=10)
        assert [run.id for run in runs] == [result.run.id]  # the 10-day-old run went
    finally:
        await engine.dispose()
