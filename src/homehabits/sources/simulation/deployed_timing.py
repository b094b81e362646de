"""Deployed automations at the wrong time: a person who acts earlier, and an auto-off too soon.

Planted only when SimulationConfig.deployed_timing is on, for the watch's timing revisions
(watch/retime.py):

- "Landing light on at 07:00", deployed by homehabits: someone switches the landing light on
  by hand at about 06:40 every morning (06:34–06:46), so the automation changes nothing;
  on OVERSLEPT_DAYS mornings nobody does and the automation switches it on at 07:00. It goes
  off by hand at 08:00–08:30.
- "Utility room light off after 5 min", deployed by homehabits: the person is in the utility
  room for 16–26 minutes each evening; every 5 minutes of that the automation switches the
  light off and the person switches it straight back on (20–90 seconds later); they switch
  it off themselves when they leave.

Their ids are `homehabits_<fingerprint>` with the fingerprints below, so a test that stores
deployed suggestions with those fingerprints and automations watches them in the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

import numpy as np

from homehabits.context import Entity, HomeContext
from homehabits.sources.registries import automation_from_config, slugify
from homehabits.sources.simulation.actions import Actions
from homehabits.sources.simulation.clock import Calendar
from homehabits.sources.simulation.plan import PEOPLE

__all__ = [
    "EARLY_FINGERPRINT",
    "EARLY_MINUTE",
    "LANDING_LIGHT",
    "LANDING_ON",
    "OVERSLEPT_DAYS",
    "SESSION_MINUTES",
    "TIMER_FINGERPRINT",
    "UTILITY_LIGHT",
    "UTILITY_OFF",
    "plant_deployed_timing",
    "with_deployed_timing",
    "with_timing_lights_off",
]

LANDING_LIGHT: Final = "light.landing"
UTILITY_LIGHT: Final = "light.utility_room"
EARLY_FINGERPRINT: Final = "a7e0c4d2b9f13586"
TIMER_FINGERPRINT: Final = "c5f1a9e3d7b20864"
#: When the person switches the landing light on by hand (local minutes), ±6 minutes.
EARLY_MINUTE: Final = 6 * 60 + 40
#: Mornings nobody gets up early: the automation switches the landing light on itself.
OVERSLEPT_DAYS: Final = 2
#: How long the person stays in the utility room each evening, minutes.
SESSION_MINUTES: Final = (16.0, 26.0)
_CUT_MINUTES: Final = 5.0
_MOST_CUTS: Final = 8
_SECOND: Final = 1 / 60
#: The two suggestions homehabits deployed, in the simulated Home Assistant's dialect (2024.3).
LANDING_ON: Final[dict[str, Any]] = {
    "id": f"homehabits_{EARLY_FINGERPRINT}",
    "alias": "Landing light on at 07:00",
    "description": "Turns on the landing light at 07:00.",
    "trigger": [{"platform": "time", "at": "07:00:00"}],
    "action": [{"service": "light.turn_on", "target": {"entity_id": LANDING_LIGHT}}],
    "mode": "single",
}
UTILITY_OFF: Final[dict[str, Any]] = {
    "id": f"homehabits_{TIMER_FINGERPRINT}",
    "alias": "Utility room light off after 5 min",
    "description": "Turns off the utility room light 5 minutes after it was turned on.",
    "trigger": [{"platform": "state", "entity_id": UTILITY_LIGHT, "to": "on", "for": "00:05:00"}],
    "action": [{"service": "light.turn_off", "target": {"entity_id": UTILITY_LIGHT}}],
    "mode": "restart",
}


def with_timing_lights_off(initial: Mapping[str, str]) -> dict[str, str]:
    """The states before the simulation, the two lights' (off) added."""
    return {**initial, LANDING_LIGHT: "off", UTILITY_LIGHT: "off"}


def with_deployed_timing(context: HomeContext) -> HomeContext:
    """The context with the two lights and the two deployed automations."""
    entities = {
        **context.entities,
        LANDING_LIGHT: Entity(LANDING_LIGHT, "Landing light", "hallway", None, None, "demo"),
        UTILITY_LIGHT: Entity(UTILITY_LIGHT, "Utility room light", None, None, None, "demo"),
    }
    added = tuple(
        automation_from_config(raw, f"automation.{slugify(str(raw['alias']))}")
        for raw in (LANDING_ON, UTILITY_OFF)
    )
    return replace(context, entities=entities, automations=(*context.automations, *added))


def plant_deployed_timing(calendar: Calendar, rng: np.random.Generator, actions: Actions) -> None:
    """The early mornings on the landing and the evenings cut short in the utility room."""
    _plant_early(calendar, rng, actions)
    _plant_cut_short(calendar, rng, actions)


def _plant_early(calendar: Calendar, rng: np.random.Generator, actions: Actions) -> None:
    days = np.arange(calendar.count)
    user = PEOPLE[0][1]
    # the warm-up day (index 0) is outside the window: the mornings overslept come after it
    overslept = rng.choice(days[1:], size=min(OVERSLEPT_DAYS, days.size - 1), replace=False)
    early = ~np.isin(days, overslept)
    by_hand = rng.uniform(EARLY_MINUTE - 6, EARLY_MINUTE + 6, days.size)
    actions.add(calendar.at(days[early], by_hand[early]), LANDING_LIGHT, "on", "user", user)
    # the automation fires every morning; where the light is already on, nothing changes
    fired = 7 * 60 + rng.uniform(0.05, 1.5, days.size) * _SECOND
    actions.add(calendar.at(days, fired), LANDING_LIGHT, "on", "automation")
    off = rng.uniform(8 * 60, 8 * 60 + 30, days.size)
    actions.add(calendar.at(days, off), LANDING_LIGHT, "off", "user", user)


def _plant_cut_short(calendar: Calendar, rng: np.random.Generator, actions: Actions) -> None:
    days = np.arange(calendar.count)
    user = PEOPLE[0][1]
    start = rng.uniform(19 * 60, 20 * 60 + 30, days.size)
    end = start + rng.uniform(*SESSION_MINUTES, days.size)
    actions.add(calendar.at(days, start), UTILITY_LIGHT, "on", "user", user)
    on_since = start.copy()
    going = np.ones(days.size, dtype=bool)
    for _ in range(_MOST_CUTS):
        # the automation's cut, 5 minutes (and a second) after it was last switched on
        cut = on_since + _CUT_MINUTES + _SECOND
        back = cut + rng.uniform(20, 90, days.size) * _SECOND
        # a cut just before the person leaves anyway is left be: the session ends with it
        last = going & (cut < end) & (back >= end)
        actions.add(calendar.at(days[last], cut[last]), UTILITY_LIGHT, "off", "automation")
        going &= back < end
        if not going.any():
            break
        actions.add(calendar.at(days[going], cut[going]), UTILITY_LIGHT, "off", "automation")
        actions.add(calendar.at(days[going], back[going]), UTILITY_LIGHT, "on", "user", user)
        on_since = np.where(going, back, on_since)
    actions.add(calendar.at(days, end), UTILITY_LIGHT, "off", "user", user)
