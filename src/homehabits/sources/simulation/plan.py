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
    "AwayPlan",
    "BouncePlan",
    "ClockPlan",
    "ContradictionPlan",
    "GatedPlan",
    "HomePlan",
    "HouseholdPlan",
    "MotionPlan",
    "NightMotionPlan",
    "OverridePlan",
    "PresencePlan",
    "RestartPlan",
    "RoutinePlan",
    "SequencePlan",
    "SlotPlan",
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
    # an existing automation sets the opposite every day at this local minute
    opposite_by_automation_at: float | None = None


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
class NightMotionPlan:
    """Motion on the stairs all day; a person switches the light on only at night."""

    habit: PlantedHabit  # SEQUENCE motion on -> light on, conditions ("night",)
    night: tuple[float, float] = (22 * 60, 6.5 * 60)  # local minutes, across midnight
    visits_per_day: float = 10.0
    visits_per_night: float = 3.0


@dataclass(frozen=True, slots=True)
class SlotPlan:
    """A light on briefly at lunch (a steady while) and for long, varied evenings at dinner."""

    habit: PlantedHabit  # AUTO_OFF: the lunch duration
    lunch: tuple[float, float] = (11.75 * 60, 13.25 * 60)  # local minutes it is switched on
    dinner: tuple[float, float] = (18 * 60, 19.5 * 60)
    dinner_minutes: tuple[float, float] = (30, 95)  # how long it stays on at dinner


@dataclass(frozen=True, slots=True)
class GatedPlan:
    """A TV played on some evenings; a lamp's clock habit happens only while it plays."""

    habit: ClockPlan
    tv: str
    evenings: float  # share of evenings the TV plays
    starts: tuple[float, float]  # local minutes it is switched on
    ends: tuple[float, float]


@dataclass(frozen=True, slots=True)
class ContradictionPlan:
    """A trigger after which a person sometimes switches a light on, sometimes off: noise."""

    trigger: str
    target: str
    per_day: float = 2.5
    on_share: float = 0.45
    off_share: float = 0.35


@dataclass(frozen=True, slots=True)
class BouncePlan:
    """Contact bounce and crosstalk: switches that blip and flip back within a second."""

    entities: tuple[str, ...]
    day_share: float  # share of days an entity bounces at all
    per_day: float  # blips on such a day
    clustered: float  # share of blips near the entity's own time of day (looks like a habit)
    base_minutes: tuple[float, ...]  # each entity's time of day


@dataclass(frozen=True, slots=True)
class RestartPlan:
    """Home Assistant restarts: a row for every entity, no old state, no context."""

    times: tuple[tuple[int, float], ...]  # (day index in the calendar, local minute)
    nightly: float | None = None  # a restart every night at this local minute (a backup)


@dataclass(frozen=True, slots=True)
class AwayPlan:
    """Everyone is away for a few days: no one acts by hand, no one moves in the home."""

    first_day: int  # day index in the calendar the family leaves
    leave_minute: float
    days: int  # they come back this many days later
    back_minute: float


@dataclass(frozen=True, slots=True)
class HouseholdPlan:
    """What real households add to the demo's habits: more habits, and their mess."""

    clocks: tuple[ClockPlan, ...]
    dark_door: SequencePlan | None
    night_motion: NightMotionPlan | None
    slots: SlotPlan | None
    gated: GatedPlan | None
    contradiction: ContradictionPlan | None
    bounces: BouncePlan
    restarts: RestartPlan
    away: AwayPlan | None

    @property
    def truth(self) -> tuple[PlantedHabit, ...]:
        """The habits planted here, in a stable order."""
        habits = [clock.habit for clock in self.clocks]
        habits += [plan.habit for plan in (self.dark_door, self.night_motion, self.slots) if plan]
        if self.gated is not None:
            habits.append(self.gated.habit.habit)
        return tuple(habits)


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
    household: HouseholdPlan | None = None

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
            *(self.household.truth if self.household else ()),
        )
