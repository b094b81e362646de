"""The template writer: the words an owner reads for every kind of habit, offline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

from homehabits.context import Entity, ExistingAutomation, HomeContext
from homehabits.patterns.habit import ALL_DAYS, WEEKDAYS, WEEKENDS, HabitKind, Pattern
from homehabits.writers import template_words


def _kitchen_at_645(**changes: object) -> Pattern:
    pattern = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="light.kitchen",
        target_state="on",
        time_of_day=time(6, 45),
        spread_minutes=7.6,
        weekdays=WEEKDAYS,
        occurrences=21,
        days_observed=21,
        days_possible=23,
    )
    return replace(pattern, **changes)  # type: ignore[arg-type]


def test_time_of_day_words_give_clock_time_days_and_evidence(home, draft_of):
    words = template_words(draft_of(_kitchen_at_645()), home)

    assert words.title == "Kitchen light on at 06:45 on weekdays"
    assert words.description == "Turns on the Kitchen light at 06:45 on weekdays."
    assert words.rationale == (
        "Kitchen light turned on at about 06:45 on 21 of the last 23 weekdays, always by hand."
    )
    assert words.author == "template"
    assert words.category == "lighting"
    assert (words.tokens_in, words.tokens_out, words.cost) == (0, 0, 0.0)


def test_time_of_day_words_say_which_days_were_not_counted(home, draft_of):
    pattern = _kitchen_at_645(
        days_observed=19, days_possible=19, notes=("not counted: 4 days when it was already on",)
    )

    words = template_words(draft_of(pattern), home)

    assert words.rationale == (
        "Kitchen light turned on at about 06:45 on 19 of the last 19 weekdays, "
        "always by hand (not counted: 4 days when it was already on)."
    )


def test_time_of_day_words_mention_the_brightness_the_habit_sets(home, draft_of):
    pattern = _kitchen_at_645(action_attributes=(("brightness", 128),))

    words = template_words(draft_of(pattern), home)

    assert (
        words.description == "Turns on the Kitchen light at 50 % brightness at 06:45 on weekdays."
    )


def test_sun_words_give_the_offset_from_sunset(home, draft_of):
    pattern = Pattern(
        kind=HabitKind.SUN,
        target_entity="light.porch",
        target_state="on",
        sun_event="sunset",
        sun_offset_minutes=15,
        spread_minutes=6,
        days_observed=25,
        days_possible=30,
    )

    words = template_words(draft_of(pattern), home)

    assert words.title == "Porch light on 15 minutes after sunset"
    assert words.description == "Turns on the Porch light 15 minutes after sunset every day."
    assert words.rationale == (
        "Porch light turned on about 15 minutes after sunset on 25 of the last 30 days, "
        "always by hand."
    )


def test_sun_words_before_sunrise_at_weekends(home, draft_of):
    pattern = Pattern(
        kind=HabitKind.SUN,
        target_entity="light.porch",
        target_state="off",
        sun_event="sunrise",
        sun_offset_minutes=-90,
        weekdays=WEEKENDS,
    )

    words = template_words(draft_of(pattern), home)

    assert words.title == "Porch light off 1 hour 30 minutes before sunrise at weekends"


def test_sequence_words_name_the_trigger_the_lag_and_how_often(home, draft_of):
    pattern = Pattern(
        kind=HabitKind.SEQUENCE,
        target_entity="light.hall",
        target_state="on",
        trigger_entity="binary_sensor.front_door",
        trigger_state="on",
        lag_seconds=19.6,
        occurrences=18,
        support=20,
    )

    words = template_words(draft_of(pattern), home)

    assert words.title == "Hall light on when the Front door opens"
    assert words.description == "Turns on the Hall light when the Front door opens."
    assert words.rationale == (
        "Hall light turned on by hand within about 20 seconds after the Front door opened, "
        "18 of 20 times."
    )


def test_auto_off_words_say_how_long_it_stays_on(home, draft_of):
    pattern = Pattern(
        kind=HabitKind.AUTO_OFF,
        target_entity="fan.bathroom",
        target_state="off",
        duration_seconds=905,
        occurrences=24,
    )

    words = template_words(draft_of(pattern, category="energy"), home, window_days=30)

    assert words.title == "Bathroom fan off after 15 minutes"
    assert words.description == "Turns off the Bathroom fan 15 minutes after it was turned on."
    assert words.rationale == (
        "Bathroom fan switched off by hand about 15 minutes after it was turned on, "
        "24 times in the last 30 days."
    )
    assert words.category == "energy"


def test_auto_off_words_with_a_motion_sensor_speak_of_no_motion(home, draft_of):
    pattern = Pattern(
        kind=HabitKind.AUTO_OFF,
        target_entity="light.hall",
        target_state="off",
        trigger_entity="binary_sensor.hall_motion",
        trigger_state="off",
        duration_seconds=300,
        occurrences=9,
    )

    words = template_words(draft_of(pattern), home)

    assert words.description == (
        "Turns off the Hall light when the Hall motion has shown no motion for 5 minutes."
    )


def test_override_words_name_the_automation_and_what_people_set_back(home, draft_of):
    pattern = Pattern(
        kind=HabitKind.OVERRIDE,
        target_entity="climate.heating",
        target_state="off",
        trigger_entity="automation.heating_on_at_06_00",
        trigger_state="heat",
        automation_id="1700000000001",
        lag_seconds=280,
        weekdays=WEEKENDS,
        days_observed=8,
    )

    words = template_words(draft_of(pattern, category="climate"), home)

    assert "'Heating on at 06:00'" in words.title
    assert words.rationale == (
        "'Heating on at 06:00' set the Heating to heat and someone set it back to off "
        "within 5 minutes on 8 weekend days."
    )
    assert words.description == (
        "Keeps the Heating off at weekends instead of letting 'Heating on at 06:00' "
        "set the Heating to heat."
    )


def test_presence_words_count_the_departures(home, draft_of):
    pattern = Pattern(
        kind=HabitKind.PRESENCE,
        target_entity="light.living_room",
        target_state="off",
        related_entities=("person.anna", "person.ben"),
        lag_seconds=230,
        occurrences=12,
        support=14,
    )

    words = template_words(draft_of(pattern), home)

    assert words.title == "Living room lights off when everyone leaves"
    assert words.description == (
        "Turns off the Living room lights when everyone (Anna and Ben) has left home."
    )
    assert words.rationale == (
        "Living room lights switched off by hand within 4 minutes after everyone left, "
        "on 12 of 14 departures."
    )


def test_last_time_is_told_in_the_home_time_zone(home, draft_of):
    # 05:41 UTC on 23 November is 06:41 in Berlin and 00:41 in New York
    pattern = _kitchen_at_645(evidence_times=(datetime(2026, 11, 23, 5, 41, tzinfo=UTC),))

    berlin = template_words(draft_of(pattern), home)
    new_york = template_words(draft_of(pattern), replace(home, time_zone="America/New_York"))

    assert berlin.rationale.endswith("Last time: Monday 23 November at 06:41.")
    assert new_york.rationale.endswith("Last time: Monday 23 November at 00:41.")


def test_sensitive_draft_gets_the_reason_in_its_description(home, draft_of):
    pattern = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="lock.front_door",
        target_state="locked",
        time_of_day=time(22, 30),
        weekdays=ALL_DAYS,
    )

    words = template_words(draft_of(pattern, sensitive_reason="it locks a door"), home)

    assert words.title == "Front door lock locked at 22:30 every day"
    assert words.description == (
        "Locks the Front door lock at 22:30 every day. Check it with care: it locks a door."
    )


def test_template_words_are_the_same_on_every_run(home, draft_of):
    draft = draft_of(_kitchen_at_645(evidence_times=(datetime(2026, 11, 2, 6, 0, tzinfo=UTC),)))

    assert template_words(draft, home, window_days=30) == template_words(
        draft, home, window_days=30
    )


def test_a_very_long_name_keeps_the_title_within_80_characters(home, draft_of):
    name = "The big ceiling light above the dining table in the open-plan living area"
    entity = Entity("light.kitchen", name)
    wordy_home = replace(home, entities={**home.entities, "light.kitchen": entity})

    words = template_words(draft_of(_kitchen_at_645()), wordy_home)

    assert len(words.title) <= 80
    assert words.title.endswith("…")
    assert name in words.description


def test_unknown_entity_is_named_from_its_id(draft_of):
    bare_home = HomeContext(time_zone="UTC")
    pattern = _kitchen_at_645(target_entity="switch.coffee_machine")

    words = template_words(draft_of(pattern), bare_home)

    assert words.title == "Coffee machine on at 06:45 on weekdays"


def test_override_words_read_what_the_automation_sets_from_its_actions(home, draft_of):
    heating_on = ExistingAutomation(
        automation_id="heating_morning",
        alias="Heating on at 06:00",
        entity_id="automation.heating_on_at_06_00",
        actions=(
            {
                "action": "climate.set_hvac_mode",
                "target": {"entity_id": "climate.heating"},
                "data": {"hvac_mode": "heat"},
            },
        ),
    )
    pattern = Pattern(
        kind=HabitKind.OVERRIDE,
        target_entity="climate.heating",
        target_state="off",
        trigger_entity="automation.heating_on_at_06_00",
        automation_id="heating_morning",
        lag_seconds=330,
        weekdays=WEEKENDS,
        days_observed=8,
        days_possible=9,
    )

    words = template_words(draft_of(pattern), replace(home, automations=(heating_on,)))

    assert words.rationale == (
        "'Heating on at 06:00' set the Heating to heat and someone set it back to off "
        "within 6 minutes on 8 of the last 9 weekend days."
    )


def test_a_sensitive_reason_that_already_asks_for_a_check_is_said_once(home, draft_of):
    reason = "Moves the garage door automatically — check before you approve"
    pattern = _kitchen_at_645(target_entity="cover.garage_door", target_state="closed")

    words = template_words(draft_of(pattern, sensitive_reason=reason), home)

    assert words.description == (
        "Closes the Garage door at 06:45 on weekdays. "
        "Moves the garage door automatically — check before you approve."
    )
