"""When automations fire: time (DST), sun with offsets, state with to/from/for, numbers, zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from homehabits.patterns._sun import sun_table

from .conftest import BERLIN, BERLIN_HOME, at, call, replay, utc_times

LIGHT_ON = [call("light.turn_on", "light.hall")]


def _auto(
    *triggers: dict[str, object], conditions: list[object] | None = None
) -> dict[str, object]:
    automation: dict[str, object] = {"triggers": list(triggers), "actions": LIGHT_ON}
    if conditions:
        automation["conditions"] = conditions
    return automation


def test_a_time_trigger_fires_every_local_day_inside_the_window() -> None:
    result = replay(_auto({"trigger": "time", "at": "07:00:00"}), [], "2024-03-04", "2024-03-07")
    assert result.fire_times == utc_times(
        "2024-03-04 07:00", "2024-03-05 07:00", "2024-03-06 07:00"
    )


def test_a_time_trigger_with_weekdays_fires_on_those_local_days_only() -> None:
    trigger = {"trigger": "time", "at": ["07:00", "19:30:00"], "weekday": ["mon", "wed"]}
    result = replay(_auto(trigger), [], "2024-03-04", "2024-03-11")
    assert result.fire_times == utc_times(
        "2024-03-04 07:00", "2024-03-04 19:30", "2024-03-06 07:00", "2024-03-06 19:30"
    )


def test_a_time_trigger_in_the_spring_forward_gap_is_skipped_that_day() -> None:
    # Berlin skips 02:00-03:00 on 31 March 2024
    result = replay(_auto({"trigger": "time", "at": "02:30"}), [], "2024-03-30", "2024-04-02")
    assert result.fire_times == (
        datetime(2024, 3, 30, 1, 30, tzinfo=UTC),
        datetime(2024, 4, 1, 0, 30, tzinfo=UTC),
    )


def test_a_time_trigger_in_the_fall_back_hour_fires_once() -> None:
    # 02:30 happens twice on 27 October 2024; Home Assistant fires once, the first time
    result = replay(_auto({"trigger": "time", "at": "02:30:00"}), [], "2024-10-26", "2024-10-29")
    assert result.fire_times == (
        datetime(2024, 10, 26, 0, 30, tzinfo=UTC),
        datetime(2024, 10, 27, 0, 30, tzinfo=UTC),
        datetime(2024, 10, 28, 1, 30, tzinfo=UTC),
    )


def test_a_clock_time_keeps_its_local_hour_across_the_dst_change() -> None:
    result = replay(_auto({"trigger": "time", "at": "07:00"}), [], "2024-03-30", "2024-04-01")
    assert result.fire_times == (
        datetime(2024, 3, 30, 6, 0, tzinfo=UTC),
        datetime(2024, 3, 31, 5, 0, tzinfo=UTC),
    )


def test_a_time_trigger_on_an_input_datetime_follows_its_value() -> None:
    rows = [
        ("2024-03-01 12:00", "input_datetime.wake", "06:30:00", "user"),
        ("2024-03-06 12:00", "input_datetime.wake", "07:15:00", "user"),
    ]
    automation = _auto({"trigger": "time", "at": "input_datetime.wake"})
    result = replay(automation, rows, "2024-03-05", "2024-03-08")
    assert result.fire_times == utc_times(
        "2024-03-05 06:30", "2024-03-06 06:30", "2024-03-07 07:15"
    )


def test_a_time_trigger_on_an_input_datetime_with_a_date_fires_once_then() -> None:
    rows = [("2024-03-01 12:00", "input_datetime.alarm", "2024-03-05 06:00:00", "user")]
    automation = _auto({"trigger": "time", "at": "input_datetime.alarm"})
    result = replay(automation, rows, "2024-03-04", "2024-03-08")
    assert result.fire_times == utc_times("2024-03-05 06:00")


def _sun_moment(day: str, event: str) -> datetime:
    table = sun_table(BERLIN_HOME.location, BERLIN, at(day), at(day))  # type: ignore[arg-type]
    minutes = table.filter(table["date"] == datetime.fromisoformat(day).date())[event].item()
    local = datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(BERLIN))
    return (local + timedelta(minutes=minutes)).astimezone(UTC)


@pytest.mark.parametrize(
    ("event", "offset", "shift"),
    [("sunset", "-00:30:00", -30), ("sunrise", "+01:00:00", 60), ("sunset", None, 0)],
)
def test_a_sun_trigger_fires_at_the_sun_time_plus_its_offset(
    event: str, offset: str | None, shift: int
) -> None:
    trigger: dict[str, object] = {"trigger": "sun", "event": event}
    if offset:
        trigger["offset"] = offset
    result = replay(_auto(trigger), [], "2024-06-10", "2024-06-13")
    expected = [
        _sun_moment(day, event) + timedelta(minutes=shift)
        for day in ("2024-06-10", "2024-06-11", "2024-06-12")
    ]
    assert len(result.fire_times) == 3
    for fired, wanted in zip(result.fire_times, expected, strict=True):
        assert abs((fired - wanted).total_seconds()) < 1


def test_a_sun_trigger_without_a_home_location_never_fires_and_says_so() -> None:
    from homehabits.context import HomeContext

    trigger = {"trigger": "sun", "event": "sunset"}
    result = replay(_auto(trigger), [], "2024-06-10", "2024-06-12", context=HomeContext(BERLIN))
    assert result.fires == 0
    assert any(part.startswith("trigger sun") for part in result.skipped)


HALL_LIGHT_DAY = [
    ("2024-03-04 09:00", "light.desk", "off", "user"),
    ("2024-03-04 10:00", "light.desk", "on", "user"),
    ("2024-03-04 11:00", "light.desk", "off", "user"),
    ("2024-03-04 12:00", "light.desk", "on", "user"),
    ("2024-03-04 12:30", "light.desk", "on", "user"),  # only its brightness changed
    ("2024-03-04 13:00", "light.desk", "off", "user"),
]


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        ({"to": "on"}, ("2024-03-04 10:00", "2024-03-04 12:00")),
        ({"to": "on", "from": "off"}, ("2024-03-04 10:00", "2024-03-04 12:00")),
        ({"from": "on"}, ("2024-03-04 11:00", "2024-03-04 13:00")),
        ({"to": ["off", "unavailable"]}, ("2024-03-04 11:00", "2024-03-04 13:00")),
        ({"not_to": "on"}, ("2024-03-04 11:00", "2024-03-04 13:00")),
        # to: null means any change of state, attribute updates not
        (
            {"to": None},
            ("2024-03-04 10:00", "2024-03-04 11:00", "2024-03-04 12:00", "2024-03-04 13:00"),
        ),
        (
            {},  # neither: attribute updates fire too
            (
                "2024-03-04 10:00",
                "2024-03-04 11:00",
                "2024-03-04 12:00",
                "2024-03-04 12:30",
                "2024-03-04 13:00",
            ),
        ),
    ],
)
def test_a_state_trigger_fires_on_the_changes_that_match_to_and_from(
    trigger: dict[str, object], expected: tuple[str, ...]
) -> None:
    automation = _auto({"trigger": "state", "entity_id": "light.desk", **trigger})
    result = replay(automation, HALL_LIGHT_DAY, "2024-03-04 09:30", "2024-03-05")
    assert result.fire_times == utc_times(*expected)


def test_a_state_trigger_with_for_fires_only_once_the_state_held_that_long() -> None:
    rows = [
        ("2024-03-04 09:00", "binary_sensor.door", "off", "device"),
        ("2024-03-04 10:00", "binary_sensor.door", "on", "device"),
        ("2024-03-04 10:03", "binary_sensor.door", "off", "device"),  # shorter than 5 minutes
        ("2024-03-04 11:00", "binary_sensor.door", "on", "device"),
        ("2024-03-04 11:10", "binary_sensor.door", "off", "device"),
        ("2024-03-04 23:58", "binary_sensor.door", "on", "device"),  # would end after the window
    ]
    automation = _auto(
        {"trigger": "state", "entity_id": "binary_sensor.door", "to": "on", "for": {"minutes": 5}}
    )
    result = replay(automation, rows, "2024-03-04", "2024-03-05")
    assert result.fire_times == utc_times("2024-03-04 11:05")


TV_EVENING = [
    ("2024-03-04 19:00", "media_player.tv", "off", "user"),
    ("2024-03-04 20:00", "media_player.tv", "on", "user"),
    ("2024-03-04 20:02", "media_player.tv", "playing", "user"),
    ("2024-03-04 21:00", "media_player.tv", "off", "user"),
    ("2024-03-04 21:02", "media_player.tv", "unavailable", "device"),
    ("2024-03-04 22:00", "media_player.tv", "on", "user"),
]


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        # the wait is for the very state it changed to: on → playing ends the first one
        ({"to": ["on", "playing"]}, ("2024-03-04 20:07", "2024-03-04 22:05")),
        # from without to: anything but the state it left, so off → unavailable holds
        ({"from": ["on", "playing"]}, ("2024-03-04 20:07", "2024-03-04 21:05")),
    ],
)
def test_for_waits_as_home_assistant_does_with_to_lists_and_from_alone(
    trigger: dict[str, object], expected: tuple[str, ...]
) -> None:
    automation = _auto(
        {"trigger": "state", "entity_id": "media_player.tv", "for": "00:05:00", **trigger}
    )
    result = replay(automation, TV_EVENING, "2024-03-04", "2024-03-05")
    assert result.fire_times == utc_times(*expected)


def test_a_state_trigger_on_several_entities_fires_for_each() -> None:
    rows = [
        ("2024-03-04 08:00", "person.anna", "not_home", "device"),
        ("2024-03-04 09:00", "person.ben", "not_home", "device"),
    ]
    automation = _auto(
        {"trigger": "state", "entity_id": ["person.anna", "person.ben"], "to": "not_home"}
    )
    result = replay(automation, rows, "2024-03-04", "2024-03-05")
    assert result.fire_times == utc_times("2024-03-04 08:00", "2024-03-04 09:00")


TEMPERATURES = [
    ("2024-03-04 08:00", "sensor.temp", "18.0", "device"),
    ("2024-03-04 09:00", "sensor.temp", "22.0", "device"),
    ("2024-03-04 10:00", "sensor.temp", "23.0", "device"),
    ("2024-03-04 11:00", "sensor.temp", "19.0", "device"),
    ("2024-03-04 12:00", "sensor.temp", "25.0", "device"),
]


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"above": 21}, ("2024-03-04 09:00", "2024-03-04 12:00")),
        ({"above": 21, "below": 24}, ("2024-03-04 09:00",)),
        ({"below": 20}, ("2024-03-04 11:00",)),  # 08:00 is the first value: not an entry
    ],
)
def test_a_numeric_state_trigger_fires_when_the_value_enters_the_range(
    limits: dict[str, float], expected: tuple[str, ...]
) -> None:
    automation = _auto({"trigger": "numeric_state", "entity_id": "sensor.temp", **limits})
    result = replay(automation, TEMPERATURES, "2024-03-04", "2024-03-05")
    assert result.fire_times == utc_times(*expected)


PEOPLE = [
    ("2024-03-03 20:00", "person.anna", "home", "device"),
    ("2024-03-03 20:00", "person.ben", "home", "device"),
    ("2024-03-04 08:00", "person.anna", "not_home", "device"),
    ("2024-03-04 09:00", "person.ben", "not_home", "device"),
    ("2024-03-04 18:00", "person.anna", "home", "device"),
    ("2024-03-04 19:00", "person.ben", "home", "device"),
]


def test_numeric_state_on_zone_home_counts_the_people_home() -> None:
    nobody = _auto({"trigger": "numeric_state", "entity_id": "zone.home", "below": 1})
    assert replay(nobody, PEOPLE, "2024-03-04", "2024-03-05").fire_times == utc_times(
        "2024-03-04 09:00"
    )
    everyone = _auto({"trigger": "numeric_state", "entity_id": "zone.home", "above": 1})
    assert replay(everyone, PEOPLE, "2024-03-04", "2024-03-05").fire_times == utc_times(
        "2024-03-04 19:00"
    )


@pytest.mark.parametrize(
    ("event", "expected"), [("enter", "2024-03-04 18:00"), ("leave", "2024-03-04 08:00")]
)
def test_a_zone_trigger_fires_when_a_person_enters_or_leaves_home(
    event: str, expected: str
) -> None:
    automation = _auto(
        {"trigger": "zone", "entity_id": "person.anna", "zone": "zone.home", "event": event}
    )
    assert replay(automation, PEOPLE, "2024-03-04", "2024-03-05").fire_times == utc_times(expected)


def test_a_trigger_the_replay_cannot_follow_never_fires_and_is_named() -> None:
    automation = _auto({"trigger": "event", "event_type": "button_pressed"})
    result = replay(automation, PEOPLE, "2024-03-04", "2024-03-05")
    assert result.fires == 0
    assert result.skipped == ("trigger event",)


def test_a_disabled_trigger_is_left_out() -> None:
    automation = _auto(
        {"trigger": "time", "at": "07:00"}, {"trigger": "time", "at": "08:00", "enabled": False}
    )
    assert replay(automation, [], "2024-03-04", "2024-03-05").fire_times == utc_times(
        "2024-03-04 07:00"
    )
