"""Auto-off habits: switched on, then off by hand after a steady time or once motion stops."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from homehabits.config import MiningSettings
from homehabits.context import Area, Entity, HomeContext
from homehabits.patterns.auto_off import find_auto_offs
from homehabits.patterns.habit import HabitKind

from .conftest import BERLIN, at, build_frame

START, END = "2024-05-01 00:00", "2024-05-29 00:00"
HOME = HomeContext(time_zone=BERLIN)


def _fan(minutes: float, spread: float, seed: int = 2) -> list[tuple]:
    rng = random.Random(seed)
    rows: list[tuple] = []
    for day in range(28):
        for _ in range(2):
            on = at(START) + timedelta(days=day, hours=rng.uniform(6, 22))
            rows.append((on, "fan.bathroom", "on", "device"))
            off = on + timedelta(minutes=max(1.0, rng.gauss(minutes, spread)))
            rows.append((off, "fan.bathroom", "off", "user"))
    return rows


def test_fan_switched_off_fifteen_minutes_after_it_went_on_is_an_auto_off() -> None:
    frame = build_frame(_fan(15, 1))
    [habit] = find_auto_offs(frame, HOME, at(START), at(END), MiningSettings())
    assert habit.kind is HabitKind.AUTO_OFF
    assert (habit.target_entity, habit.target_state, habit.trigger_entity) == (
        "fan.bathroom",
        "off",
        None,
    )
    assert habit.duration_seconds is not None
    assert abs(habit.duration_seconds - 900) < 60
    assert habit.occurrences >= 50
    assert all(700 < lag < 1100 for lag in habit.evidence_lags)


def test_durations_that_vary_widely_are_no_auto_off() -> None:
    rng = random.Random(4)
    rows: list[tuple] = []
    for day in range(28):
        on = at(START) + timedelta(days=day, hours=rng.uniform(6, 20))
        rows.append((on, "light.lamp", "on", "user"))
        rows.append((on + timedelta(minutes=rng.expovariate(1 / 40)), "light.lamp", "off", "user"))
    assert find_auto_offs(build_frame(rows), HOME, at(START), at(END), MiningSettings()) == []


def test_the_spread_setting_decides_how_steady_is_steady() -> None:
    frame = build_frame(_fan(15, 3))
    assert find_auto_offs(frame, HOME, at(START), at(END), MiningSettings()) != []
    strict = MiningSettings(auto_off_max_spread_ratio=0.05)
    assert find_auto_offs(frame, HOME, at(START), at(END), strict) == []


def test_switching_off_at_the_same_clock_time_is_left_to_the_clock_miner() -> None:
    rows: list[tuple] = []
    for day in range(28):
        on = at(START) + timedelta(days=day, hours=7, minutes=(day * 7) % 11)
        rows.append((on, "light.kitchen", "on", "user"))
        rows.append((at(START) + timedelta(days=day, hours=8), "light.kitchen", "off", "user"))
    assert find_auto_offs(build_frame(rows), HOME, at(START), at(END), MiningSettings()) == []


def test_light_off_a_steady_while_after_motion_stops_names_the_motion_sensor() -> None:
    context = HomeContext(
        time_zone=BERLIN,
        areas={"bathroom": Area("bathroom", "Bathroom")},
        entities={
            "light.bathroom": Entity("light.bathroom", "Bathroom light", area_id="bathroom"),
            "binary_sensor.bathroom_motion": Entity(
                "binary_sensor.bathroom_motion", "Motion", area_id="bathroom", device_class="motion"
            ),
        },
    )
    rng = random.Random(8)
    rows: list[tuple] = []
    for day in range(28):
        for _ in range(3):
            came = at(START) + timedelta(days=day, hours=rng.uniform(6, 22))
            left = came + timedelta(minutes=rng.uniform(1, 25))  # visits of any length
            rows.append((came, "binary_sensor.bathroom_motion", "on", "device"))
            rows.append((came + timedelta(seconds=5), "light.bathroom", "on", "user"))
            rows.append((left, "binary_sensor.bathroom_motion", "off", "device"))
            off = left + timedelta(seconds=rng.gauss(120, 10))
            rows.append((off, "light.bathroom", "off", "user"))
    [habit] = find_auto_offs(build_frame(rows), context, at(START), at(END), MiningSettings())
    assert habit.trigger_entity == "binary_sensor.bathroom_motion"
    assert habit.trigger_state == "off"
    assert habit.duration_seconds is not None
    assert abs(habit.duration_seconds - 120) < 15


@pytest.mark.parametrize("strays", [0, 3], ids=["no strays", "three stray mornings"])
def test_a_steady_lunch_timer_is_found_beside_dinners_of_any_length(strays: int) -> None:
    # lunch: on between 12:00 and 12:40, off ten minutes later; dinner: on between 18:30
    # and 19:30, off after 30 to 95 minutes; and on a few mornings the light is on for a
    # while at 08:30 (a slot of strays: left out, not a reason to pool lunch with dinner)
    rng = random.Random(5)
    rows: list[tuple] = []
    for day in range(strays):
        morning = at(START) + timedelta(days=day * 5, hours=8, minutes=30)
        rows.append((morning, "light.dining", "on", "user"))
        rows.append((morning + timedelta(minutes=35 + day * 7), "light.dining", "off", "user"))
    for day in range(28):
        lunch = at(START) + timedelta(days=day, hours=12, minutes=rng.uniform(0, 40))
        rows.append((lunch, "light.dining", "on", "user"))
        rows.append((lunch + timedelta(minutes=rng.gauss(10, 0.5)), "light.dining", "off", "user"))
        dinner = at(START) + timedelta(days=day, hours=18, minutes=rng.uniform(30, 90))
        rows.append((dinner, "light.dining", "on", "user"))
        rows.append(
            (dinner + timedelta(minutes=rng.uniform(30, 95)), "light.dining", "off", "user")
        )
    [habit] = find_auto_offs(build_frame(rows), HOME, at(START), at(END), MiningSettings())
    assert habit.duration_seconds is not None
    assert abs(habit.duration_seconds - 600) < 60
    assert habit.time_of_day is not None
    assert 12 * 60 <= habit.time_of_day.hour * 60 + habit.time_of_day.minute <= 12 * 60 + 40
    assert habit.days_observed >= 24
    assert any(note.startswith("only sessions switched on between 12:") for note in habit.notes)


def test_dinners_of_30_to_95_minutes_are_no_timer() -> None:
    rows: list[tuple] = []
    lengths = [30 + 65 * n / 27 for n in range(28)]  # 30 to 95 minutes, in a shuffled order
    for day in range(28):
        dinner = at(START) + timedelta(days=day, hours=18, minutes=30 + (day * 17) % 60)
        rows.append((dinner, "light.dining", "on", "user"))
        off = dinner + timedelta(minutes=lengths[(day * 11) % 28])
        rows.append((off, "light.dining", "off", "user"))
    assert find_auto_offs(build_frame(rows), HOME, at(START), at(END), MiningSettings()) == []
