"""Sequence habits: A changes, a person acts on B soon after."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import polars as pl

from homehabits.config import MiningSettings
from homehabits.context import HomeContext
from homehabits.patterns.habit import HabitKind
from homehabits.patterns.sequence import find_sequences

from .conftest import BERLIN, at, build_frame

HOME = HomeContext(time_zone=BERLIN)
START, END = "2024-05-01 00:00", "2024-05-29 00:00"


def _door_then_light(lag_seconds: float, share: float = 0.9, seed: int = 1) -> list[tuple]:
    """The front door opens three times a day; most times the hallway light follows."""
    rng = random.Random(seed)
    rows: list[tuple] = []
    for day in range(28):
        for _ in range(3):
            opened = at(START) + timedelta(days=day, hours=rng.uniform(7, 22))
            rows.append((opened, "binary_sensor.front_door", "on", "device"))
            rows.append(
                (opened + timedelta(seconds=20), "binary_sensor.front_door", "off", "device")
            )
            if rng.random() < share:
                lit = opened + timedelta(seconds=lag_seconds + rng.uniform(-5, 5))
                rows.append((lit, "light.hallway", "on", "user"))
                rows.append(
                    (lit + timedelta(minutes=rng.uniform(5, 20)), "light.hallway", "off", "user")
                )
    return rows


def _mine(frame: pl.DataFrame, **thresholds: float):
    return find_sequences(frame, HOME, at(START), at(END), MiningSettings(**thresholds))


def test_light_switched_on_after_the_door_opens_is_a_sequence_with_its_lag() -> None:
    frame = build_frame(_door_then_light(lag_seconds=30))
    found = [p for p in _mine(frame) if p.target_state == "on"]
    [habit] = [p for p in found if p.trigger_state == "on"]
    assert habit.kind is HabitKind.SEQUENCE
    assert (habit.trigger_entity, habit.target_entity) == (
        "binary_sensor.front_door",
        "light.hallway",
    )
    assert habit.lag_seconds is not None
    assert 20 <= habit.lag_seconds <= 40
    assert habit.support == 84
    assert habit.confidence > 0.8
    assert habit.lift is not None
    assert habit.lift >= 3
    lights_on = frame.filter(pl.col("entity_id") == "light.hallway", pl.col("state") == "on")
    assert set(habit.evidence_times) == set(lights_on["time"].to_list())
    assert all(20 <= lag <= 40 for lag in habit.evidence_lags)


def test_a_lag_longer_than_the_setting_is_no_sequence() -> None:
    frame = build_frame(_door_then_light(lag_seconds=240))
    assert any(p.trigger_state == "on" for p in _mine(frame))
    assert not any(p.trigger_state == "on" for p in _mine(frame, sequence_max_lag_seconds=120))


def test_sequence_is_directional() -> None:
    rows = []
    for day in range(28):
        first = at(START) + timedelta(days=day, hours=19, minutes=day % 7 * 11)
        rows.append((first, "light.kitchen", "on", "user"))
        rows.append((first + timedelta(seconds=40), "light.dining", "on", "user"))
        rows.append((first + timedelta(hours=2), "light.kitchen", "off", "user"))
        rows.append((first + timedelta(hours=2, minutes=5), "light.dining", "off", "user"))
    pairs = {(p.trigger_entity, p.target_entity, p.target_state) for p in _mine(build_frame(rows))}
    assert ("light.kitchen", "light.dining", "on") in pairs
    assert ("light.dining", "light.kitchen", "on") not in pairs


def test_independent_actions_and_numeric_readings_make_no_sequence() -> None:
    rng = random.Random(5)
    rows = []
    for _ in range(600):
        when = at(START) + timedelta(seconds=rng.uniform(0, 28 * 86400))
        rows.append((when, "sensor.power", f"{rng.uniform(10, 90):.1f}", "device"))
    for n in range(120):
        when = at(START) + timedelta(seconds=rng.uniform(0, 28 * 86400))
        rows.append((when, "light.lamp", "on" if n % 2 else "off", "user"))
        when = at(START) + timedelta(seconds=rng.uniform(0, 28 * 86400))
        rows.append((when, "binary_sensor.window", "on" if n % 2 else "off", "device"))
    assert _mine(build_frame(rows)) == []


def test_an_automation_switching_the_light_is_no_sequence() -> None:
    rows = [
        (when, entity, state, "automation" if entity == "light.hallway" else origin)
        for when, entity, state, origin in _door_then_light(lag_seconds=2)
    ]
    assert _mine(build_frame(rows)) == []


def test_support_counts_every_trigger_in_a_month_of_events() -> None:
    frame = build_frame(_door_then_light(lag_seconds=30, share=0.5, seed=9))
    [habit] = [p for p in _mine(frame, min_confidence=0.3) if p.trigger_state == "on"]
    assert habit.support == 84
    assert 0.3 <= habit.confidence <= 0.7
    assert isinstance(habit.evidence_times[0], datetime)


def _stairs_at_night(seed: int = 2) -> list[tuple]:
    """Motion on the stairs ten times a day and three times a night; the light only at night."""
    rng = random.Random(seed)
    rows: list[tuple] = []
    for day in range(28):
        midnight = at(START) + timedelta(days=day)
        day_visits = [rng.uniform(7.5, 21.5) for _ in range(10)]
        night_visits = [rng.uniform(22.5, 29.5) for _ in range(3)]  # 22:30 to 05:30
        for hours in sorted(day_visits + night_visits):
            seen = midnight + timedelta(hours=hours)
            rows.append((seen, "binary_sensor.stairs_motion", "on", "device"))
            rows.append(
                (seen + timedelta(seconds=40), "binary_sensor.stairs_motion", "off", "device")
            )
            if hours > 22 and rng.random() < 0.9:
                lit = seen + timedelta(seconds=rng.uniform(2, 5))
                rows.append((lit, "light.stairs", "on", "user"))
                rows.append(
                    (lit + timedelta(minutes=rng.uniform(2, 25)), "light.stairs", "off", "user")
                )
    return rows


def test_a_sequence_held_only_at_night_is_found_in_its_hours() -> None:
    frame = build_frame(_stairs_at_night())
    found = [
        p
        for p in _mine(frame)
        if p.target_entity == "light.stairs" and p.target_state == "on" and p.trigger_state == "on"
    ]
    [habit] = found  # followed on under a fifth of all the motion: no habit without its hours
    assert habit.confidence >= 0.8  # of the motion in its hours
    assert habit.support is not None
    assert habit.support < 28 * 13 / 2  # the day's motion is left out of its support
    [note] = [n for n in habit.notes if n.startswith("only when")]
    assert "between 22:00 and 06:00" in note


def test_a_trigger_followed_as_often_at_every_hour_gets_no_hours() -> None:
    # the light follows a third of the openings at any hour: too rare, and no hours to blame
    frame = build_frame(_door_then_light(lag_seconds=30, share=0.3))
    assert not [p for p in _mine(frame) if p.target_state == "on" and p.trigger_state == "on"]


def test_switching_off_after_a_trigger_is_not_held_to_some_hours() -> None:
    # the stairs light switched off right after motion, only at night: what a timer explains
    rows = [
        (when, entity, "off" if entity == "light.stairs" else state, origin)
        for when, entity, state, origin in _stairs_at_night()
    ]
    assert not [
        p for p in _mine(build_frame(rows)) if p.target_entity == "light.stairs" and p.notes
    ]
