"""Any habit the miners can produce compiles to an automation that passes and survives YAML."""

from __future__ import annotations

from datetime import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from homehabits.automations import (
    automation_from_yaml,
    automation_to_yaml,
    check_automation,
    compile_pattern,
    convert_dialect,
)
from homehabits.automations.services import NeverSuggestedError
from homehabits.config import Dialect
from homehabits.patterns.habit import HabitKind, Pattern
from tests.automations.homes import home

_STATES = {
    "light": ["on", "off"],
    "switch": ["on", "off"],
    "fan": ["on", "off"],
    "input_boolean": ["on", "off"],
    "humidifier": ["on", "off"],
    "cover": ["open", "closed"],
    "climate": ["heat", "cool", "off", "auto"],
    "media_player": ["playing", "paused", "on", "off"],
    "vacuum": ["cleaning", "docked"],
    "lock": ["locked", "unlocked"],
    "alarm_control_panel": ["armed_away", "armed_home", "disarmed"],
}
_ATTRIBUTES = {
    "light": st.one_of(
        st.just(()),
        st.tuples(st.tuples(st.just("brightness"), st.integers(0, 400))),
        st.tuples(st.tuples(st.just("color_temp"), st.integers(1, 700))),
    ),
    "cover": st.one_of(st.just(()), st.tuples(st.tuples(st.just("position"), st.integers(0, 100)))),
    "climate": st.one_of(
        st.just(()),
        st.tuples(st.tuples(st.just("temperature"), st.floats(5, 35, allow_nan=False))),
    ),
}
_slug = st.from_regex(r"[a-z][a-z0-9]{0,8}(_[a-z0-9]{1,6}){0,2}", fullmatch=True)
_weekdays = st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True).map(
    lambda days: tuple(sorted(days))
)


@st.composite
def _habits(draw: st.DrawFn) -> Pattern:
    compiled = [k for k in HabitKind if k not in (HabitKind.OVERRIDE, HabitKind.REVISION)]
    kind = draw(st.sampled_from(compiled))
    domain = draw(st.sampled_from(sorted(_STATES)))
    target = f"{domain}.{draw(_slug)}"
    fields: dict[str, Any] = {
        "kind": kind,
        "target_entity": target,
        "target_state": draw(st.sampled_from(_STATES[domain])),
        "weekdays": draw(_weekdays),
        "action_attributes": draw(_ATTRIBUTES.get(domain, st.just(()))),
        "sensitive": draw(st.booleans()),
    }
    if kind is HabitKind.TIME_OF_DAY:
        fields["time_of_day"] = draw(st.times())
    elif kind is HabitKind.SUN:
        fields["sun_event"] = draw(st.sampled_from(["sunset", "sunrise"]))
        fields["sun_offset_minutes"] = draw(st.integers(-180, 180))
    elif kind is HabitKind.SEQUENCE:
        fields["trigger_entity"] = f"binary_sensor.{draw(_slug)}"
        fields["trigger_state"] = draw(st.sampled_from(["on", "off", "open", "home", "playing"]))
        fields["duration_seconds"] = draw(st.one_of(st.none(), st.floats(1, 7200)))
    elif kind is HabitKind.AUTO_OFF:
        fields["duration_seconds"] = draw(st.floats(1, 6 * 3600))
        if draw(st.booleans()):
            fields["trigger_entity"] = f"binary_sensor.{draw(_slug)}_motion"
            fields["trigger_state"] = "off"
            fields["lag_seconds"] = draw(st.floats(1, 3600))
    else:
        people = draw(st.lists(_slug, min_size=1, max_size=4, unique=True))
        fields["related_entities"] = tuple(f"person.{name}" for name in people)
        fields["trigger_state"] = "not_home"
    return Pattern(**fields)


@settings(max_examples=300, deadline=None)
@given(pattern=_habits(), name=st.text(max_size=80))
def test_any_habit_compiles_to_a_checked_automation_that_round_trips(
    pattern: Pattern, name: str
) -> None:
    context = home(names={pattern.target_entity: name} if name else None)
    for dialect in Dialect:
        try:
            draft = compile_pattern(pattern, context, dialect=dialect)
        except NeverSuggestedError:
            assert pattern.target_state in {"unlocked", "disarmed"}
            continue
        check_automation(draft.automation, dialect)
        assert automation_from_yaml(draft.yaml, dialect) == draft.automation
        assert automation_from_yaml(automation_to_yaml(draft.automation)) == draft.automation
        other = Dialect.LEGACY if dialect is Dialect.MODERN else Dialect.MODERN
        converted = convert_dialect(draft.automation, other)
        check_automation(converted, other)
        assert convert_dialect(converted, dialect) == draft.automation


@settings(max_examples=200, deadline=None)
@given(at=st.times(), weekdays=_weekdays)
def test_a_clock_habit_triggers_within_half_a_minute_of_its_time(
    at: time, weekdays: tuple[int, ...]
) -> None:
    pattern = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="light.kitchen",
        target_state="on",
        time_of_day=at,
        weekdays=weekdays,
    )

    draft = compile_pattern(pattern, home(), dialect=Dialect.MODERN)

    hour, minute, second = map(int, draft.automation["triggers"][0]["at"].split(":"))
    planned = at.hour * 3600 + at.minute * 60 + at.second + at.microsecond / 1e6
    gap = abs(hour * 3600 + minute * 60 + second - planned) % 86400
    assert min(gap, 86400 - gap) <= 30
    conditions = draft.automation.get("conditions", [])
    days = (
        conditions[0]["weekday"]
        if conditions
        else ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    )
    assert len(days) == len(weekdays)
