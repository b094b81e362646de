"""The valve domain end to end: from an event file to a checked, safe, well-worded suggestion."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from homehabits.automations.checker import check_automation
from homehabits.automations.compile import compile_pattern, compile_patterns
from homehabits.automations.safety import edit_refusal, judge
from homehabits.config import Dialect
from homehabits.context import Entity, HomeContext
from homehabits.patterns.habit import HabitKind, Pattern
from homehabits.patterns.mining import mine
from homehabits.sources.event_file import EventFileSource
from homehabits.writers.checks import check_answer
from homehabits.writers.prompt import ModelAnswer
from homehabits.writers.template import template_words

ZONE = "Europe/Berlin"
VALVE = "valve.garden"
PERSON = "3f1c2d9e8b7a4c6d5e4f3a2b1c0d9e8f"
START = datetime(2024, 5, 1, tzinfo=ZoneInfo(ZONE))
DAYS = 28


def _garden_watering(path: Path) -> Path:
    """A person opens the garden valve at about 06:30 on most mornings, closes it at 07:15."""
    dice = random.Random(7)
    lines = ["time,entity_id,state,old_state,origin,user_id,attributes"]
    for day in range(DAYS):
        if day in (3, 12, 20, 25):  # it rained
            continue
        morning = START + timedelta(days=day)
        opened = morning.replace(hour=6, minute=30) + timedelta(minutes=dice.uniform(-4, 4))
        closed = morning.replace(hour=7, minute=15) + timedelta(minutes=dice.uniform(-3, 3))
        for moment, state, before, position in (
            (opened, "open", "closed", 100),
            (closed, "closed", "open", 0),
        ):
            stamp = moment.astimezone(UTC).isoformat()
            attributes = f'"{{""current_position"": {position}}}"'
            lines.append(f"{stamp},{VALVE},{state},{before},user,{PERSON},{attributes}")
    path.write_text("\n".join(lines) + "\n")
    return path


async def _home(tmp_path: Path) -> tuple[HomeContext, list[Pattern]]:
    source = EventFileSource(_garden_watering(tmp_path / "garden.csv"), time_zone=ZONE)
    context = await source.read_context()
    # the owner's name for it, as the entity registry would give it
    context = replace(context, entities={VALVE: Entity(entity_id=VALVE, name="Garden valve")})
    start, end = START.astimezone(UTC), (START + timedelta(days=DAYS)).astimezone(UTC)
    read = await source.read_events(start, end, context)
    return context, mine(read.frame, context, window_start=start, window_end=end)


def _opening_habit(patterns: list[Pattern]) -> Pattern:
    found = [
        p
        for p in patterns
        if p.kind is HabitKind.TIME_OF_DAY and p.target_entity == VALVE and p.target_state == "open"
    ]
    assert len(found) == 1, patterns
    return found[0]


async def test_a_valve_opened_by_hand_each_morning_becomes_a_checked_safe_suggestion(
    tmp_path: Path,
) -> None:
    context, patterns = await _home(tmp_path)
    habit = _opening_habit(patterns)
    assert habit.time_of_day is not None
    assert abs(habit.time_of_day.hour * 60 + habit.time_of_day.minute - (6 * 60 + 30)) <= 5
    at = habit.time_of_day.strftime("%H:%M")

    result = compile_patterns(patterns, context, dialect=Dialect.MODERN)
    draft = next(d for d in result.drafts if d.pattern.fingerprint == habit.fingerprint)

    assert draft.automation["actions"] == [
        {"action": "valve.open_valve", "target": {"entity_id": VALVE}}
    ]
    assert draft.automation["triggers"] == [{"trigger": "time", "at": f"{at}:00"}]
    check_automation(draft.automation, Dialect.MODERN)
    verdict = judge(draft.automation, context)
    assert not verdict.sensitive, verdict.reason
    assert not draft.sensitive
    assert draft.category == "convenience"
    assert draft.automation["alias"].startswith(f"Garden valve open at {at}")

    words = template_words(draft, context, window_days=DAYS)
    assert words.title.startswith(f"Garden valve open at {at}")
    assert words.description == f"Opens the Garden valve at {at} every day."
    assert words.rationale.startswith(f"Garden valve opened at about {at}")
    # a model's words that say what the automation does pass the checks
    answer = ModelAnswer(
        title="Water the garden at 06:30",
        description="Opens the Garden valve every morning at 06:30.",
        rationale="You opened it by hand at about that time on most mornings.",
        category="convenience",
    )
    check_answer(answer, draft, context, words)


async def test_a_valve_closed_by_hand_is_suggested_as_close_valve(tmp_path: Path) -> None:
    context, patterns = await _home(tmp_path)
    closing = next(p for p in patterns if p.target_entity == VALVE and p.target_state == "closed")

    draft = compile_pattern(closing, context, dialect=Dialect.LEGACY)

    assert draft.automation["action"] == [
        {"service": "valve.close_valve", "target": {"entity_id": VALVE}}
    ]
    assert template_words(draft, context).description.startswith("Closes the Garden valve")


def test_a_partly_opened_valve_is_set_to_its_position() -> None:
    context = HomeContext(
        time_zone=ZONE, entities={VALVE: Entity(entity_id=VALVE, name="Garden valve")}
    )
    habit = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity=VALVE,
        target_state="open",
        time_of_day=time(6, 30),
        action_attributes=(("current_position", 40),),
        occurrences=20,
        days_observed=20,
        days_possible=24,
        confidence=0.9,
        adherence=0.83,
    )

    draft = compile_pattern(habit, context, dialect=Dialect.MODERN)

    assert draft.automation["actions"] == [
        {
            "action": "valve.set_valve_position",
            "target": {"entity_id": VALVE},
            "data": {"position": 40},
        }
    ]
    assert not judge(draft.automation, context).sensitive


@pytest.mark.parametrize("service", ["valve.close_valve", "valve.stop_valve", "valve.toggle"])
def test_an_edit_may_call_the_valve_services(service: str) -> None:
    before = {"actions": [{"action": "valve.open_valve", "target": {"entity_id": VALVE}}]}
    after = {"actions": [{"action": service, "target": {"entity_id": VALVE}}]}

    assert edit_refusal(before, after) is None


async def test_a_gas_valve_habit_is_flagged_for_a_careful_look(tmp_path: Path) -> None:
    context, patterns = await _home(tmp_path)
    gas = Entity(entity_id=VALVE, name="Boiler supply", device_class="gas")
    context = replace(context, entities={VALVE: gas})

    draft = compile_pattern(_opening_habit(patterns), context, dialect=Dialect.MODERN)
    verdict = judge(draft.automation, context)

    assert verdict.sensitive
    assert verdict.reason is not None
    assert "Moves the gas valve (Boiler supply) automatically" in verdict.reason
