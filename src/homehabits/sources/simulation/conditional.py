"""Habits that hold only under a condition, and actions that look like habits but are not.

The dark-only door → light sequence, the night-only motion → light, a lamp only while the TV
plays, a light's steady lunch duration beside its long dinners, and a trigger followed now
by "on", now by "off" (noise). Vectorised over the days and the events, as the other planters.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from homehabits.sources.simulation.actions import Actions
from homehabits.sources.simulation.clock import MICROS_PER_SECOND, Calendar
from homehabits.sources.simulation.habits import who_acts
from homehabits.sources.simulation.plan import (
    ContradictionPlan,
    GatedPlan,
    NightMotionPlan,
    SequencePlan,
    SlotPlan,
)

__all__ = [
    "plant_contradiction",
    "plant_dark_door",
    "plant_night_motion",
    "plant_slots",
    "plant_tv_evenings",
]

Floats = NDArray[np.float64]
Micros = NDArray[np.int64]
_DAY = 24 * 60


def _seconds(values: Floats) -> Micros:
    return np.round(values * MICROS_PER_SECOND).astype(np.int64)


def _manual(
    actions: Actions, rng: np.random.Generator, times: Micros, entity: str, state: str
) -> None:
    origin, user_id = who_acts(rng, int(times.size))
    actions.add(times, entity, state, origin, user_id)


def _events(
    calendar: Calendar, per_day: float, low: float, high: float, rng: np.random.Generator
) -> tuple[NDArray[np.int64], Floats]:
    """Random moments, Poisson per day, uniform between local minutes low and high."""
    counts = rng.poisson(per_day, calendar.count)
    day_index = np.repeat(np.arange(calendar.count), counts)
    return day_index, rng.uniform(low, high, day_index.size)


def plant_dark_door(
    calendar: Calendar, plan: SequencePlan, rng: np.random.Generator, actions: Actions
) -> None:
    """The door opens all day; only when the sun is down does a person switch the light on."""
    habit = plan.habit
    door = habit.trigger_entity or "binary_sensor.patio_door"
    day_index, minutes = _events(calendar, plan.openings_per_day, 6.5 * 60, 23 * 60, rng)
    order = np.argsort(calendar.at(day_index, minutes), kind="stable")
    day_index, minutes = day_index[order], minutes[order]
    opened = calendar.at(day_index, minutes)
    actions.add(opened, door, "on", "device")
    actions.add(opened + _seconds(rng.uniform(5, 60, opened.size)), door, "off", "device")
    sunset = calendar.sun_minutes("sunset")[day_index]
    sunrise = calendar.sun_minutes("sunrise")[day_index]
    dark = (minutes > sunset) | (minutes < sunrise)
    does = dark & (rng.random(opened.size) < habit.adherence)
    lag = habit.lag_seconds or 12.0
    lags = np.clip(rng.normal(lag, 0.3 * lag, opened.size), 1.0, 4 * lag)
    switched = opened[does] + _seconds(lags[does])
    _manual(actions, rng, switched, habit.target_entity, habit.target_state)
    off_after = rng.uniform(3 * 60, 30 * 60, switched.size)
    _manual(actions, rng, switched + _seconds(off_after), habit.target_entity, "off")


def plant_night_motion(
    calendar: Calendar, plan: NightMotionPlan, rng: np.random.Generator, actions: Actions
) -> None:
    """Motion on the stairs day and night; the light is switched on only in the night window."""
    habit = plan.habit
    sensor = habit.trigger_entity or "binary_sensor.stairs_motion"
    start, end = plan.night
    by_day = _events(calendar, plan.visits_per_day, 7 * 60, 21.5 * 60, rng)
    # night visits from the window's start to its end the next morning
    by_night = _events(calendar, plan.visits_per_night, start, end + _DAY, rng)
    day_index = np.concatenate([by_day[0], by_night[0]])
    minutes = np.concatenate([by_day[1], by_night[1]])
    seen = calendar.at(day_index, minutes)
    order = np.argsort(seen, kind="stable")
    seen, minutes = seen[order], minutes[order]
    clock = minutes % _DAY
    at_night = (clock >= start) | (clock < end)
    cleared = seen + _seconds(rng.uniform(20, 90, seen.size))
    actions.add(seen, sensor, "on", "device")
    actions.add(cleared, sensor, "off", "device")
    does = at_night & (rng.random(seen.size) < habit.adherence)
    lag = habit.lag_seconds or 3.0
    lags = np.clip(rng.normal(lag, 0.3 * lag, seen.size), 0.5, 4 * lag)
    switched = seen[does] + _seconds(lags[does])
    _manual(actions, rng, switched, habit.target_entity, habit.target_state)
    # off by hand after a while that varies too much to be a timer
    off_after = rng.uniform(2 * 60, 25 * 60, switched.size)
    _manual(actions, rng, switched + _seconds(off_after), habit.target_entity, "off")


def plant_slots(
    calendar: Calendar, plan: SlotPlan, rng: np.random.Generator, actions: Actions
) -> None:
    """On at lunch for a steady few minutes; on at dinner for as long as dinner lasts."""
    habit = plan.habit
    light = habit.target_entity
    days = np.arange(calendar.count)
    seconds = habit.duration_seconds or 600.0
    spread = max(habit.jitter_minutes * 60, 1.0)
    lunch = days[rng.random(days.size) < habit.adherence]
    on = calendar.at(lunch, rng.uniform(*plan.lunch, lunch.size))
    _manual(actions, rng, on, light, "on")
    lengths = np.clip(rng.normal(seconds, spread, on.size), 60.0, None)
    _manual(actions, rng, on + _seconds(lengths), light, "off")
    dinner = days[rng.random(days.size) < 0.8]
    on = calendar.at(dinner, rng.uniform(*plan.dinner, dinner.size))
    _manual(actions, rng, on, light, "on")
    lengths = rng.uniform(*plan.dinner_minutes, on.size) * 60
    _manual(actions, rng, on + _seconds(lengths), light, "off")


def plant_tv_evenings(
    calendar: Calendar, plan: GatedPlan, rng: np.random.Generator, actions: Actions
) -> NDArray[np.bool_]:
    """The TV plays on some evenings (by hand, at scattered times); the days it plays."""
    days = np.arange(calendar.count)
    plays = rng.random(days.size) < plan.evenings
    evenings = days[plays]
    _manual(
        actions,
        rng,
        calendar.at(evenings, rng.uniform(*plan.starts, evenings.size)),
        plan.tv,
        "playing",
    )
    _manual(
        actions, rng, calendar.at(evenings, rng.uniform(*plan.ends, evenings.size)), plan.tv, "off"
    )
    return plays


def plant_contradiction(
    calendar: Calendar, plan: ContradictionPlan, rng: np.random.Generator, actions: Actions
) -> None:
    """The stove starts; a person then switches the hood light on, or off, or does nothing."""
    day_index, minutes = _events(calendar, plan.per_day, 11 * 60, 20.5 * 60, rng)
    started = np.sort(calendar.at(day_index, minutes))
    actions.add(started, plan.trigger, "on", "device")
    actions.add(
        started + _seconds(rng.uniform(10, 40, started.size) * 60), plan.trigger, "off", "device"
    )
    pick = rng.random(started.size)
    after = started + _seconds(rng.uniform(15, 90, started.size))
    switch_on = pick < plan.on_share
    switch_off = (pick >= plan.on_share) & (pick < plan.on_share + plan.off_share)
    _manual(actions, rng, after[switch_on], plan.target, "on")
    _manual(actions, rng, after[switch_off], plan.target, "off")
    # the light is also on now and then for no reason, so that "off" has something to change
    extra_days, extra = _events(calendar, 1.5, 7 * 60, 22 * 60, rng)
    lit = calendar.at(extra_days, extra)
    _manual(actions, rng, lit, plan.target, "on")
    _manual(actions, rng, lit + _seconds(rng.uniform(5, 120, lit.size) * 60), plan.target, "off")
