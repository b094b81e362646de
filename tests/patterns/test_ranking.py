"""Ranking: one habit per set of actions, habits already automated dropped, best first."""

from __future__ import annotations

from datetime import time, timedelta

import polars as pl
import pytest

from homehabits.automations.dedupe import is_covered
from homehabits.context import ExistingAutomation, HomeContext
from homehabits.events import check_events
from homehabits.exceptions import AnalysisError
from homehabits.patterns import HabitKind, Pattern, mine
from homehabits.patterns.ranking import rank, score

from .conftest import BERLIN, at, build_frame, daily

START, END = "2024-05-01 00:00", "2024-05-29 00:00"
JITTER = (0, 4, -3, 7, -6, 2, -1, 5, -4)


def _mine(frame: pl.DataFrame, context: HomeContext | None = None) -> list[Pattern]:
    return mine(
        frame,
        context or HomeContext(time_zone=BERLIN),
        window_start=at(START),
        window_end=at(END),
    )


def test_door_then_hallway_light_every_morning_is_one_sequence_not_also_a_clock_habit() -> None:
    rows: list[tuple] = []
    for day in range(28):
        opened = at(START) + timedelta(days=day, hours=5, minutes=JITTER[day % len(JITTER)])
        rows.append((opened, "binary_sensor.front_door", "on", "device"))
        rows.append((opened + timedelta(seconds=15), "binary_sensor.front_door", "off", "device"))
        rows.append((opened + timedelta(seconds=20), "light.hallway", "on", "user"))
        rows.append((opened + timedelta(hours=3), "light.hallway", "off", "user"))
    habits = [h for h in _mine(build_frame(rows)) if h.target_state == "on"]
    assert [h.kind for h in habits] == [HabitKind.SEQUENCE]
    assert habits[0].trigger_entity == "binary_sensor.front_door"


def test_habit_an_automation_already_does_is_dropped() -> None:
    frame = build_frame(
        daily("2024-05-01", 28, "07:00", "light.kitchen", "on", jitter_minutes=JITTER)
    )
    automation = ExistingAutomation(
        automation_id="kitchen_morning",
        alias="Kitchen light in the morning",
        entity_id="automation.kitchen_morning",
        triggers=({"trigger": "time", "at": "07:10:00"},),
        actions=({"action": "light.turn_on", "target": {"entity_id": "light.kitchen"}},),
    )
    assert len(_mine(frame)) == 1
    assert _mine(frame, HomeContext(time_zone=BERLIN, automations=(automation,))) == []


def test_an_automation_at_another_time_or_doing_the_opposite_covers_nothing() -> None:
    habit = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="light.kitchen",
        target_state="on",
        time_of_day=time(7),
    )
    evening = ExistingAutomation(
        automation_id="a",
        alias="a",
        entity_id=None,
        triggers=({"trigger": "time", "at": "19:00:00"},),
        actions=({"action": "light.turn_on", "entity_id": "light.kitchen"},),
    )
    switch_off = ExistingAutomation(
        automation_id="b",
        alias="b",
        entity_id=None,
        triggers=({"platform": "time", "at": "07:00"},),
        actions=({"service": "light.turn_off", "data": {"entity_id": ["light.kitchen"]}},),
    )
    assert not is_covered(habit, [evening, switch_off])


def test_a_habit_done_more_often_and_more_surely_ranks_first() -> None:
    daily_habit = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="light.a",
        target_state="on",
        occurrences=28,
        adherence=1.0,
        confidence=0.9,
        evidence_times=(at(START),),
    )
    weekly_habit = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="light.b",
        target_state="on",
        occurrences=4,
        adherence=0.7,
        confidence=0.6,
        evidence_times=(at(START),),
    )
    assert score(daily_habit, 28) > score(weekly_habit, 28)
    ranked = rank([weekly_habit, daily_habit], HomeContext(time_zone=BERLIN), at(START), at(END))
    assert [p.target_entity for p in ranked] == ["light.a", "light.b"]
    assert ranked[0].score > ranked[1].score > 0


def test_closing_the_garage_minutes_after_opening_it_is_part_of_the_opening() -> None:
    rows = daily("2024-05-01", 28, "07:30", "cover.garage_door", "open", jitter_minutes=JITTER)
    rows += daily("2024-05-01", 28, "07:34", "cover.garage_door", "closed", jitter_minutes=JITTER)
    habits = _mine(build_frame(rows))
    assert [(h.target_state, h.sensitive) for h in habits] == [("open", False)]


def test_locks_are_flagged_sensitive() -> None:
    frame = build_frame(
        daily("2024-05-01", 28, "23:00", "lock.front_door", "locked", jitter_minutes=JITTER)
    )
    [habit] = _mine(frame)
    assert habit.sensitive


def test_state_writes_that_change_nothing_are_not_habits() -> None:
    rows = daily("2024-05-01", 28, "07:00", "light.kitchen", "on", jitter_minutes=JITTER)
    raw = pl.DataFrame(
        {
            "time": [at(when) for when, *_ in rows],
            "entity_id": ["light.kitchen"] * len(rows),
            "state": ["on"] * len(rows),
            "old_state": ["on"] * len(rows),  # only the brightness changed
            "origin": ["user"] * len(rows),
        }
    )
    assert _mine(check_events(raw).frame) == []


def test_mine_refuses_a_window_without_a_time_zone_and_names_it() -> None:
    frame = build_frame(daily("2024-05-01", 3, "07:00", "light.kitchen", "on"))
    naive = at(START).replace(tzinfo=None)
    with pytest.raises(AnalysisError, match="window_start"):
        mine(frame, HomeContext(time_zone=BERLIN), window_start=naive, window_end=at(END))


def test_mine_refuses_a_frame_missing_columns_and_names_them() -> None:
    frame = build_frame(daily("2024-05-01", 3, "07:00", "light.kitchen", "on")).drop("origin")
    with pytest.raises(AnalysisError, match="origin"):
        _mine(frame)
