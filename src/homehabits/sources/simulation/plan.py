"""The plan of a simulated home: which habits its people have and what is left to chance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Final

from homehabits.sources.simulation.model import PlantedHabit

__all__ = [
    "OFF_STATES",
    "ON_STATES",
    "PEOPLE",
    "ClockPlan",
    "HomePlan",
    "MotionPlan",
    "OverridePlan",
    "PresencePlan",
    "RoutinePlan",
    "SequencePlan",
]

#: person entity, user id in Home Assistant, name
PEOPLE: Final = (
    ("person.anna", "a3f1c0de5b7e4b2d9c8a6f1e2d3c4b5a", "Anna"),
    ("person.ben", "b7d2e4f6a8c04e1f9b3d5a7c9e1f3a5b", "Ben"),
)

#: The state that counts as "on" for an entity of each domain.
ON_STATES: Final = {
    "light": "on",
    "switch": "on",
    "fan": "on",
    "media_player": "playing",
    "climate": "heat",
    "cover": "open",
    "lock": "unlocked",
}
#: The state that counts as "off".
OFF_STATES: Final = {
    "light": "off",
    "switch": "off",
    "fan": "off",
    "media_player": "off",
    "climate": "off",
    "cover": "closed",
    "lock": "locked",
}


@dataclass(frozen=True, slots=True)
class ClockPlan:
    """A time-of-day or sun habit and how the person acts around it."""

    habit: PlantedHabit
    opposite: str  # the state the entity is in before the habit acts
    before: tuple[float, float] | None = None  # minutes before the act: the opposite is set
    after: tuple[float, float] | None = None  # minutes after the act: the opposite is set
    other_days: tuple[float, float, float] | None = None  # chance, minutes after the habit time
    # an existing automation sets the opposite this many minutes after every act
    closed_by_automation_after: float | None = None


@dataclass(frozen=True, slots=True)
class SequencePlan:
    """A door opens, a person switches a light on; the door opens this often a day."""

    habit: PlantedHabit
    openings_per_day: float = 4.0


@dataclass(frozen=True, slots=True)
class MotionPlan:
    """Bathroom visits: light on when motion starts, off a steady delay after it stops."""

    switch_on: PlantedHabit  # SEQUENCE motion on -> light on
    switch_off: PlantedHabit  # AUTO_OFF motion off -> light off after a steady delay
    visits_per_day: float = 6.0


@dataclass(frozen=True, slots=True)
class OverridePlan:
    """An existing automation heats every morning; on some days a person switches it off."""

    habit: PlantedHabit
    automation_alias: str
    automation_entity: str
    evening_off: time = time(22, 0)


@dataclass(frozen=True, slots=True)
class PresencePlan:
    """When everyone has left, the last one switches things off."""

    habits: tuple[PlantedHabit, ...]
    first_leaves: float  # local minutes on weekdays (also left through the garage)
    second_leaves: float


@dataclass(frozen=True, slots=True)
class RoutinePlan:
    """What existing automations and the service account do every day (never a habit)."""

    porch_light: str  # switched off at 01:00 by an automation
    watering: str = "switch.garden_irrigation"
    aquarium: str = "switch.aquarium_light"
    night_light: str = "light.hallway_night"


@dataclass(frozen=True, slots=True)
class HomePlan:
    """Every habit the simulated people have, and which entities are left to chance."""

    clocks: tuple[ClockPlan, ...]
    sequence: SequencePlan
    motion: MotionPlan
    auto_off: PlantedHabit
    override: OverridePlan
    presence: PresencePlan
    routines: RoutinePlan
    random_entities: tuple[str, ...]

    @property
    def truth(self) -> tuple[PlantedHabit, ...]:
        """The planted habits, in a stable order."""
        return (
            *(clock.habit for clock in self.clocks),
            self.sequence.habit,
            self.motion.switch_on,
            self.motion.switch_off,
            self.auto_off,
            self.override.habit,
            *self.presence.habits,
        )
