"""Drift and gaps: a stopped habit is left out, a drifting one keeps today's time, days away
count for nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from homehabits.context import HomeContext
from homehabits.patterns import HabitKind, Pattern, mine
from homehabits.patterns._common import days_away, stopped_reason
from homehabits.sources.simulator import SimulationConfig, simulate_home

from .conftest import BERLIN, at, build_frame, daily

HOME = HomeContext(time_zone=BERLIN)
ZONE = ZoneInfo(BERLIN)
START, END = "2024-05-01 00:00", "2024-06-05 00:00"  # 35 days
JITTER = (0, 4, -3, 2, -2, 3, -1)
Rows = list[tuple[str | datetime, str, str, str]]


def _mine(rows: Rows, left_out: list[tuple[Pattern, str]] | None = None) -> list[Pattern]:
    # a row before the window, so that the first day's action has a state before it too
    frame = build_frame([("2024-04-30 12:00", "light.kitchen", "off", "user"), *rows])
    return mine(frame, HOME, window_start=at(START), window_end=at(END), left_out=left_out)


def _kitchen(patterns: list[Pattern]) -> Pattern:
    [habit] = [p for p in patterns if p.target_entity == "light.kitchen"]
    return habit


def _away(leave: str, back: str) -> Rows:
    """Both people leave and come back together (device trackers, by the person's phone)."""
    rows: Rows = []
    for person in ("person.anna", "person.ben"):
        rows += [
            ("2024-05-01 00:00", person, "home", "device"),
            (leave, person, "not_home", "device"),
            (back, person, "home", "device"),
        ]
    return rows


def _without_days(rows: Rows, first: str, last: str) -> Rows:
    """The rows, but none from local day `first` to `last` (both included)."""
    low, high = date.fromisoformat(first), date.fromisoformat(last)
    return [row for row in rows if not low <= datetime.fromisoformat(str(row[0])).date() <= high]


def test_a_habit_that_stopped_in_the_last_third_is_left_out_with_its_reason() -> None:
    rows = daily("2024-05-01", 23, "07:00", "light.kitchen", "on", jitter_minutes=JITTER)
    rows += daily("2024-05-01", 35, "21:00", "light.porch", "on", jitter_minutes=JITTER)
    left_out: list[tuple[Pattern, str]] = []

    found = _mine(rows, left_out)

    assert [p.target_entity for p in found if p.target_state == "on"] == ["light.porch"]
    [(stopped, reason)] = left_out
    assert (stopped.target_entity, stopped.kind) == ("light.kitchen", HabitKind.TIME_OF_DAY)
    assert reason.startswith("stopped: not done since May 23")
    assert "0 of the last" in reason


def test_a_habit_still_done_is_not_called_stopped() -> None:
    rows = daily("2024-05-01", 35, "07:00", "light.kitchen", "on", jitter_minutes=JITTER)
    left_out: list[tuple[Pattern, str]] = []

    assert _kitchen(_mine(rows, left_out)).adherence == 1.0
    assert left_out == []


def test_a_week_away_does_not_lower_adherence() -> None:
    every_day = daily("2024-05-01", 35, "07:00", "light.kitchen", "on", jitter_minutes=JITTER)
    # they leave on the 10th after breakfast and are back on the 16th before it: 6 days away
    away = _without_days(every_day, "2024-05-11", "2024-05-15") + _away(
        "2024-05-10 08:00", "2024-05-16 06:00"
    )

    at_home = _kitchen(_mine(every_day))
    holiday = _kitchen(_mine(away))

    assert holiday.adherence == at_home.adherence == 1.0
    assert holiday.days_possible == at_home.days_possible - 5
    assert "not counted: 5 days away" in holiday.notes


def test_a_week_away_at_the_end_does_not_make_a_habit_look_stopped() -> None:
    every_day = daily("2024-05-01", 35, "07:00", "light.kitchen", "on", jitter_minutes=JITTER)
    away = _without_days(every_day, "2024-05-26", "2024-06-02") + _away(
        "2024-05-25 08:00", "2024-06-03 06:00"
    )
    left_out: list[tuple[Pattern, str]] = []

    assert _kitchen(_mine(away, left_out)).adherence == 1.0
    assert left_out == []


def test_days_away_are_those_with_nobody_home_for_20_hours() -> None:
    frame = build_frame(_away("2024-05-10 08:00", "2024-05-13 19:00"))

    away = days_away(frame, ZONE, at(START), at(END))

    # the 10th (16 h away) and the 13th (19 h) still count as days at home
    assert sorted(away) == [date(2024, 5, 11), date(2024, 5, 12)]


def test_days_away_read_zone_home_when_the_home_has_it() -> None:
    rows: Rows = [
        ("2024-05-01 00:00", "zone.home", "2", "device"),
        ("2024-05-10 07:00", "zone.home", "1", "device"),
        ("2024-05-10 08:00", "zone.home", "0", "device"),
        ("2024-05-12 21:00", "zone.home", "1", "device"),
    ]

    away = days_away(build_frame(rows), ZONE, at(START), at(END))

    assert sorted(away) == [date(2024, 5, 11), date(2024, 5, 12)]


def test_one_person_away_is_no_day_away() -> None:
    rows = [row for row in _away("2024-05-10 08:00", "2024-05-13 19:00") if "anna" in row[1]]
    rows += [("2024-05-01 00:00", "person.ben", "home", "device")]

    assert days_away(build_frame(rows), ZONE, at(START), at(END)) == frozenset()


def test_a_weekly_habit_is_judged_on_enough_of_its_own_days() -> None:
    """A habit on Sundays only: the last third holds too few Sundays, the check looks further."""
    start, end = at("2024-05-01 00:00"), at("2024-07-10 00:00")  # ten Sundays
    sundays = [datetime(2024, 5, 5, 9, tzinfo=ZONE) + timedelta(weeks=n) for n in range(10)]

    assert stopped_reason(sundays, (6,), start, end, ZONE) is None
    # done on the first five Sundays only: the last four would have held three or more
    reason = stopped_reason(sundays[:5], (6,), start, end, ZONE)
    assert reason is not None
    assert "0 of the last 4 days" in reason
    # in five weeks a weekly habit never has enough recent Sundays to be called stopped
    assert stopped_reason(sundays[:2], (6,), at(START), at(END), ZONE) is None


def test_a_drifting_habit_is_found_at_its_recent_time() -> None:
    """07:28 at the start, 07:53 at the end: the automation is for today, about 07:49."""
    rows: Rows = []
    for n in range(35):
        moment = datetime(2024, 5, 1, 7, 28) + timedelta(days=n, minutes=25 * n / 34)
        rows.append((moment.isoformat(sep=" "), "light.kitchen", "on", "user"))

    habit = _kitchen(_mine(rows))

    minutes = habit.time_of_day.hour * 60 + habit.time_of_day.minute if habit.time_of_day else 0
    assert 7 * 60 + 46 <= minutes <= 7 * 60 + 52
    assert habit.time_of_day != time(7, 40)


def test_a_steady_habit_keeps_its_whole_windows_time() -> None:
    rows = daily("2024-05-01", 35, "07:00", "light.kitchen", "on", jitter_minutes=JITTER)

    habit = _kitchen(_mine(rows))

    assert habit.time_of_day == time(7, 0)


def test_the_frame_without_people_has_no_days_away() -> None:
    frame = build_frame(daily("2024-05-01", 35, "07:00", "light.kitchen", "on"))
    assert days_away(frame, ZONE, at(START), at(END)) == frozenset()
    assert frame.filter(pl.col("domain") == "person").is_empty()


def test_the_demo_homes_drifting_blinds_are_suggested_at_their_recent_time() -> None:
    """Kitchen blinds planted at 07:40 moving 25 min over the month: today about 07:48."""
    home = simulate_home(SimulationConfig())
    [planted] = [h for h in home.household_truth if h.drift_minutes]
    [stopped] = [h for h in home.household_truth if h.stopped]

    found = mine(
        home.frame, home.context, window_start=home.window_start, window_end=home.window_end
    )

    [blinds] = [
        p
        for p in found
        if (p.target_entity, p.target_state) == (planted.target_entity, planted.target_state)
    ]
    assert blinds.time_of_day is not None
    assert planted.time_of_day is not None
    minutes = blinds.time_of_day.hour * 60 + blinds.time_of_day.minute
    planted_minutes = planted.time_of_day.hour * 60 + planted.time_of_day.minute
    # the last third's centre lies 5/6 into the drift: 25 × (5/6 − 1/2) ≈ 8 minutes later
    assert planted_minutes + 5 <= minutes <= planted_minutes + 12
    assert stopped.target_entity not in {p.target_entity for p in found}


def test_a_stopped_habit_of_another_kind_is_left_out_too() -> None:
    """A door → light habit done on the first 23 days only: the check is the same for every kind."""
    rows: Rows = []
    for n in range(35):
        opened = datetime(2024, 5, 1, 19, 0) + timedelta(days=n, minutes=JITTER[n % 7] * 9)
        rows.append((opened.isoformat(sep=" "), "binary_sensor.front_door", "on", "device"))
        closed = opened + timedelta(minutes=1)
        rows.append((closed.isoformat(sep=" "), "binary_sensor.front_door", "off", "device"))
        if n < 23:
            lit = opened + timedelta(seconds=12)
            rows.append((lit.isoformat(sep=" "), "light.hallway", "on", "user"))
            rows.append(
                ((lit + timedelta(hours=3)).isoformat(sep=" "), "light.hallway", "off", "user")
            )
    left_out: list[tuple[Pattern, str]] = []

    found = _mine(rows, left_out)

    assert "light.hallway" not in {p.target_entity for p in found if p.target_state == "on"}
    kinds = {p.kind for p, _ in left_out if p.target_entity == "light.hallway"}
    assert HabitKind.SEQUENCE in kinds
