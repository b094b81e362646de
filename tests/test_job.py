"""The daily analysis end to end on the simulated home: what the owner would be shown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from homehabits.config import Settings
from homehabits.context import Location
from homehabits.events import MANUAL_ORIGINS
from homehabits.exceptions import SourceNotFoundError
from homehabits.job import PHASES, AnalysisRunner
from homehabits.patterns.habit import HabitKind
from homehabits.sources.event_file import EventFileSource
from homehabits.sources.recorder import RecorderSource
from homehabits.sources.simulator import DemoSource, SimulatedHome, SimulationConfig
from homehabits.store import repository
from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.migrations import migrate
from homehabits.store.records import RunStatus, SuggestionRecord
from tests.fakes.fake_openai import FakeMode, FakeOpenAIServer
from tests.sources.recorder_builder import RecorderBuilder

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}")
    await migrate(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(scope="module")
def demo() -> DemoSource:
    return DemoSource(SimulationConfig())


def _minutes_apart(a: time, b: time) -> float:
    delta = abs((a.hour * 60 + a.minute) - (b.hour * 60 + b.minute))
    return min(delta, 24 * 60 - delta)


def _suggested_time(suggestion: SuggestionRecord) -> time:
    return time.fromisoformat(suggestion.pattern["time_of_day"])


async def _run(
    settings: Settings, sessions: Sessions, source: DemoSource
) -> list[SuggestionRecord]:
    result = await AnalysisRunner(settings, sessions, lambda: source).run("cli")
    assert result.run.summary.status is RunStatus.SUCCEEDED, result.run.summary
    return result.suggestions


async def test_demo_run_proposes_every_planted_clock_habit_at_its_local_time(
    sessions: Sessions, demo: DemoSource
) -> None:
    suggestions = await _run(Settings(), sessions, demo)
    home: SimulatedHome = demo.home

    # the household's extra behaviours (issue 12: two routines on one light, a gated lamp, a
    # stopped habit, …) are scored by bench/quality.py until the miners find them
    planted = [
        h for h in home.truth if h.kind is HabitKind.TIME_OF_DAY and h not in home.household_truth
    ]
    never_suggested = {"cover.garage_door"}  # opening a garage door automatically is refused
    for habit in planted:
        if habit.target_entity in never_suggested:
            continue
        assert habit.time_of_day is not None
        matches = [
            s
            for s in suggestions
            if s.kind == "time_of_day"
            and s.target_entity == habit.target_entity
            and s.pattern["target_state"] == habit.target_state
            and _minutes_apart(_suggested_time(s), habit.time_of_day) <= 20
        ]
        assert matches, f"planted habit not proposed: {habit.description}"
        assert tuple(matches[0].pattern["weekdays"]) == habit.weekdays


async def test_near_midnight_habit_is_one_suggestion_across_the_dst_change(
    sessions: Sessions, demo: DemoSource
) -> None:
    suggestions = await _run(Settings(), sessions, demo)
    zone = demo.home.context.zone

    late = [
        s
        for s in suggestions
        if s.target_entity == "light.living_room_ceiling" and s.kind == "time_of_day"
    ]
    assert len(late) == 1
    assert _minutes_apart(_suggested_time(late[0]), time(23, 50)) <= 15
    moments = [
        datetime.fromisoformat(t).astimezone(zone) for t in late[0].pattern["evidence_times"]
    ]
    assert {m.utcoffset() for m in moments} == {
        zone.utcoffset(demo.home.window_start),
        zone.utcoffset(demo.home.window_end),
    }
    assert any(m.hour == 0 for m in moments), "some evenings ended after midnight"
    assert any(m.hour == 23 for m in moments)


async def test_every_kind_of_habit_is_proposed_as_an_automation(
    sessions: Sessions, demo: DemoSource
) -> None:
    suggestions = await _run(Settings(), sessions, demo)

    kinds = {s.kind for s in suggestions}
    assert kinds >= {k.value for k in HabitKind if k is not HabitKind.REVISION}
    for suggestion in suggestions:
        assert suggestion.automation["id"]
        assert suggestion.yaml.strip()
        assert suggestion.author == "template"


async def test_nothing_is_proposed_from_changes_made_by_automations_or_service_accounts(
    sessions: Sessions, demo: DemoSource
) -> None:
    suggestions = await _run(Settings(), sessions, demo)
    frame = demo.home.frame

    manual = frame.filter(pl.col("origin").cast(pl.String).is_in([o.value for o in MANUAL_ORIGINS]))
    manual_times = set(zip(manual["entity_id"].to_list(), manual["time"].to_list(), strict=True))
    for suggestion in suggestions:
        if suggestion.kind == "override":
            continue  # its evidence is the person's reverts, checked below like the rest
        for moment in suggestion.pattern["evidence_times"]:
            assert (suggestion.target_entity, datetime.fromisoformat(moment)) in manual_times
    only_automated = set(frame["entity_id"].to_list()) - {e for e, _ in manual_times}
    assert not {s.target_entity for s in suggestions} & only_automated


async def test_run_record_holds_counts_and_every_phase(
    sessions: Sessions, demo: DemoSource
) -> None:
    result = await AnalysisRunner(Settings(), sessions, lambda: demo).run("cli")

    stored = await repository.get_run(sessions, result.run.id)
    assert stored.trigger == "cli"
    frame = demo.home.frame
    in_window = frame.filter(
        (pl.col("time") >= stored.window_start) & (pl.col("time") < stored.window_end)
    )
    assert stored.summary.events_read == in_window.height
    assert stored.summary.suggestions_created == len(result.suggestions)
    assert stored.summary.patterns_found >= len(result.suggestions)
    assert set(stored.summary.phase_seconds) == set(PHASES)
    assert stored.window_end == demo.home.window_end


async def test_a_model_writes_the_words_when_one_is_configured(
    sessions: Sessions, demo: DemoSource
) -> None:
    with FakeOpenAIServer(latency=0.01) as server:
        settings = Settings(
            openai_base_url=server.base_url,
            openai_api_key="sk-test",
            openai_model="fake-model",
            openai_prices={"fake-model": {"input": 1.0, "output": 2.0}},
        )
        result = await AnalysisRunner(settings, sessions, lambda: demo).run("cli")

    assert result.suggestions
    assert {s.author for s in result.suggestions} == {"fake-model"}
    assert result.run.summary.model_calls == len(result.suggestions)
    assert result.run.summary.tokens_in > 0
    assert result.run.summary.cost > 0
    assert server.max_in_flight <= settings.openai_concurrent_limit


async def test_a_broken_model_loses_no_suggestion(sessions: Sessions, demo: DemoSource) -> None:
    with FakeOpenAIServer(latency=0.01, mode=FakeMode.MALFORMED) as server:
        settings = Settings(
            openai_base_url=server.base_url,
            openai_api_key="sk-test",
            openai_model="fake-model",
        )
        broken = await AnalysisRunner(settings, sessions, lambda: demo).run("cli")

    plain_engine_sessions = sessions  # same database: the second run would drop them as known
    assert broken.suggestions
    assert {s.author for s in broken.suggestions} == {"template"}
    assert broken.run.summary.status is RunStatus.PARTIAL
    assert broken.run.summary.errors
    assert await repository.count_suggestions(plain_engine_sessions) == len(broken.suggestions)


async def test_a_source_that_cannot_be_read_is_recorded_as_a_failed_run(
    sessions: Sessions, tmp_path: Path
) -> None:
    missing = EventFileSource(tmp_path / "nowhere.csv")
    runner = AnalysisRunner(Settings(), sessions, lambda: missing)

    with pytest.raises(SourceNotFoundError):
        await runner.run("cli")

    [run] = await repository.list_runs(sessions)
    assert run.status is RunStatus.FAILED
    assert "nowhere.csv" in " ".join(run.summary.errors)
    assert not runner.running


async def test_a_later_run_brings_pending_suggestions_up_to_date_instead_of_repeating_them(
    sessions: Sessions, demo: DemoSource
) -> None:
    runner = AnalysisRunner(Settings(), sessions, lambda: demo)
    first = await runner.run("cli")
    approved = first.suggestions[0]
    await repository.change_status(sessions, approved.id, "approved")

    second = await runner.run("schedule")

    assert second.suggestions == []  # nothing new: the same habits
    assert second.run.summary.suggestions_refreshed == len(first.suggestions) - 1
    pending = await repository.list_suggestions(sessions, status="pending", limit=100)
    assert {s.id for s in pending} == {s.id for s in first.suggestions} - {approved.id}
    assert all(s.updated_at > s.created_at for s in pending)
    kept = await repository.get_suggestion(sessions, approved.id)
    assert kept.updated_at < pending[0].updated_at  # the owner's approved one is left alone


async def test_an_empty_window_is_a_finished_run_that_says_why_nothing_was_found(
    sessions: Sessions, tmp_path: Path
) -> None:
    # a recorder with no state rows (an event file without rows is refused as broken)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'home-assistant_v2.db'}")
    RecorderBuilder().write(engine)
    engine.dispose()
    empty = RecorderSource(
        f"sqlite:///{tmp_path / 'home-assistant_v2.db'}",
        time_zone="Europe/Berlin",
        location=Location(52.52, 13.405),
    )

    result = await AnalysisRunner(Settings(), sessions, lambda: empty).run("cli")

    assert result.run.summary.status is RunStatus.SUCCEEDED
    assert result.run.summary.events_read == 0
    assert any("no state changes" in error for error in result.run.summary.errors)
    assert result.suggestions == []
