"""What a simulation is asked for (SimulationConfig) and what it planted (PlantedHabit)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from homehabits.exceptions import ConfigError
from homehabits.patterns.habit import ALL_DAYS, HabitKind

__all__ = [
    "NOISE_LEVELS",
    "PlantedHabit",
    "SimulationConfig",
    "planted_habit_from_dict",
    "planted_habit_to_dict",
    "truth_from_json",
]

#: How much random activity each noise level adds, relative to "default".
NOISE_LEVELS: Final[dict[str, float]] = {"low": 0.5, "default": 1.0, "high": 3.0}


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """How the simulated home is built: its length, seed, time zone, size and noise."""

    days: int = 30
    seed: int = 42
    time_zone: str = "Europe/Berlin"
    # Window end (UTC, aware). None: midnight starting 10 Nov 2024 in the home's time zone,
    # so the default 30-day window crosses the end of summer time (27 Oct 2024) and the
    # demo is the same on every run.
    end: datetime | None = None
    size: float = 1.0  # scales sensor chatter and extra sensor entities, never the habits
    noise: str = "default"  # "low" | "default" | "high"
    randomize: bool = False  # draw every planted habit's parameters from the seed
    # plant "reverts after deploy" (sources/simulation/deployed.py): a deployed homehabits
    # automation undone on Saturdays, an automation that never fires, one naming a removed entity
    deployed_reverts: bool = False
    # plant deployed automations at the wrong time (sources/simulation/deployed_timing.py): a
    # 07:00 light the person switches on by hand at 06:40, a 5-minute auto-off people undo
    deployed_timing: bool = False

    def __post_init__(self) -> None:
        """Refuse values the simulation cannot work with, naming the field."""
        if self.days < 1:
            raise ConfigError(f"simulation days must be at least 1, not {self.days}")
        if not self.size > 0:
            raise ConfigError(f"simulation size must be greater than 0, not {self.size}")
        if self.noise not in NOISE_LEVELS:
            known = ", ".join(NOISE_LEVELS)
            raise ConfigError(f"simulation noise must be one of {known}, not {self.noise!r}")
        if self.end is not None and self.end.tzinfo is None:
            raise ConfigError("simulation end must be a timezone-aware datetime")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ConfigError(f"unknown simulation time zone {self.time_zone!r}") from error

    @property
    def noise_factor(self) -> float:
        """Random toggles and chatter relative to the default noise level."""
        return NOISE_LEVELS[self.noise]


@dataclass(frozen=True, slots=True)
class PlantedHabit:
    """One habit the simulation planted: the ground truth a miner should find."""

    kind: HabitKind
    target_entity: str
    target_state: str
    trigger_entity: str | None = None
    trigger_state: str | None = None
    time_of_day: time | None = None  # local clock time (time_of_day; override: the automation's)
    weekdays: tuple[int, ...] = ALL_DAYS
    sun_event: str | None = None  # sun: "sunset" | "sunrise"
    sun_offset_minutes: int | None = None
    lag_seconds: float | None = None  # sequence lag, presence lag, override revert delay
    duration_seconds: float | None = None  # auto_off
    automation_id: str | None = None  # override: the existing automation overridden
    jitter_minutes: float = 0.0
    adherence: float = 1.0
    description: str = ""
    # presence: the people who must all be away (as Pattern.related_entities)
    related_entities: tuple[str, ...] = ()
    # the gating the person follows, in words: "dark", "night", "home", "away", "weekdays",
    # "weekend", "workday" or "state:<entity_id>=<state>"
    conditions: tuple[str, ...] = ()
    # what the person sets besides the state, e.g. (("brightness", 77),) or (("temperature", 19.5),)
    attributes: tuple[tuple[str, Any], ...] = ()
    group: tuple[str, ...] = ()  # other entities switched by hand with the target, together
    stopped: bool = False  # the household stopped doing it before the window ended: never suggest
    # how far the habit's time moved over the window (minutes, later when positive); the
    # habit's time_of_day is its time in the middle of the window
    drift_minutes: float = 0.0


def planted_habit_to_dict(habit: PlantedHabit) -> dict[str, Any]:
    """The planted habit as JSON-ready data."""
    return {
        "kind": habit.kind.value,
        "target_entity": habit.target_entity,
        "target_state": habit.target_state,
        "trigger_entity": habit.trigger_entity,
        "trigger_state": habit.trigger_state,
        "time_of_day": habit.time_of_day.strftime("%H:%M:%S") if habit.time_of_day else None,
        "weekdays": list(habit.weekdays),
        "sun_event": habit.sun_event,
        "sun_offset_minutes": habit.sun_offset_minutes,
        "lag_seconds": habit.lag_seconds,
        "duration_seconds": habit.duration_seconds,
        "automation_id": habit.automation_id,
        "jitter_minutes": habit.jitter_minutes,
        "adherence": habit.adherence,
        "description": habit.description,
        "related_entities": list(habit.related_entities),
        "conditions": list(habit.conditions),
        "attributes": dict(habit.attributes),
        "group": list(habit.group),
        "stopped": habit.stopped,
        "drift_minutes": habit.drift_minutes,
    }


def planted_habit_from_dict(data: dict[str, Any]) -> PlantedHabit:
    """The inverse of planted_habit_to_dict."""
    clock = data.get("time_of_day")
    return PlantedHabit(
        kind=HabitKind(data["kind"]),
        target_entity=data["target_entity"],
        target_state=data["target_state"],
        trigger_entity=data.get("trigger_entity"),
        trigger_state=data.get("trigger_state"),
        time_of_day=time.fromisoformat(clock) if clock else None,
        weekdays=tuple(data.get("weekdays", ALL_DAYS)),
        sun_event=data.get("sun_event"),
        sun_offset_minutes=data.get("sun_offset_minutes"),
        lag_seconds=data.get("lag_seconds"),
        duration_seconds=data.get("duration_seconds"),
        automation_id=data.get("automation_id"),
        jitter_minutes=data.get("jitter_minutes", 0.0),
        adherence=data.get("adherence", 1.0),
        description=data.get("description", ""),
        related_entities=tuple(data.get("related_entities", ())),
        conditions=tuple(data.get("conditions", ())),
        attributes=tuple((str(name), value) for name, value in data.get("attributes", {}).items()),
        group=tuple(data.get("group", ())),
        stopped=bool(data.get("stopped", False)),
        drift_minutes=float(data.get("drift_minutes", 0.0)),
    )


def truth_from_json(text: str) -> tuple[PlantedHabit, ...]:
    """The planted habits of a truth file written by write_simulation."""
    data = json.loads(text)
    return tuple(planted_habit_from_dict(item) for item in data["habits"])
