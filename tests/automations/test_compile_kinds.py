"""Every kind of habit compiles to an automation Home Assistant accepts, in both dialects."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from homehabits.automations import (
    automation_from_yaml,
    check_automation,
    compile_pattern,
    convert_dialect,
)
from homehabits.config import Dialect
from homehabits.exceptions import AutomationError
from homehabits.patterns.habit import HabitKind
from tests.automations.homes import existing_automation, habit, home

# an override needs the home's automation; a revision is made by the watch, not compiled
_KINDS_WITHOUT_OVERRIDE = [
    kind for kind in HabitKind if kind not in (HabitKind.OVERRIDE, HabitKind.REVISION)
]


def _modern(automation: dict[str, Any]) -> dict[str, Any]:
    return convert_dialect(automation, Dialect.MODERN)


@pytest.mark.parametrize("dialect", list(Dialect))
@pytest.mark.parametrize("kind", _KINDS_WITHOUT_OVERRIDE)
def test_every_kind_compiles_to_an_automation_its_dialect_accepts(
    kind: HabitKind, dialect: Dialect
) -> None:
    draft = compile_pattern(habit(kind), home(), dialect=dialect)

    check_automation(draft.automation, dialect)
    assert draft.dialect is dialect
    assert draft.automation["id"] == f"homehabits_{draft.pattern.fingerprint}"
    assert automation_from_yaml(draft.yaml, dialect) == draft.automation
    assert draft.automation["description"].startswith("Suggested by homehabits: ")


@pytest.mark.parametrize("kind", _KINDS_WITHOUT_OVERRIDE)
def test_legacy_and_modern_drafts_are_the_same_automation(kind: HabitKind) -> None:
    modern = compile_pattern(habit(kind), home(), dialect=Dialect.MODERN)
    legacy = compile_pattern(habit(kind), home(), dialect=Dialect.LEGACY)

    assert "trigger" in legacy.automation
    assert "triggers" not in legacy.automation
    assert all("platform" in trigger for trigger in legacy.automation["trigger"])
    assert all("service" in action for action in legacy.automation["action"])
    assert convert_dialect(legacy.automation, Dialect.MODERN) == modern.automation


def test_weekday_habit_at_a_clock_time_triggers_then_only_on_those_days() -> None:
    draft = compile_pattern(
        habit(
            time_of_day=time(6, 45),
            weekdays=(0, 1, 2, 3, 4),
            action_attributes=(("brightness", 128),),
        ),
        home(),
        dialect=Dialect.MODERN,
    )
    automation = draft.automation

    assert automation["triggers"] == [{"trigger": "time", "at": "06:45:00"}]
    assert automation["conditions"] == [
        {"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "fri"]}
    ]
    assert automation["actions"] == [
        {
            "action": "light.turn_on",
            "target": {"entity_id": "light.kitchen"},
            "data": {"brightness_pct": 50},
        }
    ]
    assert automation["alias"] == "Kitchen light on at 06:45 on weekdays"
    assert automation["mode"] == "single"
    assert draft.category == "lighting"
    assert 'at: "06:45:00"' in draft.yaml


def test_every_day_habit_has_no_weekday_condition() -> None:
    draft = compile_pattern(habit(), home(), dialect=Dialect.MODERN)

    assert "conditions" not in draft.automation
    assert draft.automation["alias"] == "Kitchen light on at 06:45"


def test_tuesday_and_thursday_habit_names_its_days() -> None:
    draft = compile_pattern(habit(weekdays=(1, 3)), home(), dialect=Dialect.MODERN)

    assert draft.automation["conditions"] == [{"condition": "time", "weekday": ["tue", "thu"]}]
    assert draft.automation["alias"].endswith("on Tue and Thu")


def test_clock_time_with_seconds_rounds_to_the_minute_even_past_midnight() -> None:
    draft = compile_pattern(habit(time_of_day=time(23, 59, 40)), home(), dialect=Dialect.MODERN)

    assert draft.automation["triggers"][0]["at"] == "00:00:00"


@pytest.mark.parametrize(
    ("offset_minutes", "expected"),
    [(15, "+00:15:00"), (-10, "-00:10:00"), (-75, "-01:15:00")],
)
def test_sun_habit_triggers_at_the_sun_event_with_its_offset(
    offset_minutes: int, expected: str
) -> None:
    draft = compile_pattern(
        habit(HabitKind.SUN, sun_offset_minutes=offset_minutes, weekdays=(5, 6)),
        home(),
        dialect=Dialect.MODERN,
    )

    assert draft.automation["triggers"] == [
        {"trigger": "sun", "event": "sunset", "offset": expected}
    ]
    assert draft.automation["conditions"] == [{"condition": "time", "weekday": ["sat", "sun"]}]
    assert f'offset: "{expected}"' in draft.yaml


def test_sun_habit_right_at_sunrise_has_no_offset() -> None:
    draft = compile_pattern(
        habit(HabitKind.SUN, sun_event="sunrise", sun_offset_minutes=0),
        home(),
        dialect=Dialect.MODERN,
    )

    assert draft.automation["triggers"] == [{"trigger": "sun", "event": "sunrise"}]
    assert "at sunrise" in draft.automation["alias"]


def test_sequence_habit_acts_on_the_second_entity_when_the_first_changes() -> None:
    draft = compile_pattern(habit(HabitKind.SEQUENCE), home(), dialect=Dialect.MODERN)

    assert draft.automation["triggers"] == [
        {"trigger": "state", "entity_id": "binary_sensor.front_door", "to": "on"}
    ]
    assert draft.automation["actions"][0]["target"] == {"entity_id": "light.hallway"}
    assert draft.automation["alias"] == "Hallway light on when Front door sensor opens"


def test_sequence_habit_whose_trigger_must_hold_waits_for_it() -> None:
    draft = compile_pattern(
        habit(HabitKind.SEQUENCE, duration_seconds=120.0), home(), dialect=Dialect.LEGACY
    )

    assert draft.automation["trigger"][0]["for"] == {"minutes": 2}


def test_auto_off_habit_switches_off_after_the_usual_time_and_restarts() -> None:
    draft = compile_pattern(habit(HabitKind.AUTO_OFF), home(), dialect=Dialect.MODERN)

    assert draft.automation["triggers"] == [
        {
            "trigger": "state",
            "entity_id": "fan.bathroom_extractor",
            "to": "on",
            "for": {"minutes": 15},
        }
    ]
    assert draft.automation["actions"][0]["action"] == "fan.turn_off"
    assert draft.automation["mode"] == "restart"
    assert draft.category == "energy"
    assert draft.automation["alias"] == "Bathroom extractor off after 15 min"


def test_auto_off_with_motion_waits_for_no_motion_and_checks_the_target_is_on() -> None:
    draft = compile_pattern(
        habit(
            HabitKind.AUTO_OFF,
            target_entity="light.hallway",
            trigger_entity="binary_sensor.bathroom_motion",
            trigger_state="off",
            lag_seconds=300.0,
        ),
        home(),
        dialect=Dialect.LEGACY,
    )

    assert draft.automation["trigger"] == [
        {
            "platform": "state",
            "entity_id": "binary_sensor.bathroom_motion",
            "to": "off",
            "for": {"minutes": 5},
        }
    ]
    assert draft.automation["condition"] == [
        {"condition": "state", "entity_id": "light.hallway", "state": "on"}
    ]
    assert draft.automation["action"][0]["service"] == "light.turn_off"
    assert draft.automation["mode"] == "restart"


def test_presence_habit_switches_off_when_everyone_is_away() -> None:
    draft = compile_pattern(habit(HabitKind.PRESENCE), home(), dialect=Dialect.MODERN)

    assert draft.automation["triggers"] == [
        {"trigger": "state", "entity_id": "person.alice", "to": "not_home"},
        {"trigger": "state", "entity_id": "person.bob", "to": "not_home"},
    ]
    assert draft.automation["conditions"] == [
        {
            "condition": "state",
            "entity_id": ["person.alice", "person.bob"],
            "state": "not_home",
        }
    ]
    assert draft.automation["actions"][0]["action"] == "light.turn_off"
    assert draft.automation["alias"] == "Kitchen light off when everyone leaves"


@pytest.mark.parametrize(
    ("entity_id", "state", "attributes", "service", "data", "category"),
    [
        ("light.kitchen", "off", (), "light.turn_off", None, "lighting"),
        (
            "light.kitchen",
            "on",
            (("color_temp", 370),),
            "light.turn_on",
            {"color_temp_kelvin": 2703},
            "lighting",
        ),
        (
            "light.kitchen",
            "on",
            (("color_temp_kelvin", 2700), ("brightness", 300)),
            "light.turn_on",
            {"brightness_pct": 100, "color_temp_kelvin": 2700},
            "lighting",
        ),
        ("switch.coffee_maker", "on", (), "switch.turn_on", None, "convenience"),
        ("input_boolean.guest_mode", "off", (), "input_boolean.turn_off", None, "convenience"),
        ("humidifier.bedroom", "on", (), "humidifier.turn_on", None, "climate"),
        ("cover.living_room_blind", "closed", (), "cover.close_cover", None, "covers"),
        (
            "cover.living_room_blind",
            "open",
            (("position", 40),),
            "cover.set_cover_position",
            {"position": 40},
            "covers",
        ),
        (
            "climate.living_room",
            "heat",
            (("temperature", 21),),
            "climate.set_temperature",
            {"temperature": 21, "hvac_mode": "heat"},
            "climate",
        ),
        (
            "climate.living_room",
            "off",
            (),
            "climate.set_hvac_mode",
            {"hvac_mode": "off"},
            "climate",
        ),
        ("media_player.kitchen_radio", "playing", (), "media_player.media_play", None, "media"),
        ("media_player.kitchen_radio", "paused", (), "media_player.media_pause", None, "media"),
        ("media_player.kitchen_radio", "off", (), "media_player.turn_off", None, "media"),
        ("vacuum.robot", "cleaning", (), "vacuum.start", None, "convenience"),
        ("vacuum.robot", "docked", (), "vacuum.return_to_base", None, "convenience"),
        ("lock.front_door", "locked", (), "lock.lock", None, "security"),
        (
            "alarm_control_panel.home",
            "armed_away",
            (),
            "alarm_control_panel.alarm_arm_away",
            None,
            "security",
        ),
    ],
)
def test_each_domain_gets_the_service_that_sets_the_state(
    entity_id: str,
    state: str,
    attributes: tuple[tuple[str, Any], ...],
    service: str,
    data: dict[str, Any] | None,
    category: str,
) -> None:
    pattern = habit(target_entity=entity_id, target_state=state, action_attributes=attributes)

    modern = compile_pattern(pattern, home(), dialect=Dialect.MODERN)
    legacy = compile_pattern(pattern, home(), dialect=Dialect.LEGACY)

    expected: dict[str, Any] = {"action": service, "target": {"entity_id": entity_id}}
    if data is not None:
        expected["data"] = data
    assert modern.automation["actions"] == [expected]
    assert legacy.automation["action"][0]["service"] == service
    assert modern.category == category


@pytest.mark.parametrize(
    ("entity_id", "state"),
    [
        ("sensor.outdoor_temperature", "21.5"),
        ("light.kitchen", "dimmed"),
        ("climate.living_room", "warm"),
        ("vacuum.robot", "error"),
    ],
)
def test_a_state_no_service_can_set_is_refused_with_a_reason(entity_id: str, state: str) -> None:
    with pytest.raises(AutomationError, match=entity_id):
        compile_pattern(
            habit(target_entity=entity_id, target_state=state), home(), dialect=Dialect.MODERN
        )


def test_a_habit_missing_its_parameters_is_refused() -> None:
    with pytest.raises(AutomationError, match="time of day"):
        compile_pattern(habit(time_of_day=None), home(), dialect=Dialect.MODERN)
    with pytest.raises(AutomationError, match="sunset or sunrise"):
        compile_pattern(habit(HabitKind.SUN, sun_event="noon"), home(), dialect=Dialect.MODERN)
    with pytest.raises(AutomationError, match="people"):
        compile_pattern(
            habit(HabitKind.PRESENCE, related_entities=()), home(), dialect=Dialect.MODERN
        )


def test_override_keeps_the_existing_id_and_is_checked_in_both_dialects() -> None:
    existing = existing_automation(
        {
            "id": "heating_morning",
            "alias": "Heating on at 06:00",
            "trigger": [{"platform": "time", "at": "06:00:00"}],
            "action": [
                {
                    "service": "climate.set_hvac_mode",
                    "target": {"entity_id": "climate.living_room"},
                    "data": {"hvac_mode": "heat"},
                }
            ],
            "mode": "single",
        }
    )
    pattern = habit(
        HabitKind.OVERRIDE,
        target_entity="climate.living_room",
        target_state="off",
        automation_id="heating_morning",
        weekdays=(5, 6),
    )
    for dialect in Dialect:
        draft = compile_pattern(pattern, home(automations=[existing]), dialect=dialect)
        check_automation(draft.automation, dialect)
        assert draft.automation["id"] == "heating_morning"
        assert automation_from_yaml(draft.yaml, dialect) == draft.automation
