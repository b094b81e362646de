"""Which fires the conditions let through: time windows, weekdays, sun, states, numbers, logic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from homehabits.events import check_events
from homehabits.patterns._sun import sun_table

from .conftest import BERLIN, BERLIN_HOME, at, call, replay, utc_times

MOTION = "binary_sensor.hall_motion"


def _on_motion(conditions: object) -> dict[str, object]:
    return {
        "triggers": [{"trigger": "state", "entity_id": MOTION, "to": "on"}],
        "conditions": conditions,
        "actions": [call("light.turn_on", "light.hall")],
    }


def _motions(*local: str) -> list[tuple[str, str, str, str]]:
    rows = []
    for moment in local:
        rows.append((moment, MOTION, "on", "device"))
        rows.append(
            (
                (datetime.fromisoformat(moment) + timedelta(seconds=30)).isoformat(sep=" "),
                MOTION,
                "off",
                "device",
            )
        )
    return rows


def test_a_time_window_after_before_across_midnight_holds_at_night_only() -> None:
    rows = _motions(
        "2024-03-04 21:59",
        "2024-03-04 23:30",
        "2024-03-05 02:00",
        "2024-03-05 05:59",
        "2024-03-05 06:00",
    )
    automation = _on_motion([{"condition": "time", "after": "22:00:00", "before": "06:00:00"}])
    result = replay(automation, rows, "2024-03-04", "2024-03-06")
    assert result.fire_times == utc_times(
        "2024-03-04 23:30", "2024-03-05 02:00", "2024-03-05 05:59"
    )


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ({"after": "12:00"}, ("2024-03-04 13:00", "2024-03-04 23:30")),
        ({"before": "12:00"}, ("2024-03-04 08:00",)),
        ({"after": "07:00", "before": "14:00"}, ("2024-03-04 08:00", "2024-03-04 13:00")),
    ],
)
def test_a_time_window_with_one_or_both_ends(
    window: dict[str, str], expected: tuple[str, ...]
) -> None:
    rows = _motions("2024-03-04 08:00", "2024-03-04 13:00", "2024-03-04 23:30")
    result = replay(_on_motion([{"condition": "time", **window}]), rows, "2024-03-04", "2024-03-05")
    assert result.fire_times == utc_times(*expected)


def test_a_weekday_condition_holds_on_the_local_day_named() -> None:
    automation = {
        "triggers": [{"trigger": "time", "at": "00:30:00"}],
        "conditions": [{"condition": "time", "weekday": ["sat", "sun"]}],
        "actions": [call("light.turn_on", "light.hall")],
    }
    # 00:30 local on Saturday is still Friday in UTC: the local day decides
    result = replay(automation, [], "2024-03-04", "2024-03-11")
    assert result.fire_times == utc_times("2024-03-09 00:30", "2024-03-10 00:30")


def _sun(day: str, event: str) -> datetime:
    location = BERLIN_HOME.location
    assert location is not None
    table = sun_table(location, BERLIN, at(day), at(day))
    minutes = table.filter(pl.col("date") == datetime.fromisoformat(day).date())[event].item()
    local = datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(BERLIN))
    return (local + timedelta(minutes=minutes)).astimezone(UTC)


def _local_text(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(BERLIN)).replace(tzinfo=None).isoformat(sep=" ")


@pytest.mark.parametrize(
    ("condition", "picked"),
    [
        ({"after": "sunset"}, [1, 2]),
        ({"after": "sunset", "after_offset": "00:15:00"}, [2]),
        ({"after": "sunset", "after_offset": "-00:15:00"}, [0, 1, 2]),
        ({"before": "sunset"}, [0, 3, 4]),  # the morning is before the next sunset
        ({"before": "sunset", "before_offset": "-00:30:00"}, [3, 4]),
        ({"before": "sunrise"}, [4]),
        ({"after": "sunrise", "before": "sunset"}, [0, 3]),
        # before sunrise and after sunset: Home Assistant reads it as the night
        ({"after": "sunset", "before": "sunrise"}, [1, 2, 4]),
    ],
)
def test_a_sun_condition_compares_with_that_days_sun_times_and_offsets(
    condition: dict[str, str], picked: list[int]
) -> None:
    sunset, sunrise = _sun("2024-03-05", "sunset"), _sun("2024-03-06", "sunrise")
    moments = [
        sunset - timedelta(minutes=10),
        sunset + timedelta(minutes=10),
        sunset + timedelta(minutes=20),
        sunset - timedelta(hours=3),
        sunrise - timedelta(minutes=30),
    ]
    rows = _motions(*(_local_text(moment) for moment in moments))
    result = replay(
        _on_motion([{"condition": "sun", **condition}]), rows, "2024-03-05", "2024-03-07"
    )
    assert result.fire_times == tuple(
        moment.replace(microsecond=0) for moment in sorted(moments[i] for i in picked)
    )


def test_sun_sun_below_horizon_is_known_from_the_sun_times() -> None:
    sunset = _sun("2024-03-05", "sunset")
    moments = [sunset - timedelta(minutes=5), sunset + timedelta(minutes=5)]
    rows = _motions(*(_local_text(moment) for moment in moments))
    condition = {"condition": "state", "entity_id": "sun.sun", "state": "below_horizon"}
    result = replay(_on_motion([condition]), rows, "2024-03-05", "2024-03-06")
    assert result.fire_times == (moments[1].replace(microsecond=0),)


def _at_noon(conditions: object) -> dict[str, object]:
    return {
        "triggers": [{"trigger": "time", "at": "12:00:00"}],
        "conditions": conditions,
        "actions": [call("switch.turn_on", "switch.kettle")],
    }


TV_DAYS = [
    ("2024-03-04 11:30", "media_player.tv", "on", "user"),  # on for 30 minutes at noon
    ("2024-03-04 14:00", "media_player.tv", "off", "user"),
    ("2024-03-05 10:00", "media_player.tv", "on", "user"),  # on for two hours at noon
    ("2024-03-05 14:00", "media_player.tv", "off", "user"),
    ("2024-03-06 10:00", "media_player.tv", "playing", "user"),
]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"state": "on"}, ("2024-03-04 12:00", "2024-03-05 12:00")),
        ({"state": "on", "for": {"hours": 1}}, ("2024-03-05 12:00",)),
        ({"state": ["on", "playing"], "for": "01:00:00"}, ("2024-03-05 12:00", "2024-03-06 12:00")),
        ({"state": "off"}, ()),
    ],
)
def test_a_state_condition_reads_the_state_at_the_fire_with_for(
    condition: dict[str, object], expected: tuple[str, ...]
) -> None:
    automation = _at_noon([{"condition": "state", "entity_id": "media_player.tv", **condition}])
    result = replay(automation, TV_DAYS, "2024-03-04", "2024-03-07")
    assert result.fire_times == utc_times(*expected)


def test_a_state_unknown_before_the_first_row_does_not_hold() -> None:
    # the first row has no old state: at noon on the 3rd nothing is known of the TV
    automation = _at_noon([{"condition": "state", "entity_id": "media_player.tv", "state": "off"}])
    result = replay(automation, TV_DAYS, "2024-03-03", "2024-03-05")
    assert result.fire_times == ()


def test_the_first_rows_old_state_tells_the_state_before_it() -> None:
    raw = pl.DataFrame(
        {
            "time": [at("2024-03-04 13:00")],
            "entity_id": ["media_player.tv"],
            "state": ["on"],
            "old_state": ["off"],
            "origin": ["user"],
        }
    )
    frame = check_events(raw).frame
    automation = _at_noon([{"condition": "state", "entity_id": "media_player.tv", "state": "off"}])
    result = replay(automation, frame, "2024-03-04", "2024-03-05")
    assert result.fire_times == utc_times("2024-03-04 12:00")


PEOPLE = [
    ("2024-03-03 20:00", "person.anna", "home", "device"),
    ("2024-03-03 20:00", "person.ben", "home", "device"),
    ("2024-03-05 08:00", "person.anna", "not_home", "device"),
    ("2024-03-05 09:00", "person.ben", "not_home", "device"),
    ("2024-03-06 08:00", "person.anna", "home", "device"),
]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            {"condition": "numeric_state", "entity_id": "zone.home", "above": 0},
            ("2024-03-04 12:00", "2024-03-06 12:00"),
        ),
        (
            {"condition": "numeric_state", "entity_id": "zone.home", "below": 1},
            ("2024-03-05 12:00",),
        ),
        (
            {"condition": "state", "entity_id": ["person.anna", "person.ben"], "state": "not_home"},
            ("2024-03-05 12:00",),
        ),
        (
            {
                "condition": "state",
                "entity_id": ["person.anna", "person.ben"],
                "state": "home",
                "match": "any",
            },
            ("2024-03-04 12:00", "2024-03-06 12:00"),
        ),
        (
            {"condition": "zone", "entity_id": "person.ben", "zone": "zone.home"},
            ("2024-03-04 12:00",),
        ),
    ],
)
def test_presence_conditions_read_people_and_zone_home(
    condition: dict[str, object], expected: tuple[str, ...]
) -> None:
    result = replay(_at_noon([condition]), PEOPLE, "2024-03-04", "2024-03-07")
    assert result.fire_times == utc_times(*expected)


def test_a_numeric_state_condition_on_a_sensor() -> None:
    rows = [
        ("2024-03-04 11:00", "sensor.lux", "40", "device"),
        ("2024-03-05 11:00", "sensor.lux", "400", "device"),
        ("2024-03-06 11:00", "sensor.lux", "unavailable", "device"),
    ]
    condition = {"condition": "numeric_state", "entity_id": "sensor.lux", "below": 100}
    result = replay(_at_noon([condition]), rows, "2024-03-04", "2024-03-07")
    assert result.fire_times == utc_times("2024-03-04 12:00")


DARK_OR_HOME = [
    {"condition": "state", "entity_id": "media_player.tv", "state": "on"},
    {"condition": "time", "weekday": "mon"},
]


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        (DARK_OR_HOME, ("2024-03-04 12:00",)),  # a bare list: all of them
        ([{"condition": "and", "conditions": DARK_OR_HOME}], ("2024-03-04 12:00",)),
        (
            [{"condition": "or", "conditions": DARK_OR_HOME}],
            ("2024-03-04 12:00", "2024-03-05 12:00"),
        ),
        ([{"or": DARK_OR_HOME}], ("2024-03-04 12:00", "2024-03-05 12:00")),
        ([{"condition": "not", "conditions": DARK_OR_HOME}], ("2024-03-06 12:00",)),
        (
            [{"not": [{"condition": "time", "weekday": "mon"}]}],
            ("2024-03-05 12:00", "2024-03-06 12:00"),
        ),
    ],
)
def test_and_or_not_combine_conditions(conditions: list[object], expected: tuple[str, ...]) -> None:
    assert replay(
        _at_noon(conditions), TV_DAYS, "2024-03-04", "2024-03-07"
    ).fire_times == utc_times(*expected)


def test_a_template_condition_never_holds_and_is_named() -> None:
    result = replay(
        _at_noon(["{{ is_state('sun.sun', 'below_horizon') }}"]),
        TV_DAYS,
        "2024-03-04",
        "2024-03-07",
    )
    assert result.fires == 0
    assert result.skipped == ("condition template",)
