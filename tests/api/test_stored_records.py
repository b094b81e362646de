"""Habits stored by earlier releases (no schema version) and by newer ones, on the page and API."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import event

from homehabits.patterns.habit import PATTERN_SCHEMA, WEEKDAYS, HabitKind, Pattern, pattern_to_dict
from homehabits.store import repository
from homehabits.store.engine import Sessions
from homehabits.store.records import NewSuggestion, RunStatus, RunSummary
from tests.api.conftest import Running

_END = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)


def _habit(index: int = 0) -> Pattern:
    mornings = tuple(_END - timedelta(days=day, hours=20, minutes=index) for day in range(1, 13))
    return Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity=f"light.lamp_{index}",
        target_state="on",
        time_of_day=time(7, index % 60),
        spread_minutes=6.0,
        weekdays=WEEKDAYS,
        occurrences=12,
        days_observed=12,
        days_possible=14,
        adherence=0.86,
        confidence=0.8,
        score=0.7,
        evidence_times=mornings,
    )


def _as_an_older_release_stored_it(habit: Pattern) -> dict[str, Any]:
    data = pattern_to_dict(habit)
    del data["schema"]  # releases before the version was kept wrote none
    return data


def _suggestion(habit: Pattern, data: dict[str, Any]) -> NewSuggestion:
    return NewSuggestion(
        fingerprint=habit.fingerprint,
        kind="time_of_day",
        title=f"{habit.target_entity} on in the morning",
        description="Every weekday morning.",
        rationale="Seen on 12 of 14 weekdays.",
        category="lighting",
        confidence=habit.confidence,
        score=habit.score,
        sensitive=False,
        sensitive_reason=None,
        target_entity=habit.target_entity,
        trigger_entity=None,
        area_id="living_room",
        area_name="Living room",
        automation={
            "alias": "Lamp on in the morning",
            "triggers": [{"trigger": "time", "at": "07:00:00"}],
            "actions": [{"action": "light.turn_on", "target": {"entity_id": habit.target_entity}}],
        },
        yaml="alias: Lamp on in the morning\n",
        dialect="modern",
        diff=None,
        pattern=data,
        author="template",
    )


async def _store_run(
    sessions: Sessions, suggestions: list[NewSuggestion], patterns: list[dict[str, Any]]
) -> list[int]:
    run_id = await repository.create_run(
        sessions, "cli", "test", window_start=_END - timedelta(days=14), window_end=_END
    )
    summary = RunSummary(status=RunStatus.SUCCEEDED, time_zone="Europe/Berlin")
    return await repository.complete_run(sessions, run_id, summary, patterns, suggestions)


async def test_a_habit_stored_without_a_schema_version_shows_on_the_page_and_in_the_api(
    running: Running,
) -> None:
    habit = _habit()
    old = _as_an_older_release_stored_it(habit)
    sessions = running.service.sessions
    [suggestion_id] = await _store_run(sessions, [_suggestion(habit, old)], [old])

    page = await running.client.get("/")
    detail = await running.client.get(f"/api/suggestions/{suggestion_id}")
    patterns = await running.client.get("/api/patterns")
    approved = await running.client.post(f"/api/suggestions/{suggestion_id}/approve")

    assert page.status_code == 200
    assert "light.lamp_0 on in the morning" in page.text
    assert f'id="evidence-{suggestion_id}-title"' in page.text, "its evidence is drawn"
    assert detail.status_code == 200
    assert detail.json()["evidence"] == old
    assert detail.json()["kind"] == "time_of_day"
    assert [found["fingerprint"] for found in patterns.json()] == [habit.fingerprint]
    assert approved.status_code == 200, approved.text
    record = await repository.get_suggestion(sessions, suggestion_id)
    assert record.habit == habit


async def test_new_habits_are_stored_with_their_schema_version(running: Running) -> None:
    habit = _habit()
    [suggestion_id] = await _store_run(
        running.service.sessions, [_suggestion(habit, pattern_to_dict(habit))], []
    )

    detail = (await running.client.get(f"/api/suggestions/{suggestion_id}")).json()

    assert detail["evidence"]["schema"] == PATTERN_SCHEMA


async def test_a_habit_stored_by_a_newer_release_is_an_error_naming_the_suggestion(
    running: Running,
) -> None:
    habit = _habit()
    newer = {**pattern_to_dict(habit), "schema": PATTERN_SCHEMA + 1}
    [suggestion_id] = await _store_run(running.service.sessions, [_suggestion(habit, newer)], [])

    response = await running.client.get(f"/api/suggestions/{suggestion_id}")

    detail = response.json()["detail"]
    assert response.status_code == 500
    assert f"suggestion {suggestion_id}" in detail
    assert "newer homehabits" in detail


async def test_the_review_page_reads_thirty_suggestions_in_a_few_queries(running: Running) -> None:
    sessions = running.service.sessions
    await _store_run(sessions, [_suggestion(_habit(0), pattern_to_dict(_habit(0)))], [])
    one = await _statements_for(running, "/")
    for index in range(1, 30):  # each from its own run: the worst case for one query per run
        habit = _habit(index)
        await _store_run(sessions, [_suggestion(habit, pattern_to_dict(habit))], [])

    thirty = await _statements_for(running, "/")
    filtered = await _statements_for(running, "/?kind=time_of_day&area=living_room")

    # the suggestions (twice when filtered), the runs behind them, their versions, the latest
    # run, the fleet's homes for the home selector (one query, however many homes): each in
    # its own short transaction, and never one query per suggestion or run
    assert len(thirty) == len(one) <= 10, thirty
    assert len(filtered) <= 12, filtered


async def _statements_for(running: Running, path: str) -> list[str]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = running.service.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        page = await running.client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200
    return statements
