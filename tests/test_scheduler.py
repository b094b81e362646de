"""The daily schedule: local 03:00 across DST, and a crashed run does not stop the next."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from homehabits.config import Settings
from homehabits.context import HomeContext
from homehabits.events import empty_events
from homehabits.job import AnalysisRunner
from homehabits.scheduler import AnalysisScheduler, home_time_zone
from homehabits.sources.base import EventRead, Source
from homehabits.store import repository
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import RunStatus
from tests.waiting import wait_until

BERLIN = ZoneInfo("Europe/Berlin")


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}",
        "analysis_days": 7,
        "time_zone": "Europe/Berlin",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = make_engine(_settings(tmp_path).database_url)
    await migrate(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


class _QuietHome:
    """A home with no history at all; optionally its reading breaks once."""

    description = "a quiet test home"

    def __init__(self, broken: bool = False) -> None:
        self._broken = broken

    async def read_context(self) -> HomeContext:
        return HomeContext(time_zone="Europe/Berlin")

    async def read_events(self, start: datetime, end: datetime, context: HomeContext) -> EventRead:
        if self._broken:
            raise RuntimeError("the disk went away")
        return EventRead(frame=empty_events(), rows_read=0)

    def default_window_end(self) -> datetime | None:
        return datetime(2026, 3, 1, tzinfo=UTC)


def test_next_run_is_three_in_the_morning_home_time_across_the_spring_dst_change(
    tmp_path: Path,
) -> None:
    runner = AnalysisRunner(_settings(tmp_path), None, _QuietHome)  # type: ignore[arg-type]
    scheduler = AnalysisScheduler(runner, "0 3 * * *", BERLIN)

    before = scheduler.next_run_after(datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN))
    after = scheduler.next_run_after(datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN))

    assert before is not None
    assert after is not None
    # the clocks go forward on 29 March 2026: 03:00 local moves from 02:00 to 01:00 UTC
    assert before.isoformat() == "2026-03-29T03:00:00+02:00"
    assert before.astimezone(UTC).hour == 1
    assert after.isoformat() == "2026-03-30T03:00:00+02:00"
    winter = scheduler.next_run_after(datetime(2026, 3, 27, 12, 0, tzinfo=BERLIN))
    assert winter is not None
    assert winter.astimezone(UTC).hour == 2


def test_next_run_follows_the_autumn_dst_change_in_new_york(tmp_path: Path) -> None:
    new_york = ZoneInfo("America/New_York")
    runner = AnalysisRunner(_settings(tmp_path), None, _QuietHome)  # type: ignore[arg-type]
    scheduler = AnalysisScheduler(runner, "0 3 * * *", new_york)

    # 1 November 2026, 02:00 EDT becomes 01:00 EST
    fire = scheduler.next_run_after(datetime(2026, 10, 31, 12, 0, tzinfo=new_york))

    assert fire is not None
    assert (fire.hour, fire.minute) == (3, 0)
    assert fire.utcoffset() == timedelta(hours=-5)


async def test_schedule_uses_the_homes_own_time_zone_when_none_is_set(tmp_path: Path) -> None:
    class _TokyoHome(_QuietHome):
        async def read_context(self) -> HomeContext:
            return HomeContext(time_zone="Asia/Tokyo")

    zone = await home_time_zone(_settings(tmp_path, time_zone=None), _TokyoHome)

    assert zone == ZoneInfo("Asia/Tokyo")


async def test_schedule_falls_back_to_utc_when_the_home_cannot_be_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class _UnreadableHome(_QuietHome):
        async def read_context(self) -> HomeContext:
            raise OSError("no such folder")

    zone = await home_time_zone(_settings(tmp_path, time_zone=None), _UnreadableHome)

    assert zone == ZoneInfo("UTC")
    assert "runs in UTC" in caplog.text


async def test_a_crashed_scheduled_run_is_recorded_failed_and_the_next_one_still_runs(
    tmp_path: Path, sessions: Sessions
) -> None:
    homes: list[Source] = [_QuietHome(broken=True), _QuietHome()]
    runner = AnalysisRunner(_settings(tmp_path), sessions, lambda: homes.pop(0))
    scheduler = AnalysisScheduler(runner, "0 3 * * *", BERLIN)

    await scheduler.run_scheduled()  # must not raise: the schedule goes on
    await scheduler.run_scheduled()

    runs = await repository.list_runs(sessions)
    by_age = sorted(runs, key=lambda run: run.id)
    assert [run.trigger for run in by_age] == ["schedule", "schedule"]
    assert by_age[0].status is RunStatus.FAILED
    assert any("the disk went away" in error for error in by_age[0].summary.errors)
    assert by_age[1].status is RunStatus.SUCCEEDED


async def test_scheduler_reports_running_and_next_time_in_home_time(tmp_path: Path) -> None:
    runner = AnalysisRunner(_settings(tmp_path), None, _QuietHome)  # type: ignore[arg-type]
    scheduler = AnalysisScheduler(runner, "30 4 * * *", BERLIN)
    scheduler.start()
    try:
        moment = scheduler.next_run_time()
        assert scheduler.running
        assert moment is not None
        assert (moment.hour, moment.minute) == (4, 30)
        assert moment.tzinfo is not None
        assert moment.utcoffset() in (
            timedelta(hours=1),
            timedelta(hours=2),
        )
    finally:
        scheduler.shutdown()
    # APScheduler stops on a later turn of the loop
    await wait_until(lambda: not scheduler.running, "the scheduler stops")


async def test_a_scheduled_run_is_skipped_while_another_analysis_is_running(
    tmp_path: Path, sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    release = asyncio.Event()

    class _SlowHome(_QuietHome):
        async def read_events(
            self, start: datetime, end: datetime, context: HomeContext
        ) -> EventRead:
            await release.wait()
            return await super().read_events(start, end, context)

    runner = AnalysisRunner(_settings(tmp_path), sessions, _SlowHome)
    scheduler = AnalysisScheduler(runner, "0 3 * * *", BERLIN)
    await runner.start("api")

    await scheduler.run_scheduled()
    release.set()
    await runner.wait()

    runs = await repository.list_runs(sessions)
    assert [run.trigger for run in runs] == ["api"]
    assert runs[0].status is RunStatus.SUCCEEDED
    assert "skipped" in caplog.text
