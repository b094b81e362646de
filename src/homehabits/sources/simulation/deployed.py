"""Reverts after deploy: a homehabits automation the household undoes on Saturdays, and two
automations of the owner's that are wrong in the ways the watch lists (never fires, names an
entity that was removed). Planted only when SimulationConfig.deployed_reverts is on.

The deployed automation is one homehabits put into Home Assistant: its id is
`homehabits_<DEPLOYED_FINGERPRINT>`, so a test that stores a deployed suggestion with that
fingerprint and DEPLOYED_AUTOMATION watches it in the run.
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
    "ARMCHAIR_LAMP",
    "DEPLOYED_AUTOMATION",
    "DEPLOYED_FINGERPRINT",
    "MISSED_DAYS",
    "NEVER_FIRES_ID",
    "REMOVED_ENTITIES",
    "REMOVED_ENTITY_ID",
    "REVERT_WEEKDAY",
    "plant_deployed",
    "with_deployed",
    "with_lamp_off",
]

ARMCHAIR_LAMP: Final = "light.armchair_lamp"
DEPLOYED_FINGERPRINT: Final = "d3b1a7c5e9f20468"
_ON_MINUTE: Final = 21 * 60 + 45
#: The suggestion homehabits deployed, in the dialect of the simulated Home Assistant (2024.3).
DEPLOYED_AUTOMATION: Final[dict[str, Any]] = {
    "id": f"homehabits_{DEPLOYED_FINGERPRINT}",
    "alias": "Armchair lamp on at 21:45",
    "description": "Turns on the armchair lamp at 21:45.",
    "trigger": [{"platform": "time", "at": "21:45:00"}],
    "action": [{"service": "light.turn_on", "target": {"entity_id": ARMCHAIR_LAMP}}],
    "mode": "single",
}
#: Saturday: the day someone switches the lamp straight back off.
REVERT_WEEKDAY: Final = 5
#: How many evenings someone switches it on by hand before the automation does.
MISSED_DAYS: Final = 2
NEVER_FIRES_ID: Final = "entrance_light_lock_jammed"
REMOVED_ENTITY_ID: Final = "porch_lantern_motion"
REMOVED_ENTITIES: Final = ("binary_sensor.porch_motion", "light.porch_lantern")
_OWNERS: Final[tuple[dict[str, Any], ...]] = (
    {
        "id": NEVER_FIRES_ID,
        "alias": "Entrance light when the lock jams",
        "trigger": [{"platform": "state", "entity_id": "lock.front_door", "to": "jammed"}],
        "action": [{"service": "light.turn_on", "target": {"entity_id": "light.entrance"}}],
        "mode": "single",
    },
    {
        "id": REMOVED_ENTITY_ID,
        "alias": "Porch lantern on motion",
        "trigger": [{"platform": "state", "entity_id": REMOVED_ENTITIES[0], "to": "on"}],
        "action": [{"service": "light.turn_on", "target": {"entity_id": REMOVED_ENTITIES[1]}}],
        "mode": "single",
    },
)
_SECOND: Final = 1 / 60


def with_lamp_off(initial: Mapping[str, str]) -> dict[str, str]:
    """The states before the simulation, the lamp's (off) added."""
    return {**initial, ARMCHAIR_LAMP: "off"}


def with_deployed(context: HomeContext) -> HomeContext:
    """The context with the lamp, the deployed automation and the owner's two wrong ones."""
    entities = {
        **context.entities,
        ARMCHAIR_LAMP: Entity(ARMCHAIR_LAMP, "Armchair lamp", "living_room", None, None, "demo"),
    }
    added = tuple(
        automation_from_config(raw, f"automation.{slugify(str(raw['alias']))}")
        for raw in (DEPLOYED_AUTOMATION, *_OWNERS)
    )
    return replace(context, entities=entities, automations=(*context.automations, *added))


def plant_deployed(calendar: Calendar, rng: np.random.Generator, actions: Actions) -> None:
    """The lamp on at 21:45 by the automation every evening, and what the household does.

    On Saturdays someone switches it straight back off (1–6 minutes later); on other
    evenings it is switched off by hand at bedtime; on MISSED_DAYS weekday evenings someone
    switched it on by hand before 21:45 (the automation then changes nothing).
    """
    days = np.arange(calendar.count)
    user = PEOPLE[0][1]
    late = rng.uniform(0.05, 1.5, days.size) * _SECOND
    actions.add(calendar.at(days, _ON_MINUTE + late), ARMCHAIR_LAMP, "on", "automation")
    saturday = calendar.weekdays == REVERT_WEEKDAY
    undo = rng.uniform(1.0, 6.0, days.size)
    bedtime = rng.uniform(23 * 60, 23 * 60 + 45, days.size)
    off = np.where(saturday, _ON_MINUTE + undo, bedtime)
    actions.add(calendar.at(days, off), ARMCHAIR_LAMP, "off", "user", user)
    # the warm-up day (index 0) is outside the window: the misses are chosen after it
    weekdays = days[(~saturday) & (days > 0) & (days < days.size - 1)]
    missed = np.sort(rng.choice(weekdays, size=MISSED_DAYS, replace=False))
    early = rng.uniform(21 * 60 + 10, 21 * 60 + 35, missed.size)
    actions.add(calendar.at(missed, early), ARMCHAIR_LAMP, "on", "user", user)
