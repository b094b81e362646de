"""What happens in the home besides the habits: random toggles, motion, routines, sensor chatter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import polars as pl
from numpy.typing import NDArray

from homehabits.sources.simulation.actions import TOGGLE, Actions
from homehabits.sources.simulation.clock import MICROS_PER_MINUTE, MICROS_PER_SECOND, Calendar
from homehabits.sources.simulation.habits import light_attributes, who_acts
from homehabits.sources.simulation.layout import SERVICE_USER, Sensor
from homehabits.sources.simulation.plan import OFF_STATES, ON_STATES, RoutinePlan

__all__ = ["add_motion", "add_random_toggles", "add_routines", "sensor_chatter"]

_MOTION_SENSORS: Final = (
    "binary_sensor.living_room_motion",
    "binary_sensor.kitchen_motion",
    "binary_sensor.hallway_motion",
)
_NIGHT_LIGHT_SENSOR: Final = "binary_sensor.hallway_motion"
_DAY_MINUTES: Final = 24 * 60


def add_random_toggles(
    calendar: Calendar,
    entities: Sequence[str],
    factor: float,
    rng: np.random.Generator,
    actions: Actions,
    *,
    rate: float = 1.2,
    temporary: bool = False,
) -> None:
    """Entities switched on by hand at random times (`rate` a day) and off a random while later.

    `temporary`: switched the other way for a while and back, whatever they were (a light that
    is on in the evening is switched off for a moment and on again).
    """
    for entity in entities:
        domain = entity.split(".", 1)[0]
        counts = rng.poisson(rate * factor, calendar.count)
        day_index = np.repeat(np.arange(calendar.count), counts)
        starts = rng.uniform(6 * 60, 23.5 * 60, day_index.size)
        ends = starts + 2 + rng.exponential(40, day_index.size)
        first, then = (TOGGLE, TOGGLE) if temporary else (ON_STATES[domain], OFF_STATES[domain])
        for minutes, state in ((starts, first), (ends, then)):
            times = calendar.at(day_index, minutes)
            origin, user_id = who_acts(rng, times.size)
            attributes = light_attributes(entity, state, rng, times.size)
            actions.add(times, entity, state, origin, user_id, attributes)


def add_motion(
    calendar: Calendar, factor: float, rng: np.random.Generator, actions: Actions
) -> None:
    """Motion sensors see people all day (and a little at night); the hallway's night light follows."""
    for sensor in _MOTION_SENSORS:
        counts = rng.poisson(15 * factor, calendar.count)
        day_index = np.repeat(np.arange(calendar.count), counts)
        at_night = rng.random(day_index.size) < 0.1
        minutes = np.where(
            at_night,
            rng.uniform(-60, 6 * 60, day_index.size),
            rng.uniform(6 * 60, 23 * 60, day_index.size),
        )
        seen = calendar.at(day_index, minutes)
        cleared = seen + np.round(rng.uniform(20, 300, seen.size) * MICROS_PER_SECOND).astype(
            np.int64
        )
        actions.add(seen, sensor, "on", "device")
        actions.add(cleared, sensor, "off", "device")
        if sensor == _NIGHT_LIGHT_SENSOR:
            # the existing automation "Hallway night light on motion" (23:00–06:00)
            night = at_night & (
                ((minutes % _DAY_MINUTES) >= 23 * 60) | ((minutes % _DAY_MINUTES) < 6 * 60)
            )
            delay = np.round(rng.uniform(0.2, 0.9, seen.size) * MICROS_PER_SECOND).astype(np.int64)
            light = "light.hallway_night"
            actions.add(seen[night] + delay[night], light, "on", "automation")
            actions.add(
                cleared[night] + 120 * MICROS_PER_SECOND + delay[night], light, "off", "automation"
            )


def _daily(calendar: Calendar, minutes: float, rng: np.random.Generator) -> np.ndarray:
    """An automation's or a service's fixed daily time, fired a fraction of a second late."""
    days = np.arange(calendar.count)
    return calendar.at(days, minutes + rng.uniform(0.05, 1.5, days.size) / 60)


