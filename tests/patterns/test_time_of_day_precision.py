"""Clock habits told apart precisely: validated before de-overlapping, split by weekday, in use."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from homehabits.config import MiningSettings
from homehabits.context import HomeContext, Location
from homehabits.patterns._sun import sun_table
from homehabits.patterns.habit import HabitKind
from homehabits.patterns.time_of_day import find_time_habits

from .conftest import BERLIN, at, build_frame, daily

JITTER = (0, 4, -3, 7, -6, 2, -1, 5, -4)
BERLIN_LOCATION = Location(latitude=52.52, longitude=13.40)

Rows = list[tuple[str | datetime, str, str, str]]


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def test_a_clock_habit_beside_a_sunset_habit_keeps_its_own_narrow_time() -> None:
    # on at 19:00 every day, and on two days of three also half an hour before sunset: the
    # sunset bunch reaches the 19:00 one, and the biggest description must not win unchecked
    home = HomeContext(time_zone=BERLIN, location=BERLIN_LOCATION)
    start, end = at("2024-02-15 00:00"), at("2024-03-15 00:00")
    sunsets = sun_table(BERLIN_LOCATION, BERLIN, start, end)
    sunset = dict(zip(sunsets["date"].to_list(), sunsets["sunset"].to_list(), strict=True))
    rows: Rows = list(daily("2024-02-15", 29, "19:00", "light.living", "on", jitter_minutes=JITTER))
    for n in range(29):
        if n % 3:
            day = date(2024, 2, 15) + timedelta(days=n)
            minute = sunset[day] - 30 + JITTER[n % len(JITTER)] / 2
            rows.append(
                (at(f"{day} 00:00") + timedelta(minutes=minute), "light.living", "on", "user")
            )
    found = find_time_habits(build_frame(rows), home, start, end, MiningSettings())
    [clock] = [habit for habit in found if habit.kind is HabitKind.TIME_OF_DAY]
    assert abs(_minutes(clock.time_of_day) - 19 * 60) <= 2
    assert clock.spread_minutes is not None
    assert clock.spread_minutes < 6
    assert clock.days_observed == 29
    [sun] = [habit for habit in found if habit.kind is HabitKind.SUN]
    assert (sun.sun_event, sun.sun_offset_minutes) == ("sunset", -30)


def test_weekends_at_0814_and_tuesdays_and_wednesdays_at_0856_are_two_habits() -> None:
    # with a person's usual ±10 minutes the two bunches touch: one habit at 08:35 on Tue,
    # Wed, Sat and Sun would be the time of neither
    rows: Rows = []
    for n in range(35):
        day = date(2024, 5, 6) + timedelta(days=n)  # a Monday
        jitter = JITTER[n % len(JITTER)] * 2.5
        if day.weekday() in (5, 6):
            rows.append(
                (at(f"{day} 08:14") + timedelta(minutes=jitter), "light.hall", "on", "user")
            )
        elif day.weekday() in (1, 2):
            rows.append(
                (at(f"{day} 08:56") + timedelta(minutes=jitter), "light.hall", "on", "user")
            )
    found = find_time_habits(
        build_frame(rows),
        HomeContext(time_zone=BERLIN),
        at("2024-05-06 00:00"),
        at("2024-06-10 00:00"),
        MiningSettings(),
    )
    habits = sorted(found, key=lambda habit: _minutes(habit.time_of_day))
    assert [habit.weekdays for habit in habits] == [(5, 6), (1, 2)]
    assert abs(_minutes(habits[0].time_of_day) - (8 * 60 + 14)) <= 3
    assert abs(_minutes(habits[1].time_of_day) - (8 * 60 + 56)) <= 3
    assert all(habit.adherence == 1.0 for habit in habits)
