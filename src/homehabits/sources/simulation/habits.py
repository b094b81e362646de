"""The simulated people acting on their habits, day by day, vectorised over the days."""

from __future__ import annotations

import json
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from homehabits.patterns.habit import HabitKind
from homehabits.sources.simulation.actions import Actions
from homehabits.sources.simulation.clock import MICROS_PER_SECOND, Calendar
from homehabits.sources.simulation.model import PlantedHabit
from homehabits.sources.simulation.plan import (
    OFF_STATES,
    ON_STATES,
    PEOPLE,
    ClockPlan,
    MotionPlan,
    OverridePlan,
    PresencePlan,
    SequencePlan,
)

__all__ = [
    "front_door_openings",
    "light_attributes",
    "plant_auto_off",
    "plant_clock",
    "plant_motion",
    "plant_override",
    "plant_presence",
    "plant_sequence",
    "stop_day",
    "who_acts",
]

Floats = NDArray[np.float64]
Micros = NDArray[np.int64]
_USER_IDS: Final = np.array([user_id for _, user_id, _ in PEOPLE], dtype=object)
_BRIGHTNESS: Final = np.array(
    ['{"brightness": 128}', '{"brightness": 200}', '{"brightness": 255}'], dtype=object
)
_STRAY_SHARE: Final = 0.6  # on a day the habit is skipped, the person still acts, at another time


