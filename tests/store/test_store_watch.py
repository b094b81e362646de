"""Track records in the store: kept per run, read for a suggestion and for the home's own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import alembic_config, migrate
from homehabits.store.records import NewSuggestion, RunStatus, RunSummary, SuggestionStatus
from homehabits.store.repository import change_status, complete_run, create_run, get_run
from homehabits.store.watch import home_automations, store_watch, track_record, track_records
from homehabits.watch import AutomationWatch, Revert, WatchedAutomation

from .conftest import WINDOW_END, WINDOW_START
from .old_rows import write_as_before

NewSuggestionMaker = Callable[..., NewSuggestion]
FIRED = WINDOW_START + timedelta(days=3, hours=20)


def _watch(alias: str, suggestion_id: int | None = None, **changes: object) -> AutomationWatch:
    values: dict[str, object] = {
        "automation": WatchedAutomation(
            alias=alias,
            config={"alias": alias},
            automation_id=alias.lower().replace(" ", "_"),
            entity_id=f"automation.{alias.lower().replace(' ', '_')}",
            suggestion_id=suggestion_id,
        ),
        "fire_times": (FIRED, FIRED + timedelta(days=1)),
        "reverts": (Revert(FIRED, FIRED + timedelta(minutes=3), "light.lamp", "on", "off"),),
        "misses": (FIRED - timedelta(days=2),),
        "words": "fired 2 times; undone once",
    }
    values.update(changes)
    return AutomationWatch(**values)  # type: ignore[arg-type]


async def _run(sessions: Sessions, *, status: RunStatus = RunStatus.SUCCEEDED) -> int:
    run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    summary = RunSummary(status=status, phase_seconds={"watch": 0.1})
    await complete_run(sessions, run_id, summary, [], [])
    return run_id


async def _deployed(sessions: Sessions, new_suggestion: NewSuggestionMaker) -> int:
    run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    [suggestion_id] = await complete_run(
        sessions, run_id, RunSummary(status=RunStatus.SUCCEEDED), [], [new_suggestion()]
    )
    await change_status(sessions, suggestion_id, SuggestionStatus.APPROVED)
    await change_status(sessions, suggestion_id, SuggestionStatus.DEPLOYED)
    return suggestion_id


async def test_a_suggestions_track_record_comes_from_the_newest_finished_run(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    suggestion_id = await _deployed(sessions, new_suggestion)
    assert await track_record(sessions, suggestion_id) is None

    older = await _run(sessions)
    await store_watch(sessions, older, [_watch("Lamp on", suggestion_id, words="older")])
    newer = await _run(sessions)
    await store_watch(sessions, newer, [_watch("Lamp on", suggestion_id)])
    # a run still going has not finished its watch: its records are not shown yet
    running = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    await store_watch(sessions, running, [_watch("Lamp on", suggestion_id, words="running")])

    found = await track_record(sessions, suggestion_id)
    assert found is not None
    assert (found.run_id, found.words, found.fires) == (newer, "fired 2 times; undone once", 2)
    assert found.last_fired == FIRED + timedelta(days=1)
    assert found.reverts == (
        Revert(FIRED, FIRED + timedelta(minutes=3), "light.lamp", "on", "off"),
    )
    assert found.misses == (FIRED - timedelta(days=2),)
    assert (await track_records(sessions, [suggestion_id, 999])).keys() == {suggestion_id}


async def test_storing_a_runs_watch_again_replaces_it(sessions: Sessions) -> None:
    run_id = await _run(sessions)
    await store_watch(sessions, run_id, [_watch("Porch"), _watch("Garden")])
    await store_watch(sessions, run_id, [_watch("Porch", words="never fired in 30 days")])
    shown_run, records = await home_automations(sessions)
    assert shown_run == run_id
    assert [(r.alias, r.words) for r in records] == [("Porch", "never fired in 30 days")]


async def test_the_homes_automations_list_problems_first_and_leave_ours_out(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    assert await home_automations(sessions) == (None, [])
    suggestion_id = await _deployed(sessions, new_suggestion)
    run_id = await _run(sessions)
    await store_watch(
        sessions,
        run_id,
        [
            _watch("Alpha"),
            _watch("Ours", suggestion_id),
            _watch("Zulu", problems=("never fired in 30 days",)),
            _watch("Mike", problems=("names entities the home no longer has: x.y", "never fired")),
        ],
    )
    # a failed run after it shows nothing of its own
    failed = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    await store_watch(sessions, failed, [_watch("Failed one")])

    shown_run, records = await home_automations(sessions)
    assert shown_run == run_id
    assert [r.alias for r in records] == ["Mike", "Zulu", "Alpha"]


def _upgrade_to(revision: str) -> Callable[[Connection], None]:
    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    return upgrade


async def test_a_database_from_before_the_watch_is_upgraded_with_its_rows_kept(
    tmp_path: Path, new_suggestion: NewSuggestionMaker
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to("0007"))
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert "automation_watch" not in tables

        async def an_old_run(sessions: Sessions) -> int:
            run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
            await complete_run(
                sessions, run_id, RunSummary(status=RunStatus.SUCCEEDED), [], [new_suggestion()]
            )
            return run_id

        # the rows as homehabits at 0007 wrote them
        run_id = await write_as_before(tmp_path / "old.db", an_old_run)
        sessions = make_sessionmaker(engine)

        await migrate(engine)

        async with engine.connect() as connection:
            version = await connection.execute(text("SELECT version_num FROM alembic_version"))
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert version.scalar_one() == head
            count = await connection.execute(text("SELECT count(*) FROM suggestions"))
            assert count.scalar_one() == 1
        assert (await get_run(sessions, run_id)).source == "demo"
        await store_watch(sessions, run_id, [_watch("Porch")])
        assert [r.alias for r in (await home_automations(sessions))[1]] == ["Porch"]
    finally:
        await engine.dispose()


async def test_a_run_that_read_no_history_keeps_the_last_watch_shown(sessions: Sessions) -> None:
    from homehabits.config import WatchSettings
    from homehabits.context import ExistingAutomation, HomeContext
    from homehabits.events import empty_events
    from homehabits.watch.phase import watch_run

    seen = await _run(sessions)
    await store_watch(sessions, seen, [_watch("Porch", problems=("never fired in 30 days",))])
    empty = await _run(sessions)
    context = HomeContext(
        time_zone="UTC",
        automations=(ExistingAutomation(automation_id="porch", alias="Porch", entity_id=None),),
    )
    report = await watch_run(
        sessions,
        empty,
        empty_events(),
        context,
        window=(WINDOW_START, WINDOW_END),
        settings=WatchSettings(),
    )

    assert (report.deployed, report.owners) == (0, 0)
    shown_run, records = await home_automations(sessions)
    assert shown_run == seen
    assert [r.alias for r in records] == ["Porch"]
