"""Every minimum of evidence counts distinct days on which the person did it, never events."""

from __future__ import annotations

from datetime import datetime, timedelta

from homehabits.config import MiningSettings
from homehabits.context import HomeContext
from homehabits.patterns.sequence import find_sequences
from homehabits.patterns.time_of_day import find_time_habits

from .conftest import BERLIN, at, build_frame

HOME = HomeContext(time_zone=BERLIN)


def _bouncing_mornings(days: int) -> list[tuple[str | datetime, str, str, str]]:
    """At 07:00 the kettle switch bounces on and off four times within a few seconds."""
    rows: list[tuple[str | datetime, str, str, str]] = []
    for day in range(days):
        start = at("2024-05-01 07:00") + timedelta(days=day)
        for bounce in range(4):
            rows.append((start + timedelta(seconds=2 * bounce), "switch.kettle", "on", "user"))
            rows.append((start + timedelta(seconds=2 * bounce + 1), "switch.kettle", "off", "user"))
    return rows


def test_three_days_of_bounces_do_not_pass_a_minimum_of_five() -> None:
    frame = build_frame(_bouncing_mornings(3))
    found = find_time_habits(
        frame, HOME, at("2024-05-01 00:00"), at("2024-05-04 00:00"), MiningSettings()
    )
    assert found == []


def test_five_days_of_the_same_pass_the_minimum_of_five_days() -> None:
    frame = build_frame(_bouncing_mornings(5))
    found = find_time_habits(
        frame, HOME, at("2024-05-01 00:00"), at("2024-05-06 00:00"), MiningSettings()
    )
    assert {(habit.target_entity, habit.target_state) for habit in found} >= {
        ("switch.kettle", "on")
    }
    assert all(habit.days_observed == 5 for habit in found)


def test_a_light_bouncing_after_the_door_on_three_days_is_no_sequence() -> None:
    rows: list[tuple[str | datetime, str, str, str]] = []
    for day in range(3):
        opened = at("2024-05-01 18:00") + timedelta(days=day)
        for n in range(3):
            door = opened + timedelta(minutes=30 * n)
            rows.append((door, "binary_sensor.front_door", "on", "device"))
            rows.append((door + timedelta(seconds=20), "binary_sensor.front_door", "off", "device"))
            rows.append((door + timedelta(seconds=30), "light.hallway", "on", "user"))
            rows.append((door + timedelta(seconds=31), "light.hallway", "off", "user"))
    frame = build_frame(rows)
    found = find_sequences(
        frame, HOME, at("2024-05-01 00:00"), at("2024-05-04 00:00"), MiningSettings()
    )
    assert [habit for habit in found if habit.target_entity == "light.hallway"] == []
