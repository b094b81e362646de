"""Analysis runs: started at once, completed all-or-nothing, failed, listed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from homehabits.exceptions import RunNotFoundError, StoreError
from homehabits.store.engine import Sessions
from homehabits.store.records import (
    NewSuggestion,
    RunStatus,
    RunSummary,
    SuggestionRefresh,
    SuggestionStatus,
)
from homehabits.store.repository import (
    change_status,
    complete_run,
    create_run,
    fail_run,
    get_run,
    get_suggestion,
    latest_run,
    list_patterns,
    list_runs,
    list_suggestions,
    set_phase_seconds,
    update_automation,
)
from homehabits.store.tables import PatternRow, SuggestionRow

from .conftest import WINDOW_END, WINDOW_START

NewSuggestionMaker = Callable[..., NewSuggestion]
PatternMaker = Callable[..., dict[str, Any]]


async def _rows(sessions: Sessions, table: type[PatternRow] | type[SuggestionRow]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_new_run_is_running_with_its_window(sessions: Sessions) -> None:
    run_id = await create_run(sessions, "api", "ha-config:/config", WINDOW_START, WINDOW_END)

    run = await get_run(sessions, run_id)
    assert run.status is RunStatus.RUNNING
    assert (run.trigger, run.source) == ("api", "ha-config:/config")
    assert (run.window_start, run.window_end) == (WINDOW_START, WINDOW_END)
    assert run.finished_at is None
    assert run.started_at.tzinfo is not None
    assert run.started_at.utcoffset() == timedelta(0)


async def test_a_completed_run_keeps_its_summary_patterns_and_suggestions(
    sessions: Sessions, new_suggestion: NewSuggestionMaker, pattern_data: PatternMaker
) -> None:
    run_id = await create_run(sessions, "schedule", "demo", WINDOW_START, WINDOW_END)
    summary = RunSummary(
        status=RunStatus.PARTIAL,
        events_read=120_000,
        events_rejected=3,
        patterns_found=4,
        suggestions_created=3,
        suggestions_dropped=1,
        phase_seconds={"events": 1.5, "mine": 0.25},
        model_calls=3,
        cache_hits=1,
        tokens_in=900,
        tokens_out=300,
        cost=0.0012,
        errors=["3 rows skipped (unknown state)"],
        rejected_examples=[{"row": 17, "reason": "unknown state"}],
        time_zone="Europe/Berlin",
        ha_version="2024.11.1",
    )
    suggestions = [new_suggestion(index) for index in (3, 1, 2)]

    ids = await complete_run(
        sessions, run_id, summary, [pattern_data(i) for i in range(4)], suggestions
    )

    run = await get_run(sessions, run_id)
    assert run.status is RunStatus.PARTIAL
    assert run.summary == summary
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at
    stored = [await get_suggestion(sessions, suggestion_id) for suggestion_id in ids]
    assert [record.fingerprint for record in stored] == [s.fingerprint for s in suggestions]
    assert all(record.status is SuggestionStatus.PENDING for record in stored)
    assert stored[0].automation == suggestions[0].automation
    assert stored[0].pattern == suggestions[0].pattern
    assert len(await list_patterns(sessions)) == 4


async def test_a_bad_500th_suggestion_leaves_nothing_of_the_run(
    sessions: Sessions, new_suggestion: NewSuggestionMaker, pattern_data: PatternMaker
) -> None:
    run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    suggestions = [new_suggestion(index) for index in range(1000)]
    # A title the database refuses (NOT NULL), far down the list.
    suggestions[499] = new_suggestion(499, title=None)

    with pytest.raises(StoreError, match=f"run {run_id}"):
        await complete_run(
            sessions,
            run_id,
            RunSummary(status=RunStatus.SUCCEEDED, suggestions_created=1000),
            [pattern_data(i) for i in range(50)],
            suggestions,
        )

    run = await get_run(sessions, run_id)
    assert run.status is RunStatus.RUNNING
    assert run.finished_at is None
    assert run.summary.suggestions_created == 0
    assert await _rows(sessions, PatternRow) == 0
    assert await _rows(sessions, SuggestionRow) == 0


async def test_a_run_cannot_be_completed_twice(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    summary = RunSummary(status=RunStatus.SUCCEEDED)
    await complete_run(sessions, run_id, summary, [], [new_suggestion(1)])

    with pytest.raises(StoreError, match="already succeeded"):
        await complete_run(sessions, run_id, summary, [], [new_suggestion(1)])
    assert len(await list_suggestions(sessions)) == 1


async def test_completing_an_unknown_run_says_so(sessions: Sessions) -> None:
    with pytest.raises(RunNotFoundError, match="42"):
        await complete_run(sessions, 42, RunSummary(status=RunStatus.SUCCEEDED), [], [])


async def test_a_pattern_without_fingerprint_is_refused_with_its_position(
    sessions: Sessions, pattern_data: PatternMaker
) -> None:
    run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    patterns = [pattern_data(0), pattern_data(1, fingerprint="")]

    with pytest.raises(StoreError, match=r"pattern 1 .*'fingerprint'"):
        await complete_run(sessions, run_id, RunSummary(status=RunStatus.SUCCEEDED), patterns, [])
    assert (await get_run(sessions, run_id)).status is RunStatus.RUNNING


async def test_a_failed_run_keeps_its_error(sessions: Sessions) -> None:
    run_id = await create_run(sessions, "cli", "recorder:sqlite:///ha.db", WINDOW_START, WINDOW_END)

    await fail_run(sessions, run_id, "the recorder schema is too old")

    run = await get_run(sessions, run_id)
    assert run.status is RunStatus.FAILED
    assert run.summary.errors == ["the recorder schema is too old"]
    assert run.finished_at is not None


async def test_runs_are_listed_newest_first_page_by_page(sessions: Sessions) -> None:
    ids = [
        await create_run(sessions, "schedule", f"run {n}", WINDOW_START, WINDOW_END)
        for n in range(5)
    ]

    first_page = await list_runs(sessions, limit=2)
    second_page = await list_runs(sessions, limit=2, offset=2)
    rest = await list_runs(sessions, limit=2, offset=4)

    listed = [run.id for run in first_page + second_page + rest]
    assert listed == list(reversed(ids))
    latest = await latest_run(sessions)
    assert latest is not None
    assert latest.id == ids[-1]


async def test_no_run_yet_means_no_latest_run_and_no_patterns(sessions: Sessions) -> None:
    assert await latest_run(sessions) is None
    assert await list_patterns(sessions) == []


async def test_an_unknown_run_is_not_found(sessions: Sessions) -> None:
    with pytest.raises(RunNotFoundError, match="no analysis run with id 7"):
        await get_run(sessions, 7)


async def test_patterns_come_from_the_latest_finished_run_and_filter(
    sessions: Sessions, pattern_data: PatternMaker
) -> None:
    older = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    await complete_run(
        sessions, older, RunSummary(status=RunStatus.SUCCEEDED), [pattern_data(90)], []
    )
    newer = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    patterns = [
        pattern_data(1, score=0.9),
        pattern_data(
            2,
            kind="sequence",
            trigger_entity="binary_sensor.hall_motion",
            target_entity="light.hall",
            area_id="hall",
            score=0.7,
        ),
        pattern_data(
            3, kind="sun", target_entity="cover.living_room", area_id="living_room", score=0.8
        ),
    ]
    await complete_run(sessions, newer, RunSummary(status=RunStatus.PARTIAL), patterns, [])
    # A run still going is not "the latest" for the patterns page.
    await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)

    latest = await list_patterns(sessions)
    assert [p.fingerprint for p in latest] == [
        "habit00000000001",
        "habit00000000003",
        "habit00000000002",
    ]
    assert {p.run_id for p in latest} == {newer}
    assert [p.kind for p in await list_patterns(sessions, kind="sun")] == ["sun"]
    by_trigger = await list_patterns(sessions, entity="binary_sensor.hall_motion")
    assert [p.target_entity for p in by_trigger] == ["light.hall"]
    assert [p.area_id for p in await list_patterns(sessions, area="living_room")] == ["living_room"]
    assert [p.fingerprint for p in await list_patterns(sessions, run_id=older)] == [
        "habit00000000090"
    ]
    page = await list_patterns(sessions, limit=1, offset=1)
    assert [p.fingerprint for p in page] == ["habit00000000003"]
    assert latest[0].data["time_of_day"] == "07:00:00"


async def test_the_store_phase_time_is_added_after_storing(sessions: Sessions) -> None:
    run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    summary = RunSummary(status=RunStatus.SUCCEEDED, phase_seconds={"mine": 2.0})
    await complete_run(sessions, run_id, summary, [], [])

    await set_phase_seconds(sessions, run_id, "store", 0.05)

    run = await get_run(sessions, run_id)
    assert run.summary.phase_seconds == {"mine": 2.0, "store": 0.05}


async def test_refreshing_keeps_an_edited_automation_and_skips_a_reviewed_suggestion(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    first_run = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    edited_id, reviewed_id = await complete_run(
        sessions,
        first_run,
        RunSummary(status=RunStatus.SUCCEEDED),
        [],
        [new_suggestion(1), new_suggestion(2)],
    )
    theirs = {"alias": "the owner's own", "triggers": [], "actions": []}
    await update_automation(sessions, edited_id, theirs, "alias: the owner's own\n")
    await change_status(sessions, reviewed_id, SuggestionStatus.APPROVED)

    second_run = await create_run(sessions, "schedule", "demo", WINDOW_START, WINDOW_END)
    seen_again = new_suggestion(1, rationale="seen again today", confidence=0.99)
    await complete_run(
        sessions,
        second_run,
        RunSummary(status=RunStatus.SUCCEEDED, suggestions_refreshed=2),
        [],
        [],
        [
            SuggestionRefresh(edited_id, seen_again, keep_automation=True),
            SuggestionRefresh(reviewed_id, new_suggestion(2, rationale="seen again today")),
        ],
    )

    refreshed = await get_suggestion(sessions, edited_id)
    assert refreshed.rationale == "seen again today"
    assert refreshed.confidence == 0.99
    assert refreshed.automation == theirs
    assert refreshed.run_id == first_run
    assert (await get_suggestion(sessions, reviewed_id)).rationale != "seen again today"
    assert (await get_run(sessions, second_run)).summary.suggestions_refreshed == 2
