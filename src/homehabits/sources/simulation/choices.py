"""Which habits the simulated people have: the fixed demo set, or one drawn from the seed."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from typing import Final

from homehabits.patterns.habit import ALL_DAYS, WEEKDAYS, WEEKENDS, HabitKind
from homehabits.phrasing import days_phrase
from homehabits.sources.simulation.dice import Dice
from homehabits.sources.simulation.household import household_plan
from homehabits.sources.simulation.layout import entity_name
from homehabits.sources.simulation.model import PlantedHabit
from homehabits.sources.simulation.plan import (
    PEOPLE,
    ClockPlan,
    HomePlan,
    MotionPlan,
    OverridePlan,
    PresencePlan,
    RoutinePlan,
    SequencePlan,
)

__all__ = ["make_plan"]

# Entities no habit ever acts on, toggled now and then by hand: the noise.
_ALWAYS_RANDOM: Final = ("light.garage", "switch.coffee_machine")


def _clock(minutes: float) -> time:
    whole = round(minutes) % (24 * 60)
    return time(whole // 60, whole % 60)


def _day_words(weekdays: tuple[int, ...]) -> str:
    return days_phrase(weekdays, short=True, joiner="+")


def _time_habit(
    entity: str,
    state: str,
    minutes: float,
    days: tuple[int, ...],
    dice: Dice,
    jitter: float,
    adherence: float = 0.85,
) -> PlantedHabit:
    return PlantedHabit(
        kind=HabitKind.TIME_OF_DAY,
        target_entity=entity,
        target_state=state,
        time_of_day=_clock(minutes),
        weekdays=days,
        jitter_minutes=dice.jitter(jitter),
        adherence=dice.adherence(adherence),
        description=f"{entity_name(entity)} {state} at {_clock(minutes):%H:%M} {_day_words(days)}",
    )


def _clock_plans(dice: Dice) -> tuple[ClockPlan, ...]:
    kitchen = dice.choose(
        "light.kitchen_ceiling", ("light.kitchen_ceiling", "light.kitchen_cabinet")
    )
    kitchen_days = dice.choose(WEEKDAYS, (WEEKDAYS, WEEKENDS))
    bedroom = dice.choose("light.bedroom_ceiling", ("light.bedroom_ceiling", "light.bedside"))
    late = dice.choose(
        "light.living_room_ceiling", ("light.living_room_ceiling", "light.dining_pendant")
    )
    office = dice.choose("light.office_desk", ("light.office_desk", "light.office_ceiling"))
    blinds = dice.choose(
        "cover.bedroom_blinds", ("cover.bedroom_blinds", "cover.living_room_blinds")
    )
    porch = dice.choose("light.porch", ("light.porch", "light.garden_spots"))
    morning = dice.number(6 * 60 + 45, 5 * 60 + 45, 8 * 60 + 30)
    offset = int(dice.number(15, -30, 45))
    sun_name = entity_name(porch)
    return (
        ClockPlan(
            _time_habit(kitchen, "on", morning, kitchen_days, dice, 6, 0.9),
            opposite="off",
            after=(30, 165),
            other_days=(0.7, 90, 300),
        ),
        ClockPlan(
            _time_habit(
                bedroom, "off", dice.number(22 * 60 + 30, 21 * 60, 23 * 60 + 15), ALL_DAYS, dice, 8
            ),
            opposite="on",
            before=(60, 210),
        ),
        ClockPlan(
            _time_habit(
                late,
                "off",
                dice.number(23 * 60 + 50, 23 * 60 + 35, 24 * 60 + 10),
                ALL_DAYS,
                dice,
                10,
            ),
            opposite="on",
            before=(180, 390),
        ),
        ClockPlan(
            _time_habit(
                office,
                "on",
                dice.number(8 * 60 + 10, 7 * 60 + 30, 10 * 60),
                dice.days((1, 3), (2, 3)),
                dice,
                7,
            ),
            opposite="off",
            after=(180, 480),
            other_days=(0.35, 60, 360),
        ),
        ClockPlan(
            _time_habit(
                blinds, "open", dice.number(7 * 60 + 15, 6 * 60 + 30, 9 * 60), ALL_DAYS, dice, 9
            ),
            opposite="closed",
        ),
        ClockPlan(
            _time_habit(
                blinds,
                "closed",
                dice.number(21 * 60 + 45, 20 * 60, 22 * 60 + 30),
                ALL_DAYS,
                dice,
                8,
            ),
            opposite="open",
        ),
        ClockPlan(
            _time_habit(
                "lock.front_door",
                "locked",
                dice.number(23 * 60, 22 * 60, 23 * 60 + 30),
                ALL_DAYS,
                dice,
                10,
            ),
            opposite="unlocked",
            before=(780, 990),
        ),
        ClockPlan(
            _time_habit(
                "cover.garage_door",
                "open",
                dice.number(7 * 60 + 35, 6 * 60 + 45, 8 * 60 + 30),
                WEEKDAYS,
                dice,
                6,
            ),
            opposite="closed",
            closed_by_automation_after=5.0,
            other_days=(0.3, 150, 480),
        ),
        ClockPlan(
            PlantedHabit(
                kind=HabitKind.SUN,
                target_entity=porch,
                target_state="on",
                sun_event="sunset",
                sun_offset_minutes=offset,
                jitter_minutes=dice.jitter(6),
                adherence=dice.adherence(0.9),
                description=f"{sun_name} on {abs(offset)} min {'after' if offset >= 0 else 'before'} sunset",
            ),
            opposite="off",
        ),
    )


def _slug(text: str) -> str:
    """An object id as Home Assistant makes one from a name."""
    cleaned = "".join(char if char.isalnum() else "_" for char in text.lower())
    return "_".join(part for part in cleaned.split("_") if part)


def _override_plan(dice: Dice) -> OverridePlan:
    climate = dice.choose("climate.living_room", ("climate.living_room", "climate.bedroom"))
    minutes = dice.number(6 * 60, 5 * 60 + 30, 7 * 60, 5)
    days = dice.choose(WEEKENDS, (WEEKENDS, ALL_DAYS))
    lag = dice.number(360, 120, 900, 10)
    alias = f"Heating on at {_clock(minutes):%H:%M}"
    thermostat = entity_name(climate)
    return OverridePlan(
        habit=PlantedHabit(
            kind=HabitKind.OVERRIDE,
            target_entity=climate,
            target_state="off",
            trigger_entity=f"automation.{_slug(alias)}",
            trigger_state="heat",
            time_of_day=_clock(minutes),
            weekdays=days,
            lag_seconds=lag,
            automation_id="heating_morning",
            adherence=dice.adherence(0.85),
            description=f"{thermostat} switched back off after the {_clock(minutes):%H:%M} heating automation {_day_words(days)}",
        ),
        automation_alias=alias,
        automation_entity=f"automation.{_slug(alias)}",
    )


def _presence_plan(dice: Dice, garage: ClockPlan) -> PresencePlan:
    choices = (
        "light.living_room_lamp",
        "media_player.living_room_tv",
        "media_player.kitchen_radio",
    )
    targets: tuple[str, ...] = ("light.living_room_lamp", "media_player.living_room_tv")
    if dice.choose(False, (True,)):
        targets = (choices[0], dice.choose(choices[1], choices[1:]))
    people = tuple(person for person, _, _ in PEOPLE)
    habits = []
    for target, lag in zip(targets, (120.0, 100.0), strict=True):
        habits.append(
            PlantedHabit(
                kind=HabitKind.PRESENCE,
                target_entity=target,
                target_state="off",
                trigger_state="not_home",
                lag_seconds=dice.number(lag, 30, 300, 10),
                adherence=dice.adherence(0.9),
                description=f"{entity_name(target)} off when everyone has left",
                related_entities=people,
            )
        )
    clock = garage.habit.time_of_day or time(7, 35)
    leaves = clock.hour * 60 + clock.minute + 2.0
    return PresencePlan(
        habits=tuple(habits),
        first_leaves=leaves,
        second_leaves=leaves + dice.number(45, 20, 60),
    )


def _with_day_words(clock: ClockPlan) -> ClockPlan:
    """A habit kept to weekdays (or weekends) says so in its conditions too."""
    words = {WEEKDAYS: ("weekdays",), WEEKENDS: ("weekend",)}.get(clock.habit.weekdays)
    if clock.habit.kind is not HabitKind.TIME_OF_DAY or words is None:
        return clock
    return replace(clock, habit=replace(clock.habit, conditions=words))


def make_plan(seed: int, randomize: bool, days: int = 30) -> HomePlan:
    """The habits of the demo home, or (randomize) a set drawn from the seed.

    `days`: the window's length, for what happens on some days of it (a stopped habit,
    the days away).
    """
    dice = Dice(seed, randomize)
    clocks = tuple(_with_day_words(clock) for clock in _clock_plans(dice))
    hallway = dice.choose("light.hallway", ("light.hallway", "light.entrance"))
    lag = dice.number(25, 5, 60)
    sequence = SequencePlan(
        PlantedHabit(
            kind=HabitKind.SEQUENCE,
            target_entity=hallway,
            target_state="on",
            trigger_entity="binary_sensor.front_door",
            trigger_state="on",
            lag_seconds=lag,
            adherence=dice.adherence(0.8),
            description=f"{entity_name(hallway)} on about {lag:.0f} s after the front door opens",
        )
    )
    bathroom = dice.choose(
        "light.bathroom_ceiling", ("light.bathroom_ceiling", "light.bathroom_mirror")
    )
    delay = dice.number(120, 60, 300, 10)
    bathroom_name = entity_name(bathroom)
    motion = MotionPlan(
        switch_on=PlantedHabit(
            kind=HabitKind.SEQUENCE,
            target_entity=bathroom,
            target_state="on",
            trigger_entity="binary_sensor.bathroom_motion",
            trigger_state="on",
            lag_seconds=dice.number(4, 2, 10),
            adherence=dice.adherence(0.9),
            description=f"{bathroom_name} on when the bathroom motion sensor sees someone",
        ),
        switch_off=PlantedHabit(
            kind=HabitKind.AUTO_OFF,
            target_entity=bathroom,
            target_state="off",
            trigger_entity="binary_sensor.bathroom_motion",
            trigger_state="off",
            duration_seconds=delay,
            adherence=dice.adherence(0.85),
            description=f"{bathroom_name} off {delay / 60:.0f} min after the bathroom is empty",
        ),
    )
    fan = dice.choose("fan.bathroom_extractor", ("fan.bathroom_extractor", "switch.towel_warmer"))
    duration = dice.number(900, 300, 1800, 30)
    auto_off = PlantedHabit(
        kind=HabitKind.AUTO_OFF,
        target_entity=fan,
        target_state="off",
        duration_seconds=duration,
        jitter_minutes=round(duration * 0.07 / 60, 2),  # the spread of the duration
        adherence=dice.adherence(0.9),
        description=f"{entity_name(fan)} off {duration / 60:.0f} min after it is switched on",
    )
    override = _override_plan(dice)
    presence = _presence_plan(dice, clocks[7])
    routines = RoutinePlan(porch_light=clocks[8].habit.target_entity)
    household = household_plan(seed, randomize, days, override.habit.target_entity)
    plan = HomePlan(
        clocks=clocks,
        sequence=sequence,
        motion=motion,
        auto_off=auto_off,
        override=override,
        presence=presence,
        routines=routines,
        random_entities=(),
        household=household,
    )
    used = {habit.target_entity for habit in plan.truth}
    pools = [
        "light.kitchen_ceiling",
        "light.kitchen_cabinet",
        "light.bedroom_ceiling",
        "light.bedside",
        "light.living_room_ceiling",
        "light.dining_pendant",
        "light.office_desk",
        "light.office_ceiling",
        "light.hallway",
        "light.entrance",
        "light.bathroom_ceiling",
        "light.bathroom_mirror",
        "fan.bathroom_extractor",
        "switch.towel_warmer",
        "media_player.kitchen_radio",
        "climate.living_room",
        "climate.bedroom",
        "cover.living_room_blinds",
        "cover.bedroom_blinds",
    ]
    spare = tuple(entity for entity in pools if entity not in used)
    return HomePlan(
        clocks=clocks,
        sequence=sequence,
        motion=motion,
        auto_off=auto_off,
        override=override,
        presence=presence,
        routines=routines,
        random_entities=(*_ALWAYS_RANDOM, *spare),
        household=household,
    )
