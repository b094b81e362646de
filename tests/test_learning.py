"""Learning from the owner's decisions, run to run on the simulated home: what the owner notices."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from homehabits import review
from homehabits.cli import app
from homehabits.config import Settings
from homehabits.job import AnalysisRunner
from homehabits.patterns.habit import HabitKind
from homehabits.sources.simulator import DemoSource, SimulationConfig
from homehabits.store import repository
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrations import migrate
from homehabits.store.records import NewSuggestion, RunRecord, RunStatus, RunSummary

#: The owner's earlier sun suggestions, from runs before this home's current habits.
_EARLIER_SUN = ("light.garden_path", "light.driveway", "light.terrace", "light.shed", "light.gate")


@pytest.fixture(scope="module")
def demo() -> DemoSource:
    return DemoSource(SimulationConfig())


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}"


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[Sessions]:
    engine = make_engine(db_url)
    await migrate(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(scope="module")
def undecided_scores(
    demo: DemoSource, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, float]:
    """Fingerprint → score of each suggestion of the demo home, in a home without decisions."""

    async def scores() -> dict[str, float]:
        folder = tmp_path_factory.mktemp("undecided")
        engine = make_engine(f"sqlite+aiosqlite:///{folder / 'homehabits.db'}")
        try:
            await migrate(engine)
            result = await _run(make_sessionmaker(engine), demo)
            assert result.summary.calibration == {"kind": {}, "domain": {}}
            found = await repository.list_suggestions(
                make_sessionmaker(engine), run_id=result.id, limit=1000
            )
            return {s.fingerprint: s.score for s in found}
        finally:
            await engine.dispose()

    return asyncio.run(scores())


async def _run(sessions: Sessions, demo: DemoSource) -> RunRecord:
    result = await AnalysisRunner(Settings(), sessions, lambda: demo).run("cli")
    assert result.run.summary.status is RunStatus.SUCCEEDED, result.run.summary
    return result.run


async def _cli(*args: str) -> Result:
    """The command line as the owner runs it (in a thread: it runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def _earlier_sun_suggestions_rejected(
    sessions: Sessions, demo: DemoSource, entities: tuple[str, ...], reason: str
) -> None:
    """An earlier run's sun suggestions, each rejected by the owner with `reason`."""
    start, end = demo.home.window_start, demo.home.window_end
    run_id = await repository.create_run(sessions, "cli", "demo", start, end)
    suggestions = [
        NewSuggestion(
            fingerprint=f"earliersun{index:06d}",
            kind=HabitKind.SUN,
            title=f"{entity} on at sunset",
            description=f"Turns {entity} on at sunset.",
            rationale="Switched on by hand around sunset on 20 of 30 days.",
            category="lighting",
            confidence=0.8,
            score=0.5,
            sensitive=False,
            sensitive_reason=None,
            target_entity=entity,
            trigger_entity=None,
            area_id=None,
            area_name=None,
            automation={"id": f"homehabits_earliersun{index:06d}", "alias": f"{entity} at sunset"},
            yaml="alias: at sunset\n",
            dialect="legacy",
            diff=None,
            pattern={"kind": "sun", "target_entity": entity, "target_state": "on"},
            author="template",
        )
        for index, entity in enumerate(entities)
    ]
    ids = await repository.complete_run(
        sessions, run_id, RunSummary(status=RunStatus.SUCCEEDED), [], suggestions
    )
    for suggestion_id in ids:
        await review.reject(sessions, suggestion_id, reason)


async def test_a_kind_the_owner_rejected_every_time_ranks_lower_in_the_next_run(
    sessions: Sessions,
    demo: DemoSource,
    db_url: str,
    undecided_scores: dict[str, float],
) -> None:
    await _earlier_sun_suggestions_rejected(sessions, demo, _EARLIER_SUN, "only in winter")

    run = await _run(sessions, demo)

    found = await repository.list_suggestions(sessions, run_id=run.id, limit=1000)
    assert [s.fingerprint for s in found if s.kind is HabitKind.SUN], "the porch light at sunset"
    # every sun suggestion lost more of its score than any other suggestion did
    kept = {s.fingerprint: s.score / undecided_scores[s.fingerprint] for s in found}
    sun = [kept[s.fingerprint] for s in found if s.kind is HabitKind.SUN]
    others = [kept[s.fingerprint] for s in found if s.kind is not HabitKind.SUN]
    assert max(sun) < min(others) <= 1.0
    # once, by the cell of light sun habits the rejections are in: not sun ×0.71 and light ×0.71
    assert max(sun) == pytest.approx(0.71, abs=0.01)
    # and it went down the list the page and the CLI show, best score first
    before = sorted(undecided_scores, key=lambda fp: -undecided_scores[fp])
    after = [s.fingerprint for s in found]
    for s in found:
        if s.kind is HabitKind.SUN:
            assert after.index(s.fingerprint) > before.index(s.fingerprint)
    # the run record says what was applied and why
    calibration = run.summary.calibration
    assert calibration["kind"]["sun"] == {
        "factor": 0.71,
        "approved": 0,
        "rejected": 5,
        "deployed": 0,
        "fires": 0,
        "reverts": 0,
        "removed": 0,
        "reasons": ["only in winter"],
        "weighed_successes": 0.0,
        "weighed_decided": pytest.approx(5.0, abs=0.01),  # made just now: hardly aged
        "related": 0,
    }
    assert calibration["domain"]["light"]["factor"] == 0.71
    assert calibration["cell"]["sun/light"]["factor"] == 0.71
    assert calibration["half_life_days"] == Settings().learning.half_life_days
    # light habits of other kinds lean on those rejections, at half the weight of their own
    clock_lights = calibration["cell"].get("time_of_day/light")
    assert clock_lights is not None
    assert 0.71 < clock_lights["factor"] < 1.0
    shown = await _cli("runs", "--db", db_url)
    assert shown.exit_code == 0, shown.output
    assert (
        f"run {run.id} learned: light sun habits ranked ×0.71: 0 of 5 approved (“only in winter”)"
        in " ".join(shown.output.split())
    )


async def test_a_few_decisions_change_nothing_in_the_ranking(
    sessions: Sessions, demo: DemoSource, undecided_scores: dict[str, float]
) -> None:
    await _earlier_sun_suggestions_rejected(sessions, demo, _EARLIER_SUN[:2], "too early")

    run = await _run(sessions, demo)

    found = await repository.list_suggestions(sessions, run_id=run.id, limit=1000)
    assert {s.fingerprint: s.score for s in found} == undecided_scores
    assert run.summary.calibration["kind"]["sun"]["factor"] == 1.0
    assert run.summary.calibration["kind"]["sun"]["rejected"] == 2


async def test_a_habit_returning_after_its_rejection_recalls_the_owners_reason(
    sessions: Sessions, demo: DemoSource, db_url: str
) -> None:
    first = await _run(sessions, demo)
    [porch] = [
        s
        for s in await repository.list_suggestions(sessions, run_id=first.id, limit=1000)
        if s.kind is HabitKind.SUN
    ]
    await review.reject(sessions, porch.id, "only in winter")
    # the owner said so a season ago: longer ago than rejected_days, so it may come back
    season_ago = demo.home.window_end - timedelta(days=Settings().rejected_days + 10)
    engine = make_engine(db_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE feedback SET created_at = :when WHERE action = 'rejected'"),
                {"when": season_ago.replace(tzinfo=None)},
            )
    finally:
        await engine.dispose()

    second = await _run(sessions, demo)

    [back] = [
        s
        for s in await repository.list_suggestions(sessions, run_id=second.id, limit=1000)
        if s.fingerprint == porch.fingerprint
    ]
    note = f"You rejected this on {season_ago.astimezone(demo.home.context.zone):%Y-%m-%d}: 'only in winter'"
    assert back.id != porch.id
    assert back.rationale.endswith(f"{note}.")
    assert back.rationale.count("You rejected this") == 1
    assert note in back.pattern["notes"]
    shown = await _cli("suggestions", "show", str(back.id), "--db", db_url)
    assert shown.exit_code == 0, shown.output
    assert note in " ".join(shown.output.split())


async def test_rejections_two_half_lives_old_weigh_a_quarter_in_the_next_run(
    sessions: Sessions, demo: DemoSource, db_url: str
) -> None:
    await _earlier_sun_suggestions_rejected(sessions, demo, _EARLIER_SUN, "only in winter")
    two_half_lives_ago = datetime.now(UTC) - timedelta(days=60)
    engine = make_engine(db_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE suggestions SET updated_at = :when WHERE status = 'rejected'"),
                {"when": two_half_lives_ago.replace(tzinfo=None)},
            )
    finally:
        await engine.dispose()
    settings = Settings(learning={"half_life_days": 30})

    result = await AnalysisRunner(settings, sessions, lambda: demo).run("cli")

    calibration = result.run.summary.calibration
    assert calibration["half_life_days"] == 30
    cell = calibration["cell"]["sun/light"]
    assert cell["rejected"] == 5
    assert cell["weighed_decided"] == pytest.approx(5 * 0.25, abs=0.01)
    # five rejections two months old rank sun lights as about one and a quarter made today
    assert cell["factor"] == round((0 + 6) / (1.25 + 12) / 0.5, 2) == 0.91
    assert any("counted as 1.2 by their age" in line for line in _lines(calibration))


def _lines(calibration: dict[str, object]) -> list[str]:
    from homehabits.patterns.calibration import Calibration

    return Calibration.from_dict(calibration).lines()
