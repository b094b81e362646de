"""The built-in simulated home: a month of a family's life, with the habits it planted."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from homehabits.context import HomeContext
from homehabits.exceptions import ConfigError
from homehabits.sources.base import EventRead
from homehabits.sources.simulation.actions import Actions
from homehabits.sources.simulation.choices import make_plan
from homehabits.sources.simulation.clock import Calendar, to_micros
from homehabits.sources.simulation.conditional import (
    plant_contradiction,
    plant_dark_door,
    plant_night_motion,
    plant_slots,
    plant_tv_evenings,
)
from homehabits.sources.simulation.deployed import (
    plant_deployed,
    with_deployed,
    with_lamp_off,
)
from homehabits.sources.simulation.deployed_timing import (
    plant_deployed_timing,
    with_deployed_timing,
    with_timing_lights_off,
)
from homehabits.sources.simulation.habits import (
    front_door_openings,
    plant_auto_off,
    plant_clock,
    plant_motion,
    plant_override,
    plant_presence,
    plant_sequence,
)
from homehabits.sources.simulation.layout import (
    BERLIN,
    build_context,
    chatter_sensors,
    initial_states,
)
from homehabits.sources.simulation.mess import (
    add_bounces,
    plant_away,
    restart_instants,
    with_restarts,
    with_zone_home,
)
from homehabits.sources.simulation.model import (
    PlantedHabit,
    SimulationConfig,
    planted_habit_to_dict,
    truth_from_json,
)
from homehabits.sources.simulation.noise import (
    add_motion,
    add_random_toggles,
    add_routines,
    sensor_chatter,
)
from homehabits.sources.simulation.plan import HouseholdPlan

__all__ = [
    "DemoSource",
    "PlantedHabit",
    "SimulatedHome",
    "SimulationConfig",
    "load_truth",
    "simulate_home",
    "write_simulation",
]


@dataclass(frozen=True, slots=True)
class SimulatedHome:
    """A simulated home's history, its context, and the habits planted in it."""

    frame: pl.DataFrame  # an EventFrame, sorted by time
    context: HomeContext
    truth: tuple[PlantedHabit, ...]
    window_start: datetime
    window_end: datetime
    # the mess no habit explains, for tests and benchmarks: when everyone was away (UTC),
    # when Home Assistant restarted, and which entities' contacts bounce
    away: tuple[tuple[datetime, datetime], ...] = ()
    restarts: tuple[datetime, ...] = ()
    bouncing: tuple[str, ...] = ()
    # the part of truth planted by the household's extra behaviours (conditions, attributes,
    # groups, drift, a stopped habit, several routines on one light)
    household_truth: tuple[PlantedHabit, ...] = ()


#: Conditions that only name days or presence: a stray on any other day breaks no truth.
_DAY_WORDS = frozenset({"weekdays", "weekend", "workday", "home"})


