"""Presence habits: when everyone has left, things are switched off by hand."""

from __future__ import annotations

import random
from datetime import timedelta

from homehabits.config import MiningSettings
from homehabits.context import HomeContext
from homehabits.patterns.habit import HabitKind
from homehabits.patterns.presence import everyone_away, find_presence_habits

from .conftest import BERLIN, at, build_frame

START, END = "2024-05-01 00:00", "2024-05-29 00:00"
HOME = HomeContext(time_zone=BERLIN)


def _two_people_leave(switch_off_after_first: bool = False) -> list[tuple]:
    rng = random.Random(11)
    rows: list[tuple] = []
    for day in range(28):
        morning = at(START) + timedelta(days=day, hours=6)
        rows.append((morning, "light.living_room", "on", "user"))
        anna = morning + timedelta(hours=1, minutes=rng.uniform(0, 20))
        ben = anna + timedelta(minutes=rng.uniform(5, 40))
        rows.append((anna, "person.anna", "not_home", "device"))
        rows.append((ben, "person.ben", "not_home", "device"))
        first_out = anna if switch_off_after_first else ben
        rows.append(
            (
                first_out + timedelta(seconds=rng.uniform(60, 180)),
                "light.living_room",
                "off",
                "user",
            )
        )
        rows.append((morning + timedelta(hours=11), "person.anna", "home", "device"))
        rows.append((morning + timedelta(hours=12), "person.ben", "home", "device"))
    return rows


def test_light_switched_off_after_the_last_person_leaves_is_a_presence_habit() -> None:
    [habit] = find_presence_habits(
        build_frame(_two_people_leave()), HOME, at(START), at(END), MiningSettings()
    )
    assert habit.kind is HabitKind.PRESENCE
    assert (habit.target_entity, habit.target_state) == ("light.living_room", "off")
    assert habit.related_entities == ("person.anna", "person.ben")
    assert habit.trigger_state == "not_home"
    assert habit.lag_seconds is not None
    assert 60 <= habit.lag_seconds <= 180
    assert habit.occurrences == 28


def test_switching_off_while_someone_is_still_home_is_no_presence_habit() -> None:
    frame = build_frame(_two_people_leave(switch_off_after_first=True))
    assert find_presence_habits(frame, HOME, at(START), at(END), MiningSettings()) == []


def test_everyone_away_is_true_only_once_both_have_left() -> None:
    away = everyone_away(build_frame(_two_people_leave()))
    first_day = away.head(4)
    assert first_day["all_away"].to_list() == [False, True, False, False]
