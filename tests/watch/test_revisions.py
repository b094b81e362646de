"""Revisions: a deployed automation people keep undoing gets a condition, or is turned off."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, time, timedelta
from typing import Any

from homehabits.automations.checker import check_automation
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Dialect, WatchSettings
from homehabits.patterns.habit import ALL_DAYS, HabitKind, Pattern, pattern_to_dict
from homehabits.replay.conditions import holds
from homehabits.replay.history import History
from homehabits.store.records import NewSuggestion, SuggestionRecord
from homehabits.watch.revise import propose_revisions
from homehabits.writers.template import template_words

from .test_watch import (
    BERLIN,
    CONTEXT,
    DAYS,
    END,
    FIRST_DAY,
    LAMP,
    LAMP_ON,
    START,
    _at,
    _frame,
    _lamp_month,
    _watch,
)


def _record(automation: dict[str, Any] = LAMP_ON) -> SuggestionRecord:
    habit = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity=LAMP,
        target_state="on",
        time_of_day=time(21, 45),
        weekdays=ALL_DAYS,
        confidence=0.8,
        known_as="lamp",
    )
    new = NewSuggestion(
        fingerprint="lamp",
        kind="time_of_day",
        title="Reading lamp on at 21:45",
        description="Turns on the reading lamp at 21:45.",
        rationale="",
        category="lighting",
        confidence=0.8,
        score=0.7,
        sensitive=False,
        sensitive_reason=None,
        target_entity=LAMP,
        trigger_entity=None,
        area_id=None,
        area_name=None,
        automation=dict(automation),
        yaml=automation_to_yaml(automation),
        dialect="modern",
        diff=None,
        pattern=pattern_to_dict(habit),
        author="template",
    )
    now = datetime(2026, 3, 2, tzinfo=UTC)
    return SuggestionRecord(
        **asdict(new), id=7, run_id=1, status="deployed", created_at=now, updated_at=now
    )


def _revise(rows: list[Any]) -> list[Any]:
    watched = _watch(rows)
    return propose_revisions(
        [watched],
        {7: _record()},
        _frame(rows),
        CONTEXT,
        window_start=START,
        window_end=END,
        settings=WatchSettings(),
    )


def test_a_lamp_undone_on_saturdays_gets_a_condition_that_skips_saturdays() -> None:
    [revision] = _revise(_lamp_month())
    assert revision.revises == 7
    assert not revision.turns_off
    draft = revision.draft
    assert draft.pattern.kind is HabitKind.REVISION
    assert draft.automation_id == "homehabits_lamp"  # deploying it replaces the deployed one
    check_automation(draft.automation, Dialect.MODERN)
    [condition] = draft.automation["conditions"]
    assert condition["condition"] == "time"
    assert "sat" not in condition["weekday"]
    assert len(condition["weekday"]) == 6
    # replayed on the same moments, it holds on every kept evening and on no Saturday
    history = History(_frame(_lamp_month()), CONTEXT, set(), window_start=START, window_end=END)
    evenings = [_at(day, 21, 45) for day in range(DAYS)]
    import polars as pl

    held = holds(condition, pl.DataFrame({"t": evenings}), history, [])
    saturdays = [(FIRST_DAY + timedelta(days=day)).weekday() == 5 for day in range(DAYS)]
    assert held.to_list() == [not saturday for saturday in saturdays]
    assert draft.diff is not None
    assert "+  conditions:" in draft.diff or "+conditions:" in draft.diff
    words = template_words(draft, CONTEXT)
    assert words.title.startswith("Run 'Reading lamp on at 21:45' only on")
    assert "undone 4 of the 28 times it fired, all on Saturdays" in words.rationale


def test_a_lamp_undone_on_no_day_in_particular_is_proposed_to_be_turned_off() -> None:
    # undone on alternate evenings: every weekday has kept and undone fires alike
    rows = []
    for day in range(DAYS):
        rows.append((_at(day, 21, 45, 1), LAMP, "on", "off", "automation"))
        off = _at(day, 21, 49) if day % 2 else _at(day, 23, 30)
        rows.append((off, LAMP, "off", "on", "user"))
    [revision] = _revise(rows)
    assert revision.turns_off
    triggers = revision.draft.automation["triggers"]
    assert triggers
    assert all(trigger["enabled"] is False for trigger in triggers)
    check_automation(revision.draft.automation, Dialect.MODERN)
    words = template_words(revision.draft, CONTEXT)
    assert words.title == "Turn off 'Reading lamp on at 21:45'"
    assert "nothing in the home tells those times apart" in words.rationale


def test_a_lamp_undone_twice_gets_no_revision() -> None:
    rows = _lamp_month()
    saturdays = [day for day in range(DAYS) if (FIRST_DAY + timedelta(days=day)).weekday() == 5]
    # only the first two Saturdays undone: below HOMEHABITS_WATCH__UNDONE_AT_LEAST (3)
    kept = [
        row
        for row in rows
        if not (
            row[2] == "off"
            and row[0].astimezone(BERLIN).date()
            in {FIRST_DAY + timedelta(days=day) for day in saturdays[2:]}
        )
    ]
    kept += [(_at(day, 23, 30), LAMP, "off", "on", "user") for day in saturdays[2:]]
    assert _revise(sorted(kept)) == []
