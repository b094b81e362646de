"""An override's words say what its compiled automation does: skip some days, or turn it off."""

from __future__ import annotations

from dataclasses import replace

from homehabits.automations import compile_pattern
from homehabits.config import Dialect
from homehabits.context import Entity, ExistingAutomation, HomeContext
from homehabits.patterns.habit import ALL_DAYS, WEEKENDS, HabitKind, Pattern
from homehabits.writers import template_words


def _heater_home(home: HomeContext) -> HomeContext:
    morning = {
        "id": "morning_heater",
        "alias": "Morning heater",
        "triggers": [{"trigger": "time", "at": "05:30:00"}],
        "actions": [{"action": "switch.turn_on", "target": {"entity_id": "switch.space_heater"}}],
        "mode": "single",
    }
    automation = ExistingAutomation(
        automation_id="morning_heater",
        alias="Morning heater",
        entity_id="automation.morning_heater",
        triggers=tuple(morning["triggers"]),  # type: ignore[arg-type]
        actions=tuple(morning["actions"]),  # type: ignore[arg-type]
        raw=morning,
    )
    heater = Entity("switch.space_heater", "Space Heater")
    return replace(
        home,
        entities={**home.entities, heater.entity_id: heater},
        automations=(automation,),
    )


def _undone(weekdays: tuple[int, ...]) -> Pattern:
    return Pattern(
        kind=HabitKind.OVERRIDE,
        target_entity="switch.space_heater",
        target_state="off",
        trigger_entity="automation.morning_heater",
        trigger_state="on",
        automation_id="morning_heater",
        lag_seconds=600,
        weekdays=weekdays,
        days_observed=20,
        days_possible=21,
    )


def test_an_override_undone_every_day_turns_the_automation_off_and_says_so(home):
    context = _heater_home(home)
    draft = compile_pattern(_undone(ALL_DAYS), context, dialect=Dialect.MODERN)
    # a later time would be undone as well: the heater is what the person leaves off
    assert draft.automation["triggers"] == [{"trigger": "time", "at": "05:30:00", "enabled": False}]
    assert draft.automation["id"] == "morning_heater"  # deploying it replaces the owner's

    words = template_words(draft, context)

    assert words.title == "Turn off 'Morning heater'"
    assert words.description == (
        "Disables the triggers of 'Morning heater', so it no longer turns on the Space Heater; "
        "switch it back on in Home Assistant whenever you like."
    )


def test_an_override_that_skips_weekends_says_it_leaves_the_heater_off_then(home):
    context = _heater_home(home)
    draft = compile_pattern(_undone(WEEKENDS), context, dialect=Dialect.MODERN)

    words = template_words(draft, context)

    assert words.title == "Let 'Morning heater' leave the Space Heater off at weekends"
    assert words.description == (
        "Keeps the Space Heater off at weekends instead of letting 'Morning heater' "
        "turn on the Space Heater."
    )
