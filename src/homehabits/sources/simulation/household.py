"""What real households do besides the demo's first habits: the choices, fixed or drawn.

More routines on one light, settings the person repeats (brightness, a setpoint), lights
switched together, habits gated by the dark, the night, presence or a TV, a habit that drifts
and one that stops; and the mess no habit explains: contact bounce, Home Assistant restarts,
a trigger followed by contradictory actions, and days when everyone is away.
"""

from __future__ import annotations

from datetime import time
from typing import Any, Final

from homehabits.patterns.habit import ALL_DAYS, WEEKDAYS, HabitKind
from homehabits.phrasing import days_phrase
from homehabits.sources.simulation.dice import Dice
from homehabits.sources.simulation.layout import entity_name
from homehabits.sources.simulation.model import PlantedHabit
from homehabits.sources.simulation.plan import (
    AwayPlan,
    BouncePlan,
    ClockPlan,
    ContradictionPlan,
    GatedPlan,
    HouseholdPlan,
    NightMotionPlan,
    RestartPlan,
    SequencePlan,
    SlotPlan,
)

__all__ = ["BOUNCY_ENTITIES", "household_plan"]

#: Lights and switches whose contacts may bounce (any of them, habit targets too).
BOUNCY_ENTITIES: Final = (
    "light.office_ceiling",
    "switch.towel_warmer",
    "light.hallway",
    "light.kitchen_ceiling",
    "light.garage",
    "switch.coffee_machine",
    "light.bedside",
    "light.kitchen_cabinet",
)
_SOMETIMES: Final = 0.85  # under randomize, each extra habit is planted with this chance


