"""The owner's decisions in the store: counted per kind and domain, and recalled for a returning habit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from homehabits import review
from homehabits.patterns.calibration import DecisionCounts
from homehabits.store.decisions import owner_decisions, past_rejections
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import alembic_config, migrate
from homehabits.store.records import NewSuggestion, RunStatus, RunSummary, SuggestionStatus
from homehabits.store.repository import change_status, complete_run, create_run, get_run
from homehabits.store.watch import store_watch
from homehabits.watch import AutomationWatch, Revert, WatchedAutomation

from .conftest import WINDOW_END, WINDOW_START
from .old_rows import write_as_before

NewSuggestionMaker = Callable[..., NewSuggestion]
FIRED = WINDOW_START + timedelta(days=3, hours=20)


async def _stored(sessions: Sessions, *suggestions: NewSuggestion) -> list[int]:
    run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    return await complete_run(
        sessions, run_id, RunSummary(status=RunStatus.SUCCEEDED), [], list(suggestions)
    )


async def _watched(sessions: Sessions, suggestion_id: int, fires: int, undone: int) -> None:
    run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    await complete_run(sessions, run_id, RunSummary(status=RunStatus.SUCCEEDED), [], [])
    times = tuple(FIRED + timedelta(days=day) for day in range(fires))
    watched = AutomationWatch(
        automation=WatchedAutomation(
            alias="Porch light at sunset",
            config={"alias": "Porch light at sunset"},
            automation_id=f"homehabits_{suggestion_id}",
            entity_id="automation.porch_light_at_sunset",
            suggestion_id=suggestion_id,
        ),
        fire_times=times,
        reverts=tuple(
            Revert(moment, moment + timedelta(minutes=2), "light.porch", "on", "off")
            for moment in times[:undone]
        ),
        words=f"fired {fires} times; undone {undone} times",
    )
    await store_watch(sessions, run_id, [watched])


async def test_decisions_are_counted_per_kind_and_per_domain_with_the_reasons(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    sun = {"kind": "sun", "target_entity": "light.porch"}
    ids = await _stored(
        sessions,
        new_suggestion(1, **sun),
        new_suggestion(2, **sun),
        new_suggestion(3, **sun),
        new_suggestion(4, target_entity="cover.kitchen_blinds"),
        new_suggestion(5),  # left pending: not a decision
        new_suggestion(6, target_entity="cover.bedroom_blinds"),
    )
    porch_a, porch_b, porch_c, blinds, _, bedroom = ids
    await review.reject(sessions, porch_a, "only in winter")
    await review.reject(sessions, porch_b, "  ")
    for deployed in (porch_c, blinds):
        await change_status(sessions, deployed, SuggestionStatus.APPROVED)
        await change_status(sessions, deployed, SuggestionStatus.DEPLOYED)
    await _watched(sessions, porch_c, fires=5, undone=1)
    await _watched(sessions, porch_c, fires=10, undone=4)  # the newest track record counts
    await change_status(sessions, blinds, SuggestionStatus.REMOVED)
    await change_status(sessions, bedroom, SuggestionStatus.APPROVED)

    decisions = await owner_decisions(sessions)

    assert decisions.by_kind == {
        "sun": DecisionCounts(
            approved=1, rejected=2, deployed=1, fires=10, reverts=4, reasons=("only in winter",)
        ),
        "time_of_day": DecisionCounts(approved=2, removed=1),
    }
    assert decisions.by_domain == {
        "light": DecisionCounts(
            approved=1, rejected=2, deployed=1, fires=10, reverts=4, reasons=("only in winter",)
        ),
        "cover": DecisionCounts(approved=2, removed=1),
    }


async def test_a_deployed_automation_that_never_fired_is_not_yet_lived_with(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    [deployed] = await _stored(sessions, new_suggestion(1))
    await change_status(sessions, deployed, SuggestionStatus.APPROVED)
    await change_status(sessions, deployed, SuggestionStatus.DEPLOYED)
    await _watched(sessions, deployed, fires=0, undone=0)

    decisions = await owner_decisions(sessions)

    assert decisions.by_kind == {"time_of_day": DecisionCounts(approved=1)}


async def test_a_returning_habit_recalls_its_newest_rejection_while_it_stands(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    older, newer, reopened = await _stored(
        sessions,
        new_suggestion(1, fingerprint="porchsunset00001"),
        new_suggestion(2, fingerprint="porchsunset00001"),
        new_suggestion(3, fingerprint="kitchenlight0001"),
    )
    await review.reject(sessions, older, "too bright")
    await review.reject(sessions, newer, "only in winter")
    await review.reject(sessions, reopened, "not now")
    await review.reopen(sessions, reopened)  # the owner took the rejection back

    found = await past_rejections(sessions, ["porchsunset00001", "kitchenlight0001", "unknown"])

    assert set(found) == {"porchsunset00001"}
    assert found["porchsunset00001"].reason == "only in winter"
    assert await past_rejections(sessions, []) == {}


def _upgrade_to(revision: str) -> Callable[[Connection], None]:
    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    return upgrade


async def test_a_database_from_before_calibration_is_upgraded_with_its_rows_kept(
    tmp_path: Path, new_suggestion: NewSuggestionMaker
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to("0009"))
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("analysis_runs")}
            )
        assert "calibration" not in columns

        async def an_old_run(sessions: Sessions) -> int:
            run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
            summary = RunSummary(status=RunStatus.SUCCEEDED, events_read=1200)
            [rejected] = await complete_run(
                sessions, run_id, summary, [], [new_suggestion(1, kind="sun")]
            )
            await review.reject(sessions, rejected, "only in winter")
            return run_id

        run_id = await write_as_before(tmp_path / "old.db", an_old_run)

        await migrate(engine)

        sessions = make_sessionmaker(engine)
        run = await get_run(sessions, run_id)
        assert (run.source, run.summary.events_read, run.summary.calibration) == ("demo", 1200, {})
        decisions = await owner_decisions(sessions)
        assert decisions.by_kind == {"sun": DecisionCounts(rejected=1, reasons=("only in winter",))}
    finally:
        await engine.dispose()


async def test_each_decision_carries_when_it_was_made_so_an_old_one_counts_less(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from homehabits.patterns.calibration import calibrate
    from homehabits.store.tables import SuggestionRow

    ids = await _stored(sessions, *(new_suggestion(index) for index in range(4)))
    for suggestion_id in ids:
        await review.reject(sessions, suggestion_id, "not us")
    now = datetime(2026, 11, 20, tzinfo=UTC)
    half_life_ago = now - timedelta(days=180)
    async with sessions.begin() as session:
        await session.execute(
            update(SuggestionRow)
            .where(SuggestionRow.id.in_(ids[:2]))
            .values(updated_at=half_life_ago)
        )
        await session.execute(
            update(SuggestionRow).where(SuggestionRow.id.in_(ids[2:])).values(updated_at=now)
        )

    decisions = await owner_decisions(sessions)

    assert sorted(d.decided_at == half_life_ago for d in decisions.decisions) == [
        False,
        False,
        True,
        True,
    ]
    learned = calibrate(decisions.decisions, now=now, half_life_days=180)
    [cell] = learned.cell.values()
    assert cell.counts.rejected == 4
    assert cell.weighed_decided == pytest.approx(2 * 0.5 + 2)  # a half-life old counts half