def add_routines(
    calendar: Calendar, routines: RoutinePlan, rng: np.random.Generator, actions: Actions
) -> None:
    """Existing automations and the Node-RED service account at fixed times: never habits."""
    actions.add(_daily(calendar, 60, rng), routines.porch_light, "off", "automation")
    actions.add(_daily(calendar, 5.5 * 60, rng), routines.watering, "on", "automation")
    actions.add(_daily(calendar, 5.5 * 60 + 20, rng), routines.watering, "off", "automation")
    service_user = SERVICE_USER[0]
    actions.add(_daily(calendar, 9 * 60, rng), routines.aquarium, "on", "service", service_user)
    actions.add(_daily(calendar, 21 * 60, rng), routines.aquarium, "off", "service", service_user)


def _wave(minutes: NDArray[np.int64], period_minutes: int) -> NDArray[np.float64]:
    """A sine wave of the given period, looked up by whole minute (far cheaper than np.sin)."""
    table = np.sin(2 * np.pi * np.arange(period_minutes) / period_minutes)
    return table[minutes % period_minutes]


def sensor_chatter(
    sensors: Sequence[Sensor], start: int, end: int, factor: float, rng: np.random.Generator
) -> pl.DataFrame:
    """Every change of the numeric sensors from start to end (UTC µs), with its old state.

    Readings come on a jittered grid, sensor after sensor in time order; a reading equal to
    the one before is no state change and is left out.
    """
    if not sensors:
        return pl.DataFrame()
    every = np.array([s.every_minutes for s in sensors]) * MICROS_PER_MINUTE / factor
    level = np.array([s.level for s in sensors])
    swing = np.array([s.swing for s in sensors])
    is_power = np.array([s.kind == "power" for s in sensors])
    scale = np.array([10.0 if s.kind == "power" else 100.0 for s in sensors])
    counts = np.floor((end - start) / every).astype(np.int64)
    total = int(counts.sum())
    sensor = np.repeat(np.arange(len(sensors)), counts)
    step = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    # jitter under half a step keeps each sensor's readings in time order
    offset = rng.uniform(0, 1, len(sensors))[sensor] + rng.uniform(-0.3, 0.3, total)
    times = (start + (step + offset) * every[sensor]).astype(np.int64)
    minutes = times // MICROS_PER_MINUTE
    shift = rng.integers(0, 10_000, len(sensors))[sensor]
    # noise as the difference of two uniforms: cheap, and enough for a sensor's flicker
    noise = rng.random(total) - rng.random(total)
    climate = level[sensor] + swing[sensor] * (
        0.5 * _wave(minutes - 9 * 60, 24 * 60) + 0.3 * _wave(minutes + shift, 79 * 60) + 0.1 * noise
    )
    # a compressor or a screen: on and off in cycles of about 45 minutes
    cycling = ((minutes + shift) // 23) % 2
    power = level[sensor] + swing[sensor] * (cycling - 0.5) + 3.0 * noise
    values = np.where(is_power[sensor], np.maximum(power, 0.0), climate)
    values = np.round(values * scale[sensor]) / scale[sensor]
    first = np.ones(total, dtype=bool)
    first[1:] = sensor[1:] != sensor[:-1]
    changed = first.copy()
    changed[1:] |= values[1:] != values[:-1]
    state = pl.Series("state", values[changed]).cast(pl.String())
    # the reading kept before, of the same sensor, is the old state
    old_state = pl.select(
        pl.when(pl.lit(pl.Series(first[changed]))).then(None).otherwise(state.shift(1))
    ).to_series()
    # in time order here, on plain numbers: far cheaper than sorting the finished frame
    order = pl.Series(np.argsort(times[changed], kind="stable"))
    names = pl.Series("names", [s.entity_id for s in sensors], dtype=pl.String())
    frame = pl.DataFrame(
        {
            "time": times[changed][order.to_numpy()],
            "entity_id": names.gather(sensor[changed][order.to_numpy()]),
            "state": state.gather(order),
            "old_state": old_state.gather(order),
        }
    ).with_columns(
        pl.lit("sensor").alias("domain"),
        pl.lit("device").alias("origin"),
    )
    return frame.set_sorted("time")
