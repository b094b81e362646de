"""A whole analysis run with Home Assistant's AI Task as the writer: what the run record says."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.fakes.fake_home_assistant import FakeHomeAssistant, serve_in_thread

from homehabits.config import Settings
from homehabits.job import AnalysisRunner
from homehabits.sources.simulator import DemoSource, SimulationConfig
from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.migrations import migrate
from homehabits.store.records import RunStatus

Sessions = async_sessionmaker[AsyncSession]

_TOKEN = "fake-token"


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}")
    await migrate(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(scope="module")
def demo() -> DemoSource:
    return DemoSource(SimulationConfig())


@pytest.fixture
def served() -> Iterator[tuple[FakeHomeAssistant, str]]:
    fake = FakeHomeAssistant(token=_TOKEN, version="2026.2.3")
    fake.add_ai_task("ai_task.openai")
    url, stop = serve_in_thread(fake.app)
    yield fake, url
    stop()


def _settings(url: str, **changes: object) -> Settings:
    return Settings(
        writer="ai_task",
        ha_url=url,
        ha_token=_TOKEN,
        ai_task_entity="ai_task.openai",
        openai_concurrent_limit=3,
        # these runs are about the words: the notification after a run (another service call
        # of the same fake) is tested in tests/test_notifications.py
        notifications=False,
        **changes,
    )


async def test_the_ai_task_writes_the_words_of_a_run(
    sessions: Sessions, demo: DemoSource, served: tuple[FakeHomeAssistant, str]
) -> None:
    fake, url = served
    result = await AnalysisRunner(_settings(url), sessions, lambda: demo).run("cli")

    summary = result.run.summary
    assert result.suggestions
    assert {s.author for s in result.suggestions} == {"ai_task.openai"}
    assert summary.status is RunStatus.SUCCEEDED
    assert summary.model_calls == len(result.suggestions)
    assert fake.ai_task_max_in_flight <= 3


async def test_a_failing_ai_task_gives_template_words_and_the_run_still_finishes(
    sessions: Sessions, demo: DemoSource, served: tuple[FakeHomeAssistant, str]
) -> None:
    fake, url = served
    fake.fail(500, times=100_000, path_prefix="/api/services/ai_task")
    settings = _settings(url, openai_max_retries=0)

    result = await AnalysisRunner(settings, sessions, lambda: demo).run("cli")

    summary = result.run.summary
    assert result.suggestions
    assert {s.author for s in result.suggestions} == {"template"}
    # as with the model writer: every fallback's reason is in the record, the run is partial
    assert summary.status is RunStatus.PARTIAL
    assert len(summary.errors) == len(result.suggestions)
    assert all("AI Task failed" in error for error in summary.errors)


async def test_an_old_home_assistant_gives_template_words_and_one_warning(
    sessions: Sessions, demo: DemoSource
) -> None:
    fake = FakeHomeAssistant(token=_TOKEN, version="2024.11.1")
    url, stop = serve_in_thread(fake.app)
    try:
        result = await AnalysisRunner(_settings(url), sessions, lambda: demo).run("cli")
    finally:
        stop()

    summary = result.run.summary
    assert result.suggestions
    assert {s.author for s in result.suggestions} == {"template"}
    assert summary.status is RunStatus.SUCCEEDED
    assert summary.errors == []
    about_ai_task = [w for w in summary.warnings if "AI Task" in w]
    assert len(about_ai_task) == 1
    assert "2024.11.1" in about_ai_task[0]
    assert fake.count("/api/services") == 0


def _addon_settings(url: str) -> Settings:
    """What the add-on runs with when the owner chose no writer: auto, under ingress."""
    return Settings(ha_url=url, ha_token=_TOKEN, ingress=True, notifications=False)


async def test_in_the_addon_the_home_assistant_ai_task_writes_the_words_unasked(
    sessions: Sessions, demo: DemoSource, served: tuple[FakeHomeAssistant, str]
) -> None:
    _, url = served
    result = await AnalysisRunner(_addon_settings(url), sessions, lambda: demo).run("cli")

    assert result.suggestions
    # the preferred AI Task entity of the home, as Home Assistant chooses it
    assert {s.author for s in result.suggestions} == {"ai_task"}
    assert result.run.summary.status is RunStatus.SUCCEEDED


async def test_in_the_addon_a_home_without_ai_task_gets_template_words_without_a_warning(
    sessions: Sessions, demo: DemoSource
) -> None:
    fake = FakeHomeAssistant(token=_TOKEN, version="2026.2.3")  # no AI Task entity
    url, stop = serve_in_thread(fake.app)
    try:
        result = await AnalysisRunner(_addon_settings(url), sessions, lambda: demo).run("cli")
    finally:
        stop()

    summary = result.run.summary
    assert result.suggestions
    assert {s.author for s in result.suggestions} == {"template"}
    assert summary.status is RunStatus.SUCCEEDED
    assert [w for w in summary.warnings if "AI Task" in w] == []
    assert summary.errors == []