def _clock(minutes: float) -> time:
    whole = round(minutes) % (24 * 60)
    return time(whole // 60, whole % 60)


def _habit(
    dice: Dice,
    entity: str,
    state: str,
    minutes: float,
    *,
    days: tuple[int, ...] = ALL_DAYS,
    jitter: float = 6.0,
    adherence: float = 0.88,
    words: str = "",
    **fields: Any,
) -> PlantedHabit:
    """A clock habit; its words name the entity, state, time and days, then `words`."""
    day_words = days_phrase(days, short=True, joiner="+")
    described = f"{entity_name(entity)} {state} at {_clock(minutes):%H:%M} {day_words}"
    return PlantedHabit(
        kind=HabitKind.TIME_OF_DAY,
        target_entity=entity,
        target_state=state,
        time_of_day=_clock(minutes),
        weekdays=days,
        jitter_minutes=dice.jitter(jitter),
        adherence=dice.adherence(adherence),
        description=f"{described}{words}",
        **fields,
    )


def _lamp_plans(dice: Dice) -> list[ClockPlan]:
    """One lamp, two settings: dimmed late in the evening, full in the morning."""
    percent = dice.choose(30, (20, 30, 40, 50))
    brightness = int(percent * 255 / 100 + 0.5)  # 30 % is 77, as Home Assistant rounds
    night = dice.number(22 * 60 + 15, 21 * 60 + 30, 22 * 60 + 45, 5)
    morning = dice.number(6 * 60 + 50, 6 * 60 + 15, 7 * 60 + 30, 5)
    lamp = "light.reading_lamp"
    return [
        ClockPlan(
            _habit(
                dice,
                lamp,
                "on",
                night,
                attributes=(("brightness", brightness),),
                words=f" at {percent} %",
            ),
            opposite="off",
            after=(40, 110),
        ),
        ClockPlan(
            _habit(
                dice,
                lamp,
                "on",
                morning,
                days=WEEKDAYS,
                attributes=(("brightness", 255),),
                conditions=("weekdays",),
                words=" at 100 %",
            ),
            opposite="off",
            after=(25, 70),
        ),
    ]


def _two_routines(dice: Dice) -> list[ClockPlan]:
    """The same light on two days at two times: two habits, never one merged in between."""
    light = "light.kitchen_island"
    # drawn, each routine holds two weekdays: one weekday is at most five days of a 30-day
    # window, at the evidence floor (min_occurrences) before a single day is missed
    first_days, second_days = dice.choose(
        ((6,), (1,)),
        (((6, 5), (1, 3)), ((5, 6), (2, 4)), ((0, 3), (6, 5)), ((6, 2), (1, 4))),
    )
    first = dice.number(8 * 60 + 14, 7 * 60 + 30, 9 * 60 + 30)
    second = first + dice.number(42, 35, 80)
    return [
        ClockPlan(
            _habit(dice, light, "on", minutes, days=tuple(sorted(days)), jitter=4.0, adherence=0.9),
            opposite="off",
            after=(30, 120),
        )
        for days, minutes in ((first_days, first), (second_days, second))
    ]


def _thermostat(dice: Dice, override_climate: str) -> ClockPlan:
    """The thermostat set to the same temperature at bedtime, off again by an automation."""
    climate = "climate.bedroom" if override_climate != "climate.bedroom" else "climate.living_room"
    setpoint = dice.choose(19.5, (18.5, 19.0, 19.5, 20.0, 20.5))
    return ClockPlan(
        _habit(
            dice,
            climate,
            "heat",
            dice.number(22 * 60 + 40, 21 * 60 + 45, 23 * 60, 5),
            attributes=(("temperature", setpoint),),
            words=f" set to {setpoint} °C",
        ),
        opposite="off",
        opposite_by_automation_at=7 * 60 + 30,
    )


def _group(dice: Dice) -> ClockPlan:
    """Three lights switched on by hand within a minute every evening, while someone is home."""
    members = ("light.sofa_lamp", "light.shelf_lights", "light.corner_lamp")
    leader = dice.choose(members[0], members)
    others = tuple(member for member in members if member != leader)
    return ClockPlan(
        _habit(
            dice,
            leader,
            "on",
            dice.number(19 * 60 + 30, 18 * 60 + 30, 20 * 60 + 30, 5),
            group=others,
            conditions=("home",),
            words=" with " + " and ".join(entity_name(other) for other in others),
        ),
        opposite="off",
        after=(150, 240),
    )


def _drifting(dice: Dice, days: int) -> ClockPlan:
    """Blinds opened a little later week by week (as the mornings get darker)."""
    drift = dice.number(25, 15, 30)
    return ClockPlan(
        _habit(
            dice,
            "cover.kitchen_blinds",
            "open",
            dice.number(7 * 60 + 40, 6 * 60 + 50, 8 * 60 + 20, 5),
            drift_minutes=drift * days / 30,
            words=f", {drift:.0f} min later a month on",
        ),
        opposite="closed",
        after=(540, 780),
    )


def _stopped(dice: Dice) -> ClockPlan:
    """A habit the household stopped two thirds into the window: never to be suggested."""
    return ClockPlan(
        _habit(
            dice,
            "switch.dehumidifier",
            "on",
            dice.number(9 * 60, 8 * 60, 10 * 60 + 30, 5),
            stopped=True,
            words=", stopped in the last third",
        ),
        opposite="off",
        after=(60, 180),
    )


def _gated(dice: Dice) -> GatedPlan:
    """An LED strip switched on at a time, only on the evenings the bedroom TV plays."""
    tv = "media_player.bedroom_tv"
    return GatedPlan(
        habit=ClockPlan(
            _habit(
                dice,
                "light.bedroom_strip",
                "on",
                dice.number(22 * 60 + 30, 22 * 60 + 15, 23 * 60, 5),
                conditions=(f"state:{tv}=playing",),
                words=" while the bedroom TV plays",
            ),
            opposite="off",
            after=(40, 100),
        ),
        tv=tv,
        evenings=dice.number(0.55, 0.4, 0.7, 0.05),
        starts=(19.5 * 60, 22 * 60),
        ends=(23.25 * 60, 24.75 * 60),
    )


def _dark_door(dice: Dice) -> SequencePlan:
    """The patio light after the patio door opens, only when it is dark."""
    lag = dice.number(12, 5, 30)
    return SequencePlan(
        PlantedHabit(
            kind=HabitKind.SEQUENCE,
            target_entity="light.patio",
            target_state="on",
            trigger_entity="binary_sensor.patio_door",
            trigger_state="on",
            lag_seconds=lag,
            adherence=dice.adherence(0.85),
            conditions=("dark",),
            description=f"Patio light on about {lag:.0f} s after the patio door opens, when dark",
        ),
        openings_per_day=dice.number(5, 3, 7, 0.5),
    )


def _night_motion(dice: Dice) -> NightMotionPlan:
    """The stairs light on when the stairs motion sensor sees someone, only at night."""
    return NightMotionPlan(
        PlantedHabit(
            kind=HabitKind.SEQUENCE,
            target_entity="light.stairs",
            target_state="on",
            trigger_entity="binary_sensor.stairs_motion",
            trigger_state="on",
            lag_seconds=dice.number(3, 2, 8),
            adherence=dice.adherence(0.85),
            conditions=("night",),
            description="Stairs light on when the stairs motion sensor sees someone, at night",
        ),
        night=(dice.number(22 * 60, 21 * 60 + 30, 23 * 60, 15), 6.5 * 60),
        visits_per_night=dice.number(3, 2, 4, 0.5),
    )


def _slots(dice: Dice) -> SlotPlan:
    """A table light on about ten minutes at lunch; at dinner for as long as dinner lasts."""
    seconds = dice.number(600, 420, 900, 30)
    return SlotPlan(
        PlantedHabit(
            kind=HabitKind.AUTO_OFF,
            target_entity="light.kitchen_table",
            target_state="off",
            duration_seconds=seconds,
            jitter_minutes=round(seconds * 0.08 / 60, 2),
            adherence=dice.adherence(0.9),
            description=f"Kitchen table light off {seconds / 60:.0f} min after it is switched on at lunch",
        )
    )


def _bounces(dice: Dice) -> BouncePlan:
    entities = dice.some(("light.office_ceiling", "switch.towel_warmer"), BOUNCY_ENTITIES, (1, 3))
    base = tuple(
        dice.number(default, 7 * 60, 22 * 60, 5)
        for default, _ in zip((14 * 60 + 20, 9 * 60 + 5, 18 * 60), entities, strict=False)
    )
    return BouncePlan(
        entities=entities,
        day_share=dice.number(0.35, 0.2, 0.5, 0.05),
        per_day=dice.number(4, 2, 8, 0.5),
        clustered=0.6,
        base_minutes=base,
    )


def _restarts(dice: Dice, days: int) -> RestartPlan:
    count = dice.whole(2, 1, 4)
    last = max(1, days - 1)
    defaults = ((5, 14 * 60 + 7), (19, 9 * 60 + 41))
    times = tuple(
        (
            dice.whole(min(defaults[index % 2][0], last), 1, last),
            dice.number(defaults[index % 2][1], 0, 24 * 60 - 1, 0.5),
        )
        for index in range(count)
    )
    nightly = 3 * 60 + 30 if dice.maybe(False, 0.35) else None
    return RestartPlan(times=times, nightly=nightly)


def _away(dice: Dice, days: int) -> AwayPlan | None:
    """Days away: a long weekend in the demo (Friday afternoon to Monday evening, short
    enough for today's miners to keep its habits), four to nine days in a random home."""
    length = dice.whole(3, 4, 9)
    if days < max(21, 3 * length):
        return None  # a short window would be more away than home
    return AwayPlan(
        first_day=dice.whole(8, 2, days - length - 2),
        leave_minute=dice.number(15 * 60, 8 * 60, 17 * 60, 5),
        days=length,
        back_minute=dice.number(18 * 60, 12 * 60, 21 * 60, 5),
    )


def household_plan(seed: int, randomize: bool, days: int, override_climate: str) -> HouseholdPlan:
    """The household's extra habits and mess; `days` is the window's length.

    Drawn with dice of their own, so that the first habits of a seed stay as they were.
    """
    dice = Dice(seed, randomize, stream=6)
    clocks: list[ClockPlan] = []
    for planned in (
        _lamp_plans(dice),
        _two_routines(dice),
        [_thermostat(dice, override_climate)],
        [_group(dice)],
        [_drifting(dice, days)],
        [_stopped(dice)],
    ):
        if dice.maybe(True, _SOMETIMES):
            clocks += planned
    gated, dark_door, night_motion, slots = (
        _gated(dice),
        _dark_door(dice),
        _night_motion(dice),
        _slots(dice),
    )
    present = [dice.maybe(True, _SOMETIMES) for _ in range(5)]
    return HouseholdPlan(
        clocks=tuple(clocks),
        dark_door=dark_door if present[0] else None,
        night_motion=night_motion if present[1] else None,
        slots=slots if present[2] else None,
        gated=gated if present[3] else None,
        contradiction=ContradictionPlan("binary_sensor.stove", "light.cooker_hood")
        if present[4]
        else None,
        bounces=_bounces(dice),
        restarts=_restarts(dice, days),
        away=_away(dice, days),
    )