def who_acts(
    rng: np.random.Generator, count: int, share_user: float = 0.5
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Origin and user id of manual actions: a person in the app (user) or at the switch (device)."""
    by_user = rng.random(count) < share_user
    person = rng.integers(0, len(PEOPLE), count)
    return np.where(by_user, "user", "device"), _only_where(by_user, _USER_IDS[person])


def _only_where(mask: NDArray[np.bool_], values: NDArray[Any]) -> NDArray[Any]:
    """The values where mask is set, None elsewhere."""
    result = np.full(mask.size, None, dtype=object)
    result[mask] = values[mask]
    return result


def light_attributes(
    entity_id: str, state: str, rng: np.random.Generator, count: int
) -> NDArray[Any] | None:
    """The brightness a light is switched on at; nothing for other entities and states."""
    if not entity_id.startswith("light.") or state != "on":
        return None
    return _BRIGHTNESS[rng.integers(0, len(_BRIGHTNESS), count)]


def _act(
    actions: Actions,
    rng: np.random.Generator,
    times: Micros,
    entity_id: str,
    state: str,
    attributes: str | None = None,
) -> None:
    """Manual actions; `attributes` (JSON) is what the person sets each time, else a light's
    brightness is one of a few."""
    origin, user_id = who_acts(rng, int(times.size))
    chosen = attributes or light_attributes(entity_id, state, rng, int(times.size))
    actions.add(times, entity_id, state, origin, user_id, chosen)


def stop_day(calendar: Calendar) -> int:
    """The first day of the window's last third: a stopped habit is not done from then on."""
    window_days = calendar.count - 1  # the first day is the warm-up day
    return 1 + round(window_days * 2 / 3)


def _seconds(values: Floats) -> Micros:
    return np.round(values * MICROS_PER_SECOND).astype(np.int64)


def plant_clock(
    calendar: Calendar,
    plan: ClockPlan,
    rng: np.random.Generator,
    actions: Actions,
    allowed: NDArray[np.bool_] | None = None,
) -> Floats:
    """Act on a time-of-day or sun habit; the local minutes of each day's act (NaN: none).

    `allowed`: the days its condition holds (e.g. the TV plays); on others nobody acts.
    """
    habit = plan.habit
    days = calendar.count
    if habit.kind is HabitKind.SUN:
        base = calendar.sun_minutes(habit.sun_event or "sunset") + (habit.sun_offset_minutes or 0)
    else:
        clock = habit.time_of_day
        base = np.full(days, (clock.hour * 60 + clock.minute) if clock else 0.0)
    if habit.drift_minutes:
        # the time moves steadily over the window; time_of_day is the one in its middle
        base = base + habit.drift_minutes * (np.arange(days) / max(days - 1, 1) - 0.5)
    in_set = np.isin(calendar.weekdays, habit.weekdays)
    chance = rng.random((2, days))
    adhered = in_set & (chance[0] < habit.adherence)
    stray = in_set & ~adhered & (chance[1] < _STRAY_SHARE)
    minutes = base + rng.normal(0.0, habit.jitter_minutes, days) + rng.random(days) / 60
    away = rng.choice([-1.0, 1.0], days) * rng.uniform(60, 180, days)
    minutes = np.where(stray, base + away, minutes)
    acted = adhered | stray
    if plan.other_days is not None:
        share, low, high = plan.other_days
        other = ~in_set & (chance[1] < share)
        minutes = np.where(other, base + rng.uniform(low, high, days), minutes)
        acted |= other
    if allowed is not None:
        acted &= allowed
    if habit.stopped:
        acted &= np.arange(days) < stop_day(calendar)
    day_index = np.nonzero(acted)[0]
    when = minutes[day_index]
    attributes = json.dumps(dict(habit.attributes)) if habit.attributes else None
    for number, entity in enumerate((habit.target_entity, *habit.group)):
        # the others of a group follow within the minute, one after another
        moment = when + rng.uniform(3, 25, day_index.size) * number / 60 if number else when
        _act(actions, rng, calendar.at(day_index, moment), entity, habit.target_state, attributes)
        if plan.before is not None:
            earlier = moment - rng.uniform(*plan.before, day_index.size)
            _act(actions, rng, calendar.at(day_index, earlier), entity, plan.opposite)
        if plan.after is not None:
            later = moment + rng.uniform(*plan.after, day_index.size)
            _act(actions, rng, calendar.at(day_index, later), entity, plan.opposite)
    if plan.opposite_by_automation_at is not None:
        every = np.arange(days)
        fired = calendar.at(
            every, plan.opposite_by_automation_at + rng.uniform(0.05, 1.5, days) / 60
        )
        actions.add(fired, habit.target_entity, plan.opposite, "automation")
    if plan.closed_by_automation_after is not None:
        # a "for:" state trigger fires when the time is up, a fraction of a second late
        delay = plan.closed_by_automation_after * 60 + rng.uniform(0.05, 1.5, day_index.size)
        fired = calendar.at(day_index, when) + _seconds(delay)
        actions.add(fired, habit.target_entity, plan.opposite, "automation")
    return np.where(acted, minutes, np.nan)


def front_door_openings(calendar: Calendar, per_day: float, rng: np.random.Generator) -> Micros:
    """Random comings and goings through the front door between 07:00 and 22:00."""
    counts = rng.poisson(per_day, calendar.count)
    day_index = np.repeat(np.arange(calendar.count), counts)
    return calendar.at(day_index, rng.uniform(7 * 60, 22 * 60, day_index.size))


def plant_sequence(
    openings: Micros, plan: SequencePlan, rng: np.random.Generator, actions: Actions
) -> None:
    """The door opens and closes; most times a person switches the light on soon after."""
    habit = plan.habit
    trigger = habit.trigger_entity or "binary_sensor.front_door"
    openings = np.sort(openings)
    actions.add(openings, trigger, "on", "device")
    actions.add(openings + _seconds(rng.uniform(5, 40, openings.size)), trigger, "off", "device")
    lag = habit.lag_seconds or 20.0
    does = rng.random(openings.size) < habit.adherence
    lags = np.clip(rng.normal(lag, max(2.0, 0.3 * lag), openings.size), max(1.0, lag / 3), 3 * lag)
    switched_on = openings[does] + _seconds(lags[does])
    _act(actions, rng, switched_on, habit.target_entity, habit.target_state)
    off_after = rng.uniform(2 * 60, 25 * 60, switched_on.size)
    _act(actions, rng, switched_on + _seconds(off_after), habit.target_entity, "off")


def plant_motion(
    calendar: Calendar, plan: MotionPlan, rng: np.random.Generator, actions: Actions
) -> None:
    """Bathroom visits: motion, the light on by hand, off a steady while after the room empties."""
    sensor = plan.switch_on.trigger_entity or "binary_sensor.bathroom_motion"
    light = plan.switch_on.target_entity
    counts = rng.poisson(plan.visits_per_day, calendar.count)
    day_index = np.repeat(np.arange(calendar.count), counts)
    arrive = np.sort(calendar.at(day_index, rng.uniform(6 * 60, 23.5 * 60, day_index.size)))
    leave = arrive + _seconds(rng.uniform(60, 20 * 60, arrive.size))
    actions.add(arrive, sensor, "on", "device")
    actions.add(leave, sensor, "off", "device")
    lag = plan.switch_on.lag_seconds or 4.0
    switched = rng.random(arrive.size) < plan.switch_on.adherence
    lags = np.clip(rng.normal(lag, 0.3 * lag, arrive.size), 0.5, 4 * lag)
    _act(actions, rng, arrive[switched] + _seconds(lags[switched]), light, "on")
    delay = plan.switch_off.duration_seconds or 120.0
    steady = rng.random(arrive.size) < plan.switch_off.adherence
    waits = np.where(
        steady,
        np.clip(rng.normal(delay, 0.15 * delay, arrive.size), 10.0, None),
        rng.uniform(10 * 60, 40 * 60, arrive.size),
    )
    _act(actions, rng, leave[switched] + _seconds(waits[switched]), light, "off")


def plant_auto_off(
    calendar: Calendar, habit: PlantedHabit, rng: np.random.Generator, actions: Actions
) -> None:
    """Switched on by hand at any time of day, off again by hand after a steady while."""
    entity = habit.target_entity
    domain = entity.split(".", 1)[0]
    counts = rng.poisson(2.0, calendar.count)
    day_index = np.repeat(np.arange(calendar.count), counts)
    switched_on = calendar.at(day_index, rng.uniform(6 * 60, 23 * 60, day_index.size))
    duration = habit.duration_seconds or 900.0
    steady = rng.random(switched_on.size) < habit.adherence
    spread = max(habit.jitter_minutes * 60, 1.0)
    lengths = np.where(
        steady,
        np.clip(rng.normal(duration, spread, switched_on.size), 30.0, None),
        rng.uniform(30 * 60, 90 * 60, switched_on.size),
    )
    _act(actions, rng, switched_on, entity, ON_STATES.get(domain, "on"))
    _act(actions, rng, switched_on + _seconds(lengths), entity, habit.target_state)


def plant_override(
    calendar: Calendar, plan: OverridePlan, rng: np.random.Generator, actions: Actions
) -> None:
    """The heating automation runs every morning; on the habit's days a person turns it back off."""
    habit = plan.habit
    climate = habit.target_entity
    clock = habit.time_of_day
    morning = (clock.hour * 60 + clock.minute) if clock else 360
    days = np.arange(calendar.count)
    # an automation acts a fraction of a second after its time trigger fires
    fired = calendar.at(days, morning + rng.uniform(0.05, 1.5, days.size) / 60)
    actions.add(fired, climate, "heat", "automation", None, '{"temperature": 21.0}')
    evening = plan.evening_off.hour * 60 + plan.evening_off.minute
    actions.add(
        calendar.at(days, evening + rng.uniform(0.05, 1.5, days.size) / 60),
        climate,
        "off",
        "automation",
    )
    lag = habit.lag_seconds or 300.0
    reverts = np.isin(calendar.weekdays, habit.weekdays) & (rng.random(days.size) < habit.adherence)
    lags = np.clip(rng.normal(lag, 0.3 * lag, days.size), 30.0, None)
    origin, user_id = who_acts(rng, days.size, share_user=0.7)
    actions.add(
        fired[reverts] + _seconds(lags[reverts]),
        climate,
        habit.target_state,
        origin[reverts],
        user_id[reverts],
    )


def _on_at(
    calendar: Calendar,
    entity: str,
    days: NDArray[np.bool_],
    low: Floats,
    high: Floats,
    rng: np.random.Generator,
    actions: Actions,
) -> None:
    day_index = np.nonzero(days & (high > low))[0]
    minutes = rng.uniform(low[day_index], high[day_index])
    _act(actions, rng, calendar.at(day_index, minutes), entity, ON_STATES[entity.split(".", 1)[0]])


def plant_presence(
    calendar: Calendar,
    plan: PresencePlan,
    garage: Floats,
    rng: np.random.Generator,
    actions: Actions,
) -> Micros:
    """Two people leave and come back; when both are out the last one switches things off.

    Returns the front door openings of their comings and goings.
    """
    n = calendar.count
    weekday = calendar.weekdays < 5
    chance = rng.random((3, n))
    outing = ~weekday & (chance[2] < 0.55)  # both go out together at the weekend
    outing_start = rng.uniform(10 * 60, 15 * 60, n)
    anna_leaves = np.where(
        np.isfinite(garage), garage + rng.uniform(1, 3, n), plan.first_leaves + rng.normal(0, 8, n)
    )
    anna_leaves = np.where(outing, outing_start, anna_leaves)
    ben_leaves = np.where(
        outing, outing_start + rng.uniform(0, 1.5, n), plan.second_leaves + rng.normal(0, 10, n)
    )
    anna_back = np.where(
        outing, outing_start + rng.uniform(60, 240, n), 17.5 * 60 + rng.normal(0, 40, n)
    )
    ben_back = np.where(
        outing, anna_back + rng.uniform(0.2, 1.5, n), 18.25 * 60 + rng.normal(0, 45, n)
    )
    anna_out = (weekday & (chance[0] < 0.95)) | outing
    ben_out = (weekday & (chance[1] < 0.9)) | outing
    doors: list[Micros] = []
    for (person, _, _), out, leaves, back in (
        (PEOPLE[0], anna_out, anna_leaves, anna_back),
        (PEOPLE[1], ben_out, ben_leaves, ben_back),
    ):
        day_index = np.nonzero(out)[0]
        actions.add(calendar.at(day_index, leaves[day_index]), person, "not_home", "device")
        actions.add(calendar.at(day_index, back[day_index]), person, "home", "device")
        doors.append(
            calendar.at(day_index, back[day_index] + rng.uniform(0.1, 1.0, day_index.size))
        )
    # Anna drives off through the garage on weekdays; every other leaving is by the front door
    front = np.nonzero(ben_out)[0]
    doors.append(calendar.at(front, ben_leaves[front] - rng.uniform(0.3, 1.5, front.size)))
    together = np.nonzero(outing)[0]
    doors.append(
        calendar.at(together, anna_leaves[together] - rng.uniform(0.3, 1.5, together.size))
    )

    both = anna_out & ben_out
    first = np.minimum(anna_leaves, ben_leaves)
    last = np.maximum(anna_leaves, ben_leaves)
    last_user = np.where(anna_leaves >= ben_leaves, PEOPLE[0][1], PEOPLE[1][1])
    # spread wide enough over the morning not to be a time-of-day habit of its own
    morning_from = np.where(weekday, 5 * 60, 8 * 60)
    for habit in plan.habits:
        entity = habit.target_entity
        # the things are on in the morning before anyone leaves, and again in the evening
        _on_at(
            calendar,
            entity,
            (anna_out | ben_out) & (rng.random(n) < 0.9),
            morning_from,
            first - 10,
            rng,
            actions,
        )
        evening = rng.random(n) < 0.8
        _on_at(calendar, entity, evening, np.full(n, 18.5 * 60), np.full(n, 21 * 60), rng, actions)
        late = np.nonzero(evening)[0]
        _act(
            actions,
            rng,
            calendar.at(late, rng.uniform(21.5 * 60, 24.5 * 60, late.size)),
            entity,
            OFF_STATES[entity.split(".", 1)[0]],
        )
        does = np.nonzero(both & (rng.random(n) < habit.adherence))[0]
        lag = habit.lag_seconds or 120.0
        lags = np.clip(rng.normal(lag, 0.35 * lag, does.size), 10.0, None)
        by_user = rng.random(does.size) < 0.75
        actions.add(
            calendar.at(does, last[does] + lags / 60),
            entity,
            habit.target_state,
            np.where(by_user, "user", "device"),
            _only_where(by_user, last_user[does]),
        )
    return np.concatenate(doors)
