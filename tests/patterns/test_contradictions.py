"""Two opposite actions on the same target after the same trigger are no habit, unless one dominates."""

from __future__ import annotations

from datetime import datetime, timedelta

from homehabits.config import MiningSettings
from homehabits.context import HomeContext
from homehabits.patterns import HabitKind, Pattern, mine

from .conftest import BERLIN, at, build_frame


def _burner_evenings(states: list[str]) -> list[Pattern]:
    """The burner starts once a day, at a different hour each day; a minute later the light
    is set to that day's state."""
    rows: list[tuple[str | datetime, str, str, str]] = []
    for day, state in enumerate(states):
        start = at("2024-05-01 08:00") + timedelta(days=day, minutes=37 * (day * 7 % 23))
        rows.append((start, "switch.burner", "on", "device"))
        rows.append((start + timedelta(minutes=40), "switch.burner", "off", "device"))
        rows.append((start + timedelta(seconds=60), "light.kitchen", state, "user"))
    found = mine(
        build_frame(rows),
        HomeContext(time_zone=BERLIN),
        window_start=at("2024-05-01 00:00"),
        window_end=at("2024-05-01 00:00") + timedelta(days=len(states)),
        settings=MiningSettings(min_confidence=0.2, min_adherence=0.2),
    )
    return [
        habit
        for habit in found
        if habit.kind is HabitKind.SEQUENCE and habit.target_entity == "light.kitchen"
    ]


def test_light_on_and_light_off_when_the_burner_starts_are_both_dropped() -> None:
    assert _burner_evenings(["on", "off"] * 10) == []


def test_an_action_on_three_times_the_days_of_its_opposite_is_kept_alone() -> None:
    states = ["on", "on", "on", "off"] * 5 + ["on"] * 6  # on: 21 days, off: 5 days
    [habit] = _burner_evenings(states)
    assert habit.target_state == "on"
    assert habit.trigger_entity == "switch.burner"
