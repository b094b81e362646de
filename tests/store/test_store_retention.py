"""Retention: old runs, their habits, finished-with suggestions and earlier versions are pruned;
what the owner kept, and what it needs, never is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from homehabits.config import RetentionSettings
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import NewSuggestion, RunStatus, RunSummary, SuggestionStatus
from homehabits.store.repository import (
    change_status,
    complete_run,
    create_run,
    get_run,
    list_patterns,
    list_suggestions,
    review_history,
    update_automation,
)
from homehabits.store.retention import prune
from homehabits.store.tables import (
    AnalysisRunRow,
    FeedbackRow,
    PatternRow,
    SuggestionRow,
    SuggestionVersionRow,
    utc_now,
)
from homehabits.store.versions import list_versions

from .conftest import WINDOW_END, WINDOW_START

NewSuggestionMaker = Callable[..., NewSuggestion]
PatternMaker = Callable[..., dict[str, Any]]
S = SuggestionStatus
DEFAULT = RetentionSettings()  # 90 days, no limit by count


async def _run(
    sessions: Sessions, suggestions: list[NewSuggestion], patterns: list[dict[str, Any]]
) -> tuple[int, list[int]]:
    run_id = await create_run(sessions, "schedule", "demo", WINDOW_START, WINDOW_END)
    ids = await complete_run(
        sessions, run_id, RunSummary(status=RunStatus.SUCCEEDED), patterns, suggestions
    )
    return run_id, ids


async def _age(
    sessions: Sessions, days: float, *, runs: Sequence[int] = (), suggestions: Sequence[int] = ()
) -> None:
    """Make rows look `days` old: runs by their start, suggestions by their last change."""
    then = utc_now() - timedelta(days=days)
    async with sessions.begin() as session:
        if runs:
            await session.execute(
                update(AnalysisRunRow).where(AnalysisRunRow.id.in_(runs)).values(started_at=then)
            )
        if suggestions:
            await session.execute(
                update(SuggestionRow)
                .where(SuggestionRow.id.in_(suggestions))
                .values(updated_at=then)
            )
            await session.execute(
                update(SuggestionVersionRow)
                .where(SuggestionVersionRow.suggestion_id.in_(suggestions))
                .values(created_at=then)
            )


async def _pragma(engine: AsyncEngine, pragma: str) -> Any:
    """A pragma on the driver's own connection, outside any transaction (as VACUUM runs)."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        cursor = await raw.driver_connection.execute(f"PRAGMA {pragma}")  # type: ignore[union-attr]
        row = await cursor.fetchone()
        return row[0] if row else None