def _window(config: SimulationConfig) -> tuple[datetime, datetime]:
    """The window in whole local days ending at config.end (default 10 Nov 2024, midnight)."""
    zone = ZoneInfo(config.time_zone)
    end = config.end or datetime(2024, 11, 10, tzinfo=zone)
    end_local = end.astimezone(zone)
    start_wall = end_local.replace(tzinfo=None) - timedelta(days=config.days)
    start = start_wall.replace(tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def simulate_home(config: SimulationConfig = SimulationConfig()) -> SimulatedHome:  # noqa: B008
    """Simulate the home for config.days days: the same config always gives the same home."""
    start, end = _window(config)
    zone = ZoneInfo(config.time_zone)
    # one warm-up day before the window, so the first events of the window have an old state
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    calendar = Calendar.between(first_day, end.astimezone(zone).date(), config.time_zone, BERLIN)
    plan = make_plan(config.seed, config.randomize, config.days)
    people = np.random.default_rng([config.seed, 2])
    chance = np.random.default_rng([config.seed, 3])
    chatter = np.random.default_rng([config.seed, 4])
    factor = config.noise_factor

    actions = Actions()
    clock_minutes = [plant_clock(calendar, clock, people, actions) for clock in plan.clocks]
    garage = clock_minutes[[c.habit.target_entity for c in plan.clocks].index("cover.garage_door")]
    doors = plant_presence(calendar, plan.presence, garage, people, actions)
    openings = np.concatenate(
        [doors, front_door_openings(calendar, plan.sequence.openings_per_day, people)]
    )
    plant_sequence(openings, plan.sequence, people, actions)
    plant_motion(calendar, plan.motion, people, actions)
    plant_auto_off(calendar, plan.auto_off, people, actions)
    plant_override(calendar, plan.override, people, actions)
    add_routines(calendar, plan.routines, chance, actions)
    add_random_toggles(calendar, plan.random_entities, factor, chance, actions)
    # people also use the habit entities off-habit now and then: stray actions the miners
    # must see through, more of them the noisier the home
    strays = np.random.default_rng([config.seed, 5])
    add_random_toggles(
        calendar, _stray_targets(plan.truth), factor, strays, actions, rate=0.25, temporary=True
    )
    add_motion(calendar, factor, chance, actions)
    warm_up = to_micros(datetime.combine(first_day, datetime.min.time(), zone))
    actions.add_changes(
        sensor_chatter(chatter_sensors(config.size), warm_up, to_micros(end), factor, chatter)
    )
    household = plan.household
    away: tuple[tuple[datetime, datetime], ...] = ()
    restarts = np.empty(0, dtype=np.int64)
    if household is not None:
        away = _plant_household(calendar, household, config.seed, actions)
        restarts = restart_instants(
            calendar, household.restarts, np.random.default_rng([config.seed, 9])
        )
        restarts = restarts[(restarts >= to_micros(start)) & (restarts < to_micros(end) - 10**7)]
    initial = initial_states()
    context = build_context(plan, config.size, config.time_zone)
    if config.deployed_reverts:
        plant_deployed(calendar, np.random.default_rng([config.seed, 11]), actions)
        context = with_deployed(context)
        initial = with_lamp_off(initial)
    if config.deployed_timing:
        plant_deployed_timing(calendar, np.random.default_rng([config.seed, 12]), actions)
        context = with_deployed_timing(context)
        initial = with_timing_lights_off(initial)
    burst = np.random.default_rng([config.seed, 10])

    def extend(acted: pl.DataFrame, chatter: Sequence[pl.DataFrame]) -> pl.DataFrame:
        acted = with_zone_home(acted, initial)
        return with_restarts(acted, chatter, restarts, initial, burst)

    frame = actions.to_event_frame(to_micros(start), to_micros(end), initial, extend)
    return SimulatedHome(
        frame=frame,
        context=context,
        truth=plan.truth,
        window_start=start,
        window_end=end,
        away=away,
        restarts=tuple(_utc(moment) for moment in restarts.tolist()),
        bouncing=household.bounces.entities if household else (),
        household_truth=household.truth if household else (),
    )


def _utc(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)


def _plant_household(
    calendar: Calendar, household: HouseholdPlan, seed: int, actions: Actions
) -> tuple[tuple[datetime, datetime], ...]:
    """Plant the household's extra habits and its mess; the days away (UTC)."""
    people = np.random.default_rng([seed, 7])
    for clock in household.clocks:
        plant_clock(calendar, clock, people, actions)
    if household.gated is not None:
        plays = plant_tv_evenings(calendar, household.gated, people, actions)
        plant_clock(calendar, household.gated.habit, people, actions, allowed=plays)
    if household.dark_door is not None:
        plant_dark_door(calendar, household.dark_door, people, actions)
    if household.night_motion is not None:
        plant_night_motion(calendar, household.night_motion, people, actions)
    if household.slots is not None:
        plant_slots(calendar, household.slots, people, actions)
    mess = np.random.default_rng([seed, 8])
    if household.contradiction is not None:
        plant_contradiction(calendar, household.contradiction, mess, actions)
    add_bounces(calendar, household.bounces, mess, actions)
    if household.away is None:
        return ()
    leave, back = plant_away(calendar, household.away, actions)
    return ((_utc(leave), _utc(back)),)


def _stray_targets(truth: tuple[PlantedHabit, ...]) -> tuple[str, ...]:
    """Habit targets a person may also switch at a random moment (not locks or heating).

    Not the targets of habits kept to a condition (dark, night, the TV playing): their truth
    says when the person acts, and a stray would make it untrue.
    """
    wanted = ("light", "switch", "fan", "cover", "media_player")
    gated = {habit.target_entity for habit in truth if set(habit.conditions) - _DAY_WORDS}
    targets = {habit.target_entity for habit in truth} - gated
    return tuple(sorted(t for t in targets if t.split(".", 1)[0] in wanted and "garage" not in t))


def write_simulation(home: SimulatedHome, out: Path) -> tuple[Path, Path]:
    """Write events as Parquet (.parquet) or CSV (.csv) by extension, and truth as JSON beside it (<stem>.truth.json)."""
    suffix = out.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise ConfigError(
            f"cannot write simulated events to {out.name}: unknown extension {out.suffix or '(none)'!r}, "
            "use .parquet or .csv"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        home.frame.write_parquet(out)
    else:
        home.frame.write_csv(out)
    truth_path = out.with_name(f"{out.stem}.truth.json")
    truth = {
        "time_zone": home.context.time_zone,
        "window_start": home.window_start.isoformat(),
        "window_end": home.window_end.isoformat(),
        "habits": [planted_habit_to_dict(habit) for habit in home.truth],
        # the mess no habit explains, for scorers that read the file
        "away": [[leave.isoformat(), back.isoformat()] for leave, back in home.away],
        "restarts": [moment.isoformat() for moment in home.restarts],
        "bouncing": list(home.bouncing),
    }
    truth_path.write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return out, truth_path


def load_truth(path: Path) -> tuple[PlantedHabit, ...]:
    """The planted habits from a truth file written by write_simulation."""
    return truth_from_json(path.read_text(encoding="utf-8"))


class DemoSource:
    """The simulated home as a source of history and context (homehabits analyze --demo)."""

    def __init__(self, config: SimulationConfig = SimulationConfig()) -> None:  # noqa: B008
        """Remember the config; the home is simulated on first use."""
        self._config = config
        self._home: SimulatedHome | None = None

    @property
    def description(self) -> str:
        """e.g. "demo home (seed 42, 30 days, Europe/Berlin)"."""
        config = self._config
        extras = [
            f"size {config.size:g}" if config.size != 1.0 else "",
            f"noise {config.noise}" if config.noise != "default" else "",
            "random habits" if config.randomize else "",
            "reverts after deploy" if config.deployed_reverts else "",
            "deployed at the wrong time" if config.deployed_timing else "",
        ]
        details = ", ".join(
            [f"seed {config.seed}", f"{config.days} days", config.time_zone, *filter(None, extras)]
        )
        return f"demo home ({details})"

    @property
    def home(self) -> SimulatedHome:
        """The simulated home, generated once."""
        if self._home is None:
            self._home = simulate_home(self._config)
        return self._home

    async def _simulated(self) -> SimulatedHome:
        """The home, simulated in a worker thread the first time: it takes a while when large."""
        if self._home is None:
            # no lock: two first calls at once would only simulate the same home twice
            home = await asyncio.to_thread(simulate_home, self._config)
            if self._home is None:
                self._home = home
        return self._home

    async def read_context(self) -> HomeContext:
        """The simulated home's context."""
        return (await self._simulated()).context

    async def read_events(self, start: datetime, end: datetime, context: HomeContext) -> EventRead:
        """The simulated state changes with start <= time < end."""
        home = await self._simulated()
        frame = home.frame.filter(
            pl.col("time") >= start.astimezone(UTC), pl.col("time") < end.astimezone(UTC)
        )
        return EventRead(frame=frame, rows_read=frame.height)

    def default_window_end(self) -> datetime | None:
        """The end of the simulated window (known without simulating)."""
        return _window(self._config)[1]
