"""The rationale states exactly what was counted: the band the counted actions fell in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time

from homehabits.patterns.habit import WEEKDAYS, HabitKind, Pattern
from homehabits.writers import template_words
from homehabits.writers.prompt import build_messages


def test_clock_rationale_gives_the_band_of_the_counted_days_not_a_standard_deviation(
    home, draft_of
):
    # 06:38:20 and 06:53:40 Berlin summer time: the earliest and latest counted actions
    pattern = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="light.kitchen",
        target_state="on",
        time_of_day=time(6, 45),
        spread_minutes=4.1,
        weekdays=WEEKDAYS,
        occurrences=3,
        days_observed=3,
        days_possible=4,
        evidence_times=(
            datetime(2024, 5, 1, 4, 38, 20, tzinfo=UTC),
            datetime(2024, 5, 2, 4, 45, tzinfo=UTC),
            datetime(2024, 5, 3, 4, 53, 40, tzinfo=UTC),
        ),
    )

    words = template_words(draft_of(pattern), home)

    assert words.rationale.startswith(
        "Kitchen light turned on at about 06:45 on 3 of the last 4 weekdays, "
        "each time between 06:38 and 06:54, always by hand."
    )
    assert "±" not in words.rationale


def test_sun_rationale_gives_the_offsets_the_counted_days_fell_between(home, draft_of):
    pattern = Pattern(
        kind=HabitKind.SUN,
        target_entity="light.porch",
        target_state="on",
        sun_event="sunset",
        sun_offset_minutes=15,
        spread_minutes=4,
        days_observed=3,
        days_possible=3,
        evidence_lags=(610.0, 900.0, 1290.0),
    )

    words = template_words(draft_of(pattern), home)

    assert words.rationale == (
        "Porch light turned on between 10 and 22 minutes after sunset on 3 of the last 3 days, "
        "always by hand."
    )


def test_auto_off_and_sequence_rationales_give_the_counted_range_of_lags(home, draft_of):
    fan = Pattern(
        kind=HabitKind.AUTO_OFF,
        target_entity="fan.bathroom",
        target_state="off",
        duration_seconds=905,
        occurrences=3,
        evidence_lags=(790.0, 905.0, 1010.0),
    )
    hall = Pattern(
        kind=HabitKind.SEQUENCE,
        target_entity="light.hall",
        target_state="on",
        trigger_entity="binary_sensor.front_door",
        trigger_state="on",
        lag_seconds=19.6,
        occurrences=3,
        support=4,
        evidence_lags=(12.0, 19.6, 33.2),
    )

    fan_words = template_words(draft_of(fan, category="energy"), home, window_days=30)
    hall_words = template_words(draft_of(hall), home)

    assert fan_words.rationale == (
        "Bathroom fan switched off by hand between 13 and 17 minutes after it was turned on "
        "(typically 15 minutes), 3 times in the last 30 days."
    )
    assert hall_words.rationale == (
        "Hall light turned on by hand within 34 seconds after the Front door opened "
        "(typically 20 seconds), 3 of 4 times."
    )


def test_the_model_gets_the_counted_band_and_no_standard_deviation(home, draft_of):
    pattern = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="light.kitchen",
        target_state="on",
        time_of_day=time(6, 45),
        spread_minutes=4.1,
        occurrences=2,
        days_observed=2,
        days_possible=2,
        evidence_times=(
            datetime(2024, 5, 1, 4, 38, 20, tzinfo=UTC),
            datetime(2024, 5, 3, 4, 53, 40, tzinfo=UTC),
        ),
    )
    draft = draft_of(pattern)
    reference = template_words(draft, home)

    user = build_messages(draft, home, reference)[1]["content"]
    facts = json.loads(user.split("<<<FACTS\n", 1)[1].rsplit("\nFACTS>>>", 1)[0])

    assert "spread_minutes" not in facts["habit"]
    assert facts["habit"]["counted"] == {
        "days_done": 2,
        "days_possible": 2,
        "times_done": 2,
        "every_counted_action_was": "between 06:38 and 06:54",
    }


def test_a_lunch_timer_says_it_counted_only_the_lunch_sessions(home, draft_of):
    pattern = Pattern(
        kind=HabitKind.AUTO_OFF,
        target_entity="fan.bathroom",
        target_state="off",
        duration_seconds=600,
        time_of_day=time(12, 20),
        occurrences=3,
        evidence_lags=(580.0, 600.0, 630.0),
        notes=("only sessions switched on between 12:00 and 12:38",),
    )

    words = template_words(draft_of(pattern, category="energy"), home)

    assert words.rationale == (
        "Bathroom fan switched off by hand between 9 and 11 minutes after it was turned on "
        "(typically 10 minutes), 3 times (only sessions switched on between 12:00 and 12:38)."
    )