async def _rows(sessions: Sessions, table: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def _home_of_three_months(
    sessions: Sessions, new_suggestion: NewSuggestionMaker, pattern_data: PatternMaker
) -> dict[str, int]:
    """A home analysed 100, 95 and 1 days ago; the owner's decisions on the old suggestions."""
    old_run, old_ids = await _run(
        sessions,
        [new_suggestion(index) for index in range(6)],
        [pattern_data(index) for index in range(4)],
    )
    deployed, approved, pending, rejected_long_ago, retired, rejected_lately = old_ids
    older_run, [rejected_alone] = await _run(
        sessions, [new_suggestion(10)], [pattern_data(10), pattern_data(11)]
    )
    await change_status(sessions, deployed, S.APPROVED)
    await change_status(sessions, deployed, S.DEPLOYED, ha_automation_id="homehabits_x")
    await change_status(sessions, approved, S.APPROVED)
    for index in (1, 2):  # the approved one edited twice: versions 1 and 2 are old ones
        await update_automation(
            sessions, approved, {"alias": f"ours {index}"}, f"alias: ours {index}\n"
        )
    for suggestion_id in (rejected_long_ago, rejected_lately, rejected_alone):
        await change_status(sessions, suggestion_id, S.REJECTED, reason="not us")
    await change_status(sessions, retired, S.RETIRED)
    await _age(sessions, 100, runs=[old_run])
    await _age(sessions, 95, runs=[older_run])
    await _age(
        sessions,
        100,
        suggestions=[deployed, approved, pending, rejected_long_ago, retired, rejected_alone],
    )
    await _age(sessions, 10, suggestions=[rejected_lately])  # its rejection still holds
    newest_run, _ = await _run(sessions, [], [pattern_data(20), pattern_data(21), pattern_data(22)])
    return {
        "old_run": old_run,
        "older_run": older_run,
        "newest_run": newest_run,
        "deployed": deployed,
        "approved": approved,
        "pending": pending,
        "rejected_long_ago": rejected_long_ago,
        "retired": retired,
        "rejected_lately": rejected_lately,
        "rejected_alone": rejected_alone,
    }


async def test_pruning_keeps_what_the_owner_kept_and_removes_old_rejected_ones_and_old_runs(
    sessions: Sessions, new_suggestion: NewSuggestionMaker, pattern_data: PatternMaker
) -> None:
    home = await _home_of_three_months(sessions, new_suggestion, pattern_data)

    report = await prune(sessions, DEFAULT, rejected_days=90)

    left = {s.id: s.status for s in await list_suggestions(sessions, limit=100)}
    assert left == {
        home["deployed"]: S.DEPLOYED,
        home["approved"]: S.APPROVED,
        home["pending"]: S.PENDING,
        home["rejected_lately"]: S.REJECTED,  # rejected 10 days ago: still remembered
    }
    # the run that found the kept suggestions stays, without its habits; the other old one goes
    assert (await get_run(sessions, home["old_run"])).id == home["old_run"]
    assert await list_patterns(sessions, run_id=home["old_run"]) == []
    assert await _rows(sessions, AnalysisRunRow) == 2
    assert len(await list_patterns(sessions, run_id=home["newest_run"])) == 3
    assert await _rows(sessions, PatternRow) == 3
    # nothing of a pruned suggestion is left behind
    assert await review_history(sessions, home["rejected_long_ago"]) == []
    async with sessions() as session:
        orphans = await session.scalar(
            select(func.count())
            .select_from(FeedbackRow)
            .where(FeedbackRow.suggestion_id.not_in(select(SuggestionRow.id)))
        )
    assert orphans == 0
    # the approved one keeps only its current version; the deployed one its deployed version
    assert [v.number for v in await list_versions(sessions, home["approved"])] == [3]
    assert [v.reason for v in await list_versions(sessions, home["deployed"])] == ["deployed"]
    assert (report.runs, report.patterns, report.suggestions) == (1, 6, 3)
    assert report.versions == 3 + 3  # approved's 1 and 2, deployed's 1; three pruned ones' 1


async def test_a_dry_run_counts_the_same_rows_and_removes_none(
    sessions: Sessions, new_suggestion: NewSuggestionMaker, pattern_data: PatternMaker
) -> None:
    await _home_of_three_months(sessions, new_suggestion, pattern_data)
    before = [await _rows(sessions, table) for table in (AnalysisRunRow, PatternRow, SuggestionRow)]

    dry = await prune(sessions, DEFAULT, rejected_days=90, dry_run=True)

    after = [await _rows(sessions, table) for table in (AnalysisRunRow, PatternRow, SuggestionRow)]
    assert after == before
    assert dry.sentence.startswith("would remove 1 run, 6 habits, 3 rejected or retired")
    done = await prune(sessions, DEFAULT, rejected_days=90)
    assert (done.runs, done.patterns, done.suggestions, done.versions) == (
        dry.runs,
        dry.patterns,
        dry.suggestions,
        dry.versions,
    )
    assert done.sentence.startswith("removed 1 run, 6 habits")
    again = await prune(sessions, DEFAULT, rejected_days=90)
    assert again.removed == 0
    assert again.sentence == "nothing older than 90 days to prune"


async def test_keep_runs_keeps_the_newest_runs_only(
    sessions: Sessions, pattern_data: PatternMaker
) -> None:
    runs = []
    for day in range(5):
        run_id, _ = await _run(sessions, [], [pattern_data(day)])
        await _age(sessions, 5 - day, runs=[run_id])  # 5, 4, 3, 2 and 1 days ago
        runs.append(run_id)

    report = await prune(sessions, RetentionSettings(keep_days=0, keep_runs=2), rejected_days=90)

    async with sessions() as session:
        left = list(await session.scalars(select(AnalysisRunRow.id).order_by(AnalysisRunRow.id)))
    assert left == runs[-2:]
    assert (report.runs, report.patterns) == (3, 3)
    assert "the newest 2 runs" in report.sentence


async def test_the_newest_finished_run_and_a_running_one_are_never_pruned(
    sessions: Sessions, pattern_data: PatternMaker
) -> None:
    finished, _ = await _run(sessions, [], [pattern_data(1)])
    running = await create_run(sessions, "schedule", "demo", WINDOW_START, WINDOW_END)
    await _age(sessions, 400, runs=[finished, running])

    report = await prune(sessions, DEFAULT, rejected_days=90)

    assert report.removed == 0
    assert (
        len(await list_patterns(sessions, run_id=finished)) == 1
    )  # the next run names habits by it
    assert (await get_run(sessions, running)).status is RunStatus.RUNNING


async def test_no_limit_prunes_nothing(
    sessions: Sessions, new_suggestion: NewSuggestionMaker, pattern_data: PatternMaker
) -> None:
    await _home_of_three_months(sessions, new_suggestion, pattern_data)

    report = await prune(sessions, RetentionSettings(keep_days=0, keep_runs=0), rejected_days=0)

    assert report.removed == 0
    assert report.sentence == "nothing pruned: no retention limit is set"


async def test_on_sqlite_a_prune_vacuums_the_file_and_it_stays_in_wal_mode(
    tmp_path: Path, new_suggestion: NewSuggestionMaker, pattern_data: PatternMaker
) -> None:
    database = tmp_path / "homehabits.db"
    engine: AsyncEngine = make_engine(f"sqlite:///{database}")
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    try:
        big = [pattern_data(index, note="x" * 2000) for index in range(300)]
        old_run, _ = await _run(sessions, [], big)
        await _run(sessions, [], [pattern_data(1)])
        await _age(sessions, 120, runs=[old_run])
        await _pragma(engine, "wal_checkpoint(TRUNCATE)")
        size_before = database.stat().st_size

        report = await prune(sessions, DEFAULT, rejected_days=90)

        freelist = await _pragma(engine, "freelist_count")
        journal = await _pragma(engine, "journal_mode")
        await _pragma(engine, "wal_checkpoint(TRUNCATE)")
        assert report.vacuumed
        assert report.sentence.endswith("; the database was vacuumed")
        assert freelist == 0  # without VACUUM the 300 habits' pages would be free pages
        assert journal == "wal"
        assert database.stat().st_size < size_before / 2
        # and the store still works on the vacuumed file
        assert len(await list_patterns(sessions)) == 1
    finally:
        await engine.dispose()


async def test_what_old_runs_saw_automations_do_goes_and_the_newest_runs_watch_stays(
    sessions: Sessions, pattern_data: PatternMaker
) -> None:
    from homehabits.store.watch import home_automations, store_watch

    from .test_store_watch import _watch

    old_run, _ = await _run(sessions, [], [pattern_data(1)])
    await store_watch(sessions, old_run, [_watch("Porch"), _watch("Hall")])
    newest, _ = await _run(sessions, [], [pattern_data(2)])
    await store_watch(sessions, newest, [_watch("Porch")])
    await _age(sessions, 100, runs=[old_run])

    dry = await prune(sessions, DEFAULT, rejected_days=90, dry_run=True)
    report = await prune(sessions, DEFAULT, rejected_days=90)

    assert (dry.watch, report.watch, report.runs) == (2, 2, 1)
    assert "2 watch records" in report.sentence
    run_id, shown = await home_automations(sessions)
    assert run_id == newest
    assert [record.alias for record in shown] == ["Porch"]
