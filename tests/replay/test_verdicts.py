"""Useful, idle and wrong fires and the manual actions saved, on frames whose answer is known."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from homehabits.automations import convert_dialect
from homehabits.config import Dialect
from homehabits.events import check_events
from homehabits.replay import Replay, replay_automations

from .conftest import BERLIN_HOME, at, build_frame, call, frame_with_attributes, replay, utc_times

KITCHEN_AT_SEVEN = {
    "id": "kitchen_at_seven",
    "alias": "Kitchen light on at 07:00",
    "triggers": [{"trigger": "time", "at": "07:00:00"}],
    "actions": [call("light.turn_on", "light.kitchen")],
    "mode": "single",
}

KITCHEN_WEEK = [
    ("2024-03-03 23:00", "light.kitchen", "off", "user"),
    ("2024-03-04 07:05", "light.kitchen", "on", "user"),  # Mon: by hand just after: useful
    ("2024-03-04 23:00", "light.kitchen", "off", "user"),
    ("2024-03-05 06:50", "light.kitchen", "on", "user"),  # Tue: by hand just before: useful
    ("2024-03-05 23:00", "light.kitchen", "off", "user"),
    ("2024-03-06 06:00", "light.kitchen", "on", "user"),  # Wed: on long before: idle
    ("2024-03-06 23:00", "light.kitchen", "off", "user"),
    # Thu: never on: wrong
    ("2024-03-08 07:30", "light.kitchen", "on", "user"),  # Fri: too late to count: wrong
    ("2024-03-08 23:00", "light.kitchen", "off", "user"),
]


def test_each_fire_is_useful_idle_or_wrong_and_saves_the_actions_it_matches() -> None:
    result = replay(KITCHEN_AT_SEVEN, KITCHEN_WEEK, "2024-03-04", "2024-03-09")
    assert result.as_dict() == {
        "fires": 5,
        "useful": 2,
        "idle": 1,
        "wrong": 2,
        "saved": 2,
        "wrong_rate": 0.4,
    }
    assert result.wrong_times == utc_times("2024-03-07 07:00", "2024-03-08 07:00")


def test_the_tolerance_decides_what_counts_as_the_same() -> None:
    wide = replay(
        KITCHEN_AT_SEVEN,
        KITCHEN_WEEK,
        "2024-03-04",
        "2024-03-09",
        tolerance=timedelta(hours=1),
    )
    # an hour either side: Wednesday's 06:00 and Friday's 07:30 now count as the same
    assert (wide.useful, wide.idle, wide.wrong, wide.saved) == (4, 0, 1, 4)


def test_an_automation_that_never_fires_has_no_wrong_rate() -> None:
    never = {**KITCHEN_AT_SEVEN, "conditions": [{"condition": "time", "weekday": "sun"}]}
    result = replay(never, KITCHEN_WEEK, "2024-03-04", "2024-03-09")
    assert result == Replay(fires=0, useful=0, idle=0, wrong=0, saved=0, wrong_rate=0.0)


def test_a_manual_action_is_saved_once_however_many_fires_match_it() -> None:
    automation = {
        "triggers": [{"trigger": "state", "entity_id": "binary_sensor.front_door", "to": "on"}],
        "actions": [call("light.turn_on", "light.hall")],
    }
    rows = [
        ("2024-03-04 18:00", "light.hall", "off", "user"),
        ("2024-03-04 19:00", "binary_sensor.front_door", "on", "device"),
        ("2024-03-04 19:00:20", "binary_sensor.front_door", "off", "device"),
        ("2024-03-04 19:01", "binary_sensor.front_door", "on", "device"),
        ("2024-03-04 19:01:20", "binary_sensor.front_door", "off", "device"),
        ("2024-03-04 19:02", "light.hall", "on", "user"),
    ]
    result = replay(automation, rows, "2024-03-04", "2024-03-05")
    assert (result.fires, result.useful, result.saved) == (2, 2, 1)


def test_what_an_automation_already_does_is_idle_not_wrong() -> None:
    rows = [
        ("2024-03-04 05:00", "climate.living_room", "off", "user"),
        ("2024-03-04 06:00:01", "climate.living_room", "heat", "automation"),
    ]
    automation = {
        "triggers": [{"trigger": "time", "at": "06:00:00"}],
        "actions": [{**call("climate.set_hvac_mode", "climate.living_room", hvac_mode="heat")}],
    }
    result = replay(automation, rows, "2024-03-04", "2024-03-05")
    assert (result.fires, result.idle, result.wrong) == (1, 1, 0)


LAMP_EVENINGS = [
    ("2024-03-04 20:00", "light.lamp", "on", "user"),
    ("2024-03-04 20:31", "light.lamp", "off", "user"),  # off by hand a minute after: useful
    ("2024-03-05 20:00", "light.lamp", "on", "user"),
    ("2024-03-05 23:00", "light.lamp", "off", "user"),  # still in use: wrong
    ("2024-03-06 20:00", "light.lamp", "on", "user"),
    ("2024-03-06 20:10", "light.lamp", "off", "user"),  # off before 30 minutes: no fire
]


def test_an_auto_off_after_a_steady_time_on_is_judged_when_it_would_switch_off() -> None:
    automation = {
        "triggers": [
            {"trigger": "state", "entity_id": "light.lamp", "to": "on", "for": {"minutes": 30}}
        ],
        "actions": [call("light.turn_off", "light.lamp")],
        "mode": "restart",
    }
    result = replay(automation, LAMP_EVENINGS, "2024-03-04", "2024-03-07")
    assert result.fire_times == utc_times("2024-03-04 20:30", "2024-03-05 20:30")
    assert (result.useful, result.wrong, result.saved) == (1, 1, 1)
    assert result.wrong_times == utc_times("2024-03-05 20:30")


MOTIONS = [
    ("2024-03-04 09:00", "light.hall", "on", "user"),
    ("2024-03-04 10:00", "binary_sensor.motion", "on", "device"),
    ("2024-03-04 10:00:30", "binary_sensor.motion", "off", "device"),
    ("2024-03-04 10:04", "binary_sensor.motion", "on", "device"),
    ("2024-03-04 10:04:30", "binary_sensor.motion", "off", "device"),
    ("2024-03-04 10:16", "light.hall", "off", "user"),
    ("2024-03-04 11:00", "binary_sensor.motion", "on", "device"),
    ("2024-03-04 11:00:30", "binary_sensor.motion", "off", "device"),
]


@pytest.mark.parametrize(
    ("mode", "fired", "useful"),
    [
        ("restart", ("2024-03-04 10:04", "2024-03-04 11:00"), 1),  # 10:00 cut short at 10:04
        ("single", ("2024-03-04 10:00", "2024-03-04 11:00"), 1),  # 10:04 ignored while it waits
        ("parallel", ("2024-03-04 10:00", "2024-03-04 10:04", "2024-03-04 11:00"), 2),
    ],
)
def test_a_delay_moves_the_action_later_and_the_mode_decides_which_runs_count(
    mode: str, fired: tuple[str, ...], useful: int
) -> None:
    automation = {
        "triggers": [{"trigger": "state", "entity_id": "binary_sensor.motion", "to": "on"}],
        "actions": [{"delay": "00:10:00"}, call("light.turn_off", "light.hall")],
        "mode": mode,
    }
    result = replay(automation, MOTIONS, "2024-03-04", "2024-03-05")
    assert result.fire_times == utc_times(*fired)
    # the person switched off at 10:16: within the tolerance of 10:10 and 10:14;
    # at 11:10 the light is already off
    assert (result.useful, result.idle, result.wrong) == (useful, 1, 0)


def test_several_targets_make_one_fire_wrong_when_any_of_them_is() -> None:
    automation = {
        "triggers": [{"trigger": "time", "at": "19:00"}],
        "actions": [{"action": "light.turn_on", "target": {"entity_id": ["light.a", "light.b"]}}],
    }
    rows = [
        ("2024-03-04 12:00", "light.a", "off", "user"),
        ("2024-03-04 12:00", "light.b", "off", "user"),
        ("2024-03-04 19:02", "light.a", "on", "user"),
        ("2024-03-04 19:03", "light.b", "on", "user"),  # Monday: both by hand
        ("2024-03-04 23:00", "light.a", "off", "user"),
        ("2024-03-04 23:00", "light.b", "off", "user"),
        ("2024-03-05 19:02", "light.a", "on", "user"),  # Tuesday: b stays off
    ]
    result = replay(automation, rows, "2024-03-04", "2024-03-06")
    assert (result.fires, result.useful, result.wrong, result.saved) == (2, 1, 1, 2)


def test_both_dialects_give_the_same_replay() -> None:
    legacy = convert_dialect(
        {
            **KITCHEN_AT_SEVEN,
            "conditions": [{"condition": "time", "weekday": ["mon", "tue", "fri"]}],
        },
        Dialect.LEGACY,
    )
    assert "trigger" in legacy
    assert legacy["action"][0]["service"] == "light.turn_on"
    written_by_hand = {
        "trigger": {"platform": "time", "at": "07:00:00"},
        "condition": {"condition": "time", "weekday": ["mon", "tue", "fri"]},
        "action": [{"service": "light.turn_on", "entity_id": "light.kitchen"}],
    }
    modern = {
        **KITCHEN_AT_SEVEN,
        "conditions": [{"condition": "time", "weekday": ["mon", "tue", "fri"]}],
    }
    results = [
        replay(automation, KITCHEN_WEEK, "2024-03-04", "2024-03-09")
        for automation in (modern, legacy, written_by_hand)
    ]
    assert results[0] == results[1] == results[2]
    assert results[0].fires == 3


def test_replaying_many_at_once_gives_what_each_alone_gives() -> None:
    frame = build_frame(KITCHEN_WEEK + LAMP_EVENINGS)
    automations = [
        KITCHEN_AT_SEVEN,
        {
            "triggers": [
                {"trigger": "state", "entity_id": "light.lamp", "to": "on", "for": "00:30:00"}
            ],
            "actions": [call("light.turn_off", "light.lamp")],
        },
    ]
    together = replay_automations(
        automations, frame, BERLIN_HOME, window_start=at("2024-03-04"), window_end=at("2024-03-09")
    )
    alone = [replay(automation, frame, "2024-03-04", "2024-03-09") for automation in automations]
    assert together == alone


READING_LAMP = [
    ("2024-03-04 12:00", "light.reading", "off", "user", None),
    ("2024-03-04 22:17", "light.reading", "on", "user", {"brightness": 77}),  # 30 %: useful
    ("2024-03-04 23:30", "light.reading", "off", "user", None),
    ("2024-03-05 21:00", "light.reading", "on", "user", {"brightness": 255}),
    ("2024-03-05 22:20", "light.reading", "on", "user", {"brightness": 79}),  # dimmed by hand
    ("2024-03-05 23:30", "light.reading", "off", "user", None),
    ("2024-03-06 21:00", "light.reading", "on", "user", {"brightness": 78}),  # already: idle
    ("2024-03-06 23:30", "light.reading", "off", "user", None),
    ("2024-03-07 21:00", "light.reading", "on", "user", {"brightness": 255}),  # stays bright
    ("2024-03-07 23:30", "light.reading", "off", "user", None),
]


@pytest.mark.parametrize("data", [{"brightness_pct": 30}, {"brightness": 77}])
def test_a_brightness_the_call_sets_is_part_of_the_state_it_is_judged_by(
    data: dict[str, int],
) -> None:
    automation = {
        "triggers": [{"trigger": "time", "at": "22:15:00"}],
        "actions": [call("light.turn_on", "light.reading", **data)],
    }
    result = replay(automation, frame_with_attributes(READING_LAMP), "2024-03-04", "2024-03-08")
    assert (result.fires, result.useful, result.idle, result.wrong) == (4, 2, 1, 1)
    assert result.wrong_times == utc_times("2024-03-07 22:15")


def test_a_thermostat_set_point_is_judged_by_the_temperature_it_sets() -> None:
    rows = [
        ("2024-03-04 18:00", "climate.bedroom", "heat", "user", {"temperature": 21}),
        ("2024-03-04 22:05", "climate.bedroom", "heat", "user", {"temperature": 19.5}),  # useful
        ("2024-03-05 07:00", "climate.bedroom", "heat", "user", {"temperature": 21}),
        ("2024-03-05 21:00", "climate.bedroom", "heat", "user", {"temperature": 19.5}),  # idle
        ("2024-03-06 07:00", "climate.bedroom", "heat", "user", {"temperature": 21}),  # wrong
    ]
    automation = {
        "triggers": [{"trigger": "time", "at": "22:00:00"}],
        "actions": [call("climate.set_temperature", "climate.bedroom", temperature=19.5)],
    }
    result = replay(automation, frame_with_attributes(rows), "2024-03-04", "2024-03-07")
    assert result.as_dict() == {
        "fires": 3,
        "useful": 1,
        "idle": 1,
        "wrong": 1,
        "saved": 1,
        "wrong_rate": 1 / 3,
    }


def test_a_toggle_is_useful_when_a_person_switched_it_by_hand_near_then() -> None:
    automation = {
        "triggers": [{"trigger": "time", "at": "07:00:00"}],
        "actions": [call("light.toggle", "light.kitchen"), call("scene.turn_on", "scene.morning")],
    }
    result = replay(automation, KITCHEN_WEEK, "2024-03-04", "2024-03-09")
    # Monday and Tuesday by hand within 15 minutes; the rest would have switched it for nothing
    assert (result.useful, result.idle, result.wrong) == (2, 0, 3)
    assert result.skipped == ("target scene.morning (what it would do is not known)",)


def test_a_restart_row_without_an_old_state_is_no_persons_action() -> None:
    raw = pl.DataFrame(
        {
            "time": [at("2024-03-04 20:00"), at("2024-03-05 03:30:05")],
            "entity_id": ["switch.heater", "switch.heater"],
            "state": ["on", "off"],
            "old_state": ["off", None],  # Home Assistant starting up
            "origin": ["user", "device"],
        }
    )
    automation = {
        "triggers": [{"trigger": "time", "at": "03:30:00"}],
        "actions": [call("switch.turn_off", "switch.heater")],
    }
    result = replay(automation, check_events(raw).frame, "2024-03-05", "2024-03-06")
    assert (result.fires, result.useful, result.saved) == (1, 0, 0)
