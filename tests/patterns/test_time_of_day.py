"""Clock and sun habits: local time, midnight, DST, day sets, several habits a day, sun."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from astral import Observer
from astral.sun import sun
from hypothesis import given, settings
from hypothesis import strategies as st

from homehabits.config import MiningSettings
from homehabits.context import HomeContext, Location
from homehabits.exceptions import ConfigError
from homehabits.patterns.habit import WEEKDAYS, HabitKind
from homehabits.patterns.time_of_day import find_time_habits

from .conftest import BERLIN, at, build_frame, daily

JITTER = (0, 4, -3, 7, -6, 2, -1, 5, -4)
BERLIN_HOME = HomeContext(time_zone=BERLIN)


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def _mine(
    frame: pl.DataFrame, start: str, end: str, context: HomeContext = BERLIN_HOME, **kw: float
):
    return find_time_habits(frame, context, at(start), at(end), MiningSettings(**kw))


def test_daily_habit_is_found_at_its_local_time_with_every_occurrence_as_evidence() -> None:
    rows = daily("2024-05-01", 28, "07:00", "light.kitchen", "on", jitter_minutes=JITTER)
    frame = build_frame(rows)
    [habit] = _mine(frame, "2024-05-01 00:00", "2024-05-29 00:00")
    assert habit.kind is HabitKind.TIME_OF_DAY
    assert (habit.target_entity, habit.target_state) == ("light.kitchen", "on")
    assert abs(_minutes(habit.time_of_day) - 7 * 60) <= 2
    assert habit.weekdays == (0, 1, 2, 3, 4, 5, 6)
    assert habit.adherence == 1.0
    assert habit.days_observed == habit.days_possible == 28
    assert sorted(habit.evidence_times) == sorted(frame["time"].to_list())


def test_habit_keeps_its_local_time_across_the_dst_change() -> None:
    # Berlin moves its clocks forward on 2024-03-31: 07:00 is 06:00 UTC before, 05:00 after
    rows = daily("2024-03-17", 28, "07:00", "cover.bedroom", "open", jitter_minutes=JITTER)
    [habit] = _mine(build_frame(rows), "2024-03-17 00:00", "2024-04-14 00:00")
    assert abs(_minutes(habit.time_of_day) - 7 * 60) <= 2
    assert habit.spread_minutes is not None
    assert habit.spread_minutes < 6
    assert habit.adherence == 1.0


def test_near_midnight_habit_is_one_habit_at_ten_to_midnight_with_full_adherence() -> None:
    jitter = (0, 15, -15, 12, -10, 14, 5, -5)  # often after midnight
    rows = daily("2024-06-01", 21, "23:50", "light.hall", "off", jitter_minutes=jitter)
    [habit] = _mine(build_frame(rows), "2024-06-01 12:00", "2024-06-22 12:00")
    assert abs(_minutes(habit.time_of_day) - (23 * 60 + 50)) <= 5
    assert habit.adherence == 1.0
    assert habit.days_observed == 21
    assert habit.occurrences == 21


def test_habit_on_tuesdays_and_thursdays_gets_just_those_days() -> None:
    rows = [
        row
        for row in daily("2024-05-06", 35, "18:30", "switch.sprinkler", "on", jitter_minutes=JITTER)
        if datetime.fromisoformat(str(row[0])).weekday() in (1, 3)
    ]
    [habit] = _mine(build_frame(rows), "2024-05-06 00:00", "2024-06-10 00:00")
    assert habit.weekdays == (1, 3)
    assert habit.day_type == "tue_thu"
    assert habit.adherence == 1.0


def test_weekday_habit_is_found_as_weekdays() -> None:
    rows = [
        row
        for row in daily("2024-05-06", 28, "06:45", "light.kitchen", "on", jitter_minutes=JITTER)
        if datetime.fromisoformat(str(row[0])).weekday() < 5
    ]
    [habit] = _mine(build_frame(rows), "2024-05-06 00:00", "2024-06-03 00:00")
    assert habit.weekdays == WEEKDAYS


def test_entity_with_a_morning_and_an_evening_habit_gets_both() -> None:
    rows = daily("2024-05-01", 28, "06:30", "light.kitchen", "on", jitter_minutes=JITTER)
    rows += daily("2024-05-01", 28, "08:00", "light.kitchen", "off", jitter_minutes=JITTER)
    rows += daily("2024-05-01", 28, "19:15", "light.kitchen", "on", jitter_minutes=JITTER)
    habits = _mine(build_frame(rows), "2024-05-01 00:00", "2024-05-29 00:00")
    switched_on = sorted(_minutes(h.time_of_day) for h in habits if h.target_state == "on")
    assert len(switched_on) == 2
    assert abs(switched_on[0] - 390) <= 2
    assert abs(switched_on[1] - (19 * 60 + 15)) <= 2


def _sunset(day: date, location: Location) -> datetime:
    observer = Observer(location.latitude, location.longitude)
    moment: datetime = sun(observer, date=day, tzinfo=ZoneInfo(BERLIN))["sunset"]
    return moment.astimezone(UTC)


def test_habit_that_follows_sunset_is_a_sun_habit_not_a_clock_one() -> None:
    berlin = Location(latitude=52.52, longitude=13.40)
    rng = random.Random(7)
    rows = []
    for n in range(30):  # sunset moves by about an hour from mid September to mid October
        moment = _sunset(date(2024, 9, 15) + timedelta(days=n), berlin)
        rows.append(
            (moment + timedelta(minutes=10 + rng.uniform(-3, 3)), "light.porch", "on", "user")
        )
    context = HomeContext(time_zone=BERLIN, location=berlin)
    [habit] = _mine(build_frame(rows), "2024-09-15 00:00", "2024-10-15 00:00", context)
    assert habit.kind is HabitKind.SUN
    assert habit.sun_event == "sunset"
    assert habit.sun_offset_minutes is not None
    assert abs(habit.sun_offset_minutes - 10) <= 2
    # each occurrence's own distance to that day's sunset, for the review page's picture
    assert len(habit.evidence_lags) == len(habit.evidence_times) == 30
    assert all(7 * 60 - 30 <= lag <= 13 * 60 + 30 for lag in habit.evidence_lags)


def test_clock_habit_stays_a_clock_habit_when_the_home_has_a_location() -> None:
    context = HomeContext(time_zone=BERLIN, location=Location(latitude=52.52, longitude=13.40))
    rows = daily("2024-09-15", 30, "06:40", "light.kitchen", "on", jitter_minutes=JITTER)
    [habit] = _mine(build_frame(rows), "2024-09-15 00:00", "2024-10-15 00:00", context)
    assert habit.kind is HabitKind.TIME_OF_DAY


def test_random_toggles_are_no_habit() -> None:
    rng = random.Random(3)
    rows = []
    start = at("2024-05-01 00:00")
    for n in range(400):
        moment = start + timedelta(seconds=rng.uniform(0, 28 * 86400))
        rows.append((moment, "light.lamp", "on" if n % 2 else "off", "user"))
    assert _mine(build_frame(rows), "2024-05-01 00:00", "2024-05-29 00:00") == []


def test_changes_by_automations_services_and_sensors_are_no_habit() -> None:
    rows = daily("2024-05-01", 28, "07:00", "light.kitchen", "on", "automation", JITTER)
    rows += daily("2024-05-01", 28, "07:30", "light.office", "on", "service", JITTER)
    rows += daily("2024-05-01", 28, "08:00", "binary_sensor.door", "on", "device", JITTER)
    rows += [
        (when, "sensor.temperature", f"{20 + n % 7 / 10:.1f}", "device")
        for n, (when, *_rest) in enumerate(daily("2024-05-01", 28, "09:00", "x.y", "z"))
    ]
    assert _mine(build_frame(rows), "2024-05-01 00:00", "2024-05-29 00:00") == []


def test_thresholds_from_settings_change_what_is_found() -> None:
    loose = (0, 20, -18, 25, -22, 15, -12, 9)
    rows = daily("2024-05-01", 28, "07:00", "light.kitchen", "on", jitter_minutes=loose)
    frame = build_frame(rows)
    assert len(_mine(frame, "2024-05-01 00:00", "2024-05-29 00:00")) == 1
    assert _mine(frame, "2024-05-01 00:00", "2024-05-29 00:00", max_spread_minutes=8) == []
    steady = daily("2024-05-01", 28, "07:00", "light.kitchen", "on", jitter_minutes=JITTER)
    half = build_frame(steady[::2])  # every other day: adherence 0.5
    lenient = {"min_adherence": 0.45, "min_confidence": 0.4}
    assert _mine(half, "2024-05-01 00:00", "2024-05-29 00:00", **lenient) != []
    assert _mine(half, "2024-05-01 00:00", "2024-05-29 00:00") == []


def test_per_domain_thresholds_apply_to_that_domain_only() -> None:
    loose = (0, 20, -18, 25, -22, 15, -12, 9)
    rows = daily("2024-05-01", 28, "07:00", "light.kitchen", "on", jitter_minutes=loose)
    rows += daily("2024-05-01", 28, "08:00", "cover.kitchen", "open", jitter_minutes=loose)
    frame = build_frame(rows)
    habits = find_time_habits(
        frame,
        BERLIN_HOME,
        at("2024-05-01 00:00"),
        at("2024-05-29 00:00"),
        MiningSettings(max_spread_minutes=8, per_domain={"cover": {"max_spread_minutes": 45}}),
    )
    assert [h.target_entity for h in habits] == ["cover.kitchen"]


@settings(max_examples=15, deadline=None)
@given(
    days=st.integers(min_value=0, max_value=500),
    clock=st.integers(min_value=0, max_value=1439),
)
def test_shifting_every_event_by_whole_days_keeps_the_time_of_day(days: int, clock: int) -> None:
    tokyo = "Asia/Tokyo"  # no daylight saving, so whole days keep the wall clock
    first = datetime(2024, 1, 1, tzinfo=ZoneInfo(tokyo)) + timedelta(days=days, minutes=clock)
    rows = [
        (first + timedelta(days=n, minutes=JITTER[n % len(JITTER)]), "light.desk", "on", "user")
        for n in range(21)
    ]
    start = first - timedelta(hours=12)
    [habit] = find_time_habits(
        build_frame(rows),
        HomeContext(time_zone=tokyo),
        start,
        start + timedelta(days=21),
        MiningSettings(),
    )
    assert abs((_minutes(habit.time_of_day) - clock + 720) % 1440 - 720) <= 2


def test_a_misspelt_per_domain_threshold_is_refused_by_name() -> None:
    frame = build_frame(daily("2024-05-01", 28, "08:00", "cover.kitchen", "open"))
    settings = MiningSettings(per_domain={"cover": {"max_spred_minutes": 45}})
    with pytest.raises(ConfigError, match="max_spred_minutes"):
        find_time_habits(
            frame, BERLIN_HOME, at("2024-05-01 00:00"), at("2024-05-29 00:00"), settings
        )


def test_days_when_the_light_was_already_off_do_not_count_against_an_off_habit() -> None:
    # on at 19:00 every evening; off by hand at about 23:00, except on 4 evenings when
    # someone had already switched it off at 20:30: those days nobody could switch it off
    rows = daily("2024-05-01", 14, "19:00", "light.lounge", "on", jitter_minutes=JITTER)
    early = {2, 6, 9, 12}
    for n in range(14):
        clock = "20:30" if n in early else f"23:{(n * 7) % 10:02d}"
        rows.append((f"2024-05-{n + 1:02d} {clock}", "light.lounge", "off", "user"))

    habits = _mine(build_frame(rows), "2024-05-01 00:00", "2024-05-15 00:00", min_adherence=0.8)

    [late_off] = [h for h in habits if h.target_state == "off"]
    assert abs(_minutes(late_off.time_of_day) - 23 * 60) <= 10
    assert late_off.days_observed == 10
    assert late_off.days_possible == 10
    assert late_off.adherence == 1.0
    assert late_off.notes == ("not counted: 4 days when it was already off",)


def test_a_bunch_hours_away_from_sunset_follows_the_clock_even_in_a_moving_month() -> None:
    home = HomeContext(time_zone=BERLIN, location=Location(52.52, 13.405))
    rows = daily("2024-10-01", 28, "09:30", "light.study", "on", jitter_minutes=JITTER)

    [habit] = _mine(build_frame(rows), "2024-10-01 00:00", "2024-10-29 00:00", home)

    assert habit.kind is HabitKind.TIME_OF_DAY
    assert habit.sun_event is None
