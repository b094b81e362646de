"""Matching a run's habits to the habits the store knows: drift kept, different habits apart."""

from __future__ import annotations

from datetime import time
from typing import Any

from homehabits.patterns.habit import (
    WEEKDAYS,
    WEEKENDS,
    HabitKind,
    Pattern,
    pattern_from_dict,
    pattern_to_dict,
)
from homehabits.patterns.same_habit import (
    KnownHabit,
    keep_known_fingerprints,
    known_habit_from_data,
)


def _clock(clock: str, entity: str = "light.porch", **changes: Any) -> Pattern:
    values: dict[str, Any] = {
        "kind": HabitKind.TIME_OF_DAY,
        "target_entity": entity,
        "target_state": "on",
        "time_of_day": time.fromisoformat(clock),
    }
    values.update(changes)
    return Pattern(**values)


def _known(pattern: Pattern, fingerprint: str) -> KnownHabit:
    habit = known_habit_from_data(fingerprint, pattern_to_dict(pattern))
    assert habit is not None
    return habit


def _names(patterns: list[Pattern]) -> list[str]:
    return [p.fingerprint for p in patterns]


def test_a_habit_drifting_across_half_past_keeps_the_fingerprint_it_was_known_by() -> None:
    before = _clock("21:29")
    known = [_known(before, before.fingerprint)]

    [again] = keep_known_fingerprints([_clock("21:31")], known)

    assert again.fingerprint == before.fingerprint
    assert again.time_of_day == time(21, 31)


def test_a_habit_drifting_across_midnight_is_the_same_habit() -> None:
    known = [_known(_clock("23:50"), "late-evening")]

    [again] = keep_known_fingerprints([_clock("00:05")], known)

    assert again.fingerprint == "late-evening"


def test_a_morning_and_a_night_habit_of_one_light_keep_their_own_names() -> None:
    morning, night = _clock("07:00"), _clock("22:00")
    known = [_known(morning, "morning")]

    found = keep_known_fingerprints([night, _clock("07:20")], known)

    assert _names(found) == [night.fingerprint, "morning"]
    assert night.fingerprint != "morning"


def test_nearest_known_habit_wins_and_names_one_habit_only() -> None:
    known = [_known(_clock("21:00"), "nine"), _known(_clock("21:40"), "twenty-to-ten")]

    found = keep_known_fingerprints([_clock("21:05"), _clock("21:35"), _clock("21:20")], known)

    assert _names(found)[:2] == ["nine", "twenty-to-ten"]
    assert found[2].fingerprint not in {"nine", "twenty-to-ten"}


def test_a_habit_keeps_its_own_fingerprint_when_that_is_known() -> None:
    exact = _clock("21:30")
    known = [_known(_clock("21:31"), "nearer but another"), _known(exact, exact.fingerprint)]

    [again] = keep_known_fingerprints([exact], known)

    assert again.fingerprint == exact.fingerprint


def test_further_than_the_tolerance_or_another_action_is_a_new_habit() -> None:
    known = [
        _known(_clock("21:00"), "nine"),
        _known(_clock("22:00", target_state="off"), "off at ten"),
        _known(_clock("22:00", entity="light.hall"), "hall"),
    ]

    found = keep_known_fingerprints([_clock("21:50")], known)

    assert _names(found) == [_clock("21:50").fingerprint]


def test_weekday_and_weekend_habits_at_one_time_are_two_habits() -> None:
    known = [_known(_clock("08:00", weekdays=WEEKDAYS), "weekdays")]

    weekend, most_weekdays = keep_known_fingerprints(
        [_clock("08:05", weekdays=WEEKENDS), _clock("08:10", weekdays=(0, 1, 2, 3))], known
    )

    assert weekend.fingerprint != "weekdays"
    assert most_weekdays.fingerprint == "weekdays"


def test_sun_habits_match_on_their_offset_and_event() -> None:
    def sun(offset: int, event: str = "sunset", days: tuple[int, ...] = WEEKDAYS) -> Pattern:
        return Pattern(
            kind=HabitKind.SUN,
            target_entity="light.porch",
            target_state="on",
            sun_event=event,
            sun_offset_minutes=offset,
            weekdays=days,
        )

    known = [_known(sun(-20, days=(0, 1, 2, 3)), "porch at dusk")]

    near, far, sunrise = keep_known_fingerprints([sun(5), sun(30), sun(-20, "sunrise")], known)

    assert near.fingerprint == "porch at dusk"
    assert far.fingerprint != "porch at dusk"
    assert sunrise.fingerprint != "porch at dusk"


def test_lags_and_durations_match_within_a_factor_or_a_minute() -> None:
    def auto_off(seconds: float) -> Pattern:
        return Pattern(
            kind=HabitKind.AUTO_OFF,
            target_entity="light.bathroom",
            target_state="off",
            duration_seconds=seconds,
        )

    def sequence(seconds: float, trigger: str = "binary_sensor.door") -> Pattern:
        return Pattern(
            kind=HabitKind.SEQUENCE,
            target_entity="light.hall",
            target_state="on",
            trigger_entity=trigger,
            trigger_state="on",
            lag_seconds=seconds,
        )

    known = [
        _known(auto_off(600), "ten minutes on"),
        _known(sequence(5), "door then hall"),
    ]

    assert _names(keep_known_fingerprints([auto_off(1000), sequence(50)], known)) == [
        "ten minutes on",
        "door then hall",
    ]
    far = keep_known_fingerprints([auto_off(1500), sequence(90)], known)
    assert set(_names(far)) & {"ten minutes on", "door then hall"} == set()
    other = keep_known_fingerprints([sequence(5, trigger="binary_sensor.motion")], known)
    assert _names(other) != ["door then hall"]


def test_a_pattern_read_back_from_the_store_keeps_the_fingerprint_it_was_given() -> None:
    [again] = keep_known_fingerprints([_clock("21:31")], [_known(_clock("21:29"), "porch")])

    assert pattern_from_dict(pattern_to_dict(again)).fingerprint == "porch"
    assert pattern_from_dict(pattern_to_dict(_clock("21:31"))) == _clock("21:31")


def test_a_stored_row_that_cannot_be_matched_is_left_out() -> None:
    porch = {"target_entity": "light.porch", "target_state": "on"}

    assert known_habit_from_data("f", {"kind": "weather", **porch}) is None
    assert known_habit_from_data("f", {"kind": "sequence", "target_entity": "light.x"}) is None
    # a clock habit is its time: a row without one could swallow any habit of the light
    assert known_habit_from_data("f", {"kind": "time_of_day", **porch}) is None
    assert (
        known_habit_from_data("f", {"kind": "time_of_day", "time_of_day": "7am", **porch}) is None
    )
    sparse = known_habit_from_data(
        "f", {"kind": "sequence", "trigger_entity": "binary_sensor.door", **porch}
    )
    assert sparse is not None
    found = Pattern(
        kind=HabitKind.SEQUENCE,
        target_entity="light.porch",
        target_state="on",
        trigger_entity="binary_sensor.door",
        lag_seconds=12.0,
    )
    assert _names(keep_known_fingerprints([found], [sparse])) == ["f"]
