"""The simulated home: reproducible, valid, and faithful to the habits it says it planted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from astral import Observer
from astral.sun import sunset

from homehabits.events import MANUAL_ORIGINS, Origin, check_events
from homehabits.exceptions import ConfigError
from homehabits.patterns.habit import WEEKDAYS, HabitKind
from homehabits.sources.base import Source
from homehabits.sources.simulator import (
    DemoSource,
    PlantedHabit,
    SimulatedHome,
    SimulationConfig,
    load_truth,
    simulate_home,
    write_simulation,
)

BERLIN = "Europe/Berlin"
MANUAL = [origin.value for origin in MANUAL_ORIGINS]


@pytest.fixture(scope="module")
def home() -> SimulatedHome:
    """The default demo home, simulated once for the tests that only read it."""
    return simulate_home(SimulationConfig())


def _local(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with local time, local weekday (Monday = 0) and local minute of the day."""
    local = pl.col("time").dt.convert_time_zone(BERLIN)
    return frame.with_columns(
        local.alias("local"),
        (local.dt.weekday() - 1).alias("weekday"),
        (local.dt.hour().cast(pl.Int32) * 60 + local.dt.minute().cast(pl.Int32)).alias("minute"),
    )


def _near_clock(habit: PlantedHabit, within: int) -> pl.Expr:
    """Rows within `within` minutes of the habit's clock time, across midnight too."""
    assert habit.time_of_day is not None
    target = habit.time_of_day.hour * 60 + habit.time_of_day.minute
    distance = (pl.col("minute") - target + 720) % 1440 - 720
    return distance.abs() <= within


def _acts(home: SimulatedHome, habit: PlantedHabit) -> pl.DataFrame:
    """The rows where the habit's target entity was set to the habit's state."""
    return _local(
        home.frame.filter(
            pl.col("entity_id") == habit.target_entity, pl.col("state") == habit.target_state
        )
    )


def _habit(home: SimulatedHome, description_part: str) -> PlantedHabit:
    return next(h for h in home.truth if description_part in h.description)


def test_same_seed_gives_the_identical_home() -> None:
    first = simulate_home(SimulationConfig(seed=7, days=10))
    second = simulate_home(SimulationConfig(seed=7, days=10))

    assert first.frame.equals(second.frame)
    assert first.truth == second.truth
    assert first.context == second.context


def test_another_seed_gives_other_events() -> None:
    first = simulate_home(SimulationConfig(seed=1, days=10))
    second = simulate_home(SimulationConfig(seed=2, days=10))

    assert not first.frame.equals(second.frame)


def test_randomized_homes_plant_other_habits_for_other_seeds() -> None:
    first = simulate_home(SimulationConfig(seed=1, days=10, randomize=True))
    second = simulate_home(SimulationConfig(seed=2, days=10, randomize=True))
    again = simulate_home(SimulationConfig(seed=1, days=10, randomize=True))

    assert first.truth != second.truth
    assert first.truth == again.truth
    assert first.frame.equals(again.frame)


def test_demo_home_plants_every_kind_of_habit(home: SimulatedHome) -> None:
    kinds = {habit.kind for habit in home.truth}

    assert kinds == set(HabitKind) - {HabitKind.REVISION}  # a revision comes from the watch


def test_frame_is_a_valid_event_frame_with_no_rejected_rows(home: SimulatedHome) -> None:
    checked = check_events(home.frame)

    assert checked.rejected_count == 0
    assert checked.frame.equals(home.frame)
    assert home.frame["time"].is_sorted()
    assert home.frame["time"].min() >= home.window_start  # type: ignore[operator]
    assert home.frame["time"].max() < home.window_end  # type: ignore[operator]


def test_old_state_is_always_the_state_before_and_never_the_same(home: SimulatedHome) -> None:
    frame = home.frame.sort("entity_id", "time", maintain_order=True)
    previous = pl.col("state").shift(1).over("entity_id")
    mismatched = frame.filter(previous.is_not_null() & (pl.col("old_state") != previous))
    unchanged = frame.filter(pl.col("state") == pl.col("old_state"))

    assert mismatched.height == 0
    assert unchanged.height == 0


def test_default_window_crosses_the_end_of_summer_time(home: SimulatedHome) -> None:
    zone = ZoneInfo(BERLIN)
    start = home.window_start.astimezone(zone)
    end = home.window_end.astimezone(zone)

    assert (start.year, start.month, start.day, start.hour) == (2024, 10, 11, 0)
    assert (end.year, end.month, end.day, end.hour) == (2024, 11, 10, 0)
    assert start.utcoffset() == timedelta(hours=2)
    assert end.utcoffset() == timedelta(hours=1)


def test_weekday_habit_happens_only_on_local_weekdays(home: SimulatedHome) -> None:
    habit = next(
        h for h in home.truth if h.kind is HabitKind.TIME_OF_DAY and h.weekdays == WEEKDAYS
    )
    acts = _acts(home, habit).filter(_near_clock(habit, 40))
    weekdays_in_window = 21  # 11 Oct – 9 Nov 2024

    assert set(acts["weekday"].to_list()) <= set(WEEKDAYS)
    assert acts.height >= 0.6 * weekdays_in_window


def test_habit_keeps_its_local_clock_time_across_the_change_to_winter_time(
    home: SimulatedHome,
) -> None:
    habit = _habit(home, "Kitchen ceiling light on at 06:45")
    acts = _acts(home, habit).filter(_near_clock(habit, 40))
    change = datetime(2024, 10, 27, 1, 0, tzinfo=UTC)
    summer = acts.filter(pl.col("time") < change)["time"].dt.hour().median()
    winter = acts.filter(pl.col("time") >= change)["time"].dt.hour().median()

    assert (summer, winter) == (4, 5)  # 06:45 local is 04:45 UTC in summer, 05:45 in winter


def test_near_midnight_habit_happens_on_both_sides_of_midnight(home: SimulatedHome) -> None:
    habit = next(
        h
        for h in home.truth
        if h.time_of_day is not None
        and h.kind is HabitKind.TIME_OF_DAY
        and h.time_of_day.hour == 23
        and h.time_of_day.minute >= 40
    )
    acts = _acts(home, habit).filter(_near_clock(habit, 45))

    assert acts.filter(pl.col("minute") >= 23 * 60).height > 0
    assert acts.filter(pl.col("minute") < 60).height > 0


def test_sun_habit_follows_sunset_day_by_day(home: SimulatedHome) -> None:
    habit = next(h for h in home.truth if h.kind is HabitKind.SUN)
    assert habit.sun_offset_minutes is not None
    observer = Observer(latitude=52.52, longitude=13.405, elevation=34)
    zone = ZoneInfo(BERLIN)
    offsets = [
        (moment - sunset(observer, date=moment.date(), tzinfo=zone)).total_seconds() / 60
        for moment in _acts(home, habit)["local"].to_list()
    ]
    on_time = [o for o in offsets if abs(o - habit.sun_offset_minutes) <= 3 * habit.jitter_minutes]

    # sunset moves from 18:30 to 16:20 over the window; the habit moves with it (on the days
    # someone is home: nobody switches the porch light while the family is away)
    away_days = sum((back - leave).total_seconds() / 86400 for leave, back in home.away)
    assert len(on_time) >= 0.7 * (30 - away_days)


def test_sequence_habit_follows_the_door_within_its_lag(home: SimulatedHome) -> None:
    habit = next(h for h in home.truth if h.trigger_entity == "binary_sensor.front_door")
    doors = home.frame.filter(entity_id="binary_sensor.front_door", state="on").select(
        pl.col("time").alias("door")
    )
    lights = (
        _acts(home, habit)
        .select("time")
        .join_asof(doors, left_on="time", right_on="door", strategy="backward")
    )
    lags = (lights["time"] - lights["door"]).dt.total_seconds()

    assert (lags <= 60).sum() >= 0.8 * lights.height


def test_every_planted_action_is_done_by_a_person(home: SimulatedHome) -> None:
    for habit in home.truth:
        acts = _acts(home, habit)
        if habit.kind is HabitKind.OVERRIDE:
            # the automation's own "off" in the evening is not the person's revert
            acts = acts.filter(pl.col("local").dt.hour() < 12)
        people = acts.filter(pl.col("origin").cast(pl.String).is_in(MANUAL))

        assert people.height == acts.height, habit.description
        assert people.height > 0, habit.description


def test_users_who_act_are_people_not_the_service_account(home: SimulatedHome) -> None:
    by_user = home.frame.filter(pl.col("origin") == Origin.USER.value)
    user_ids = set(by_user["user_id"].to_list())

    assert None not in user_ids
    assert user_ids <= set(home.context.users)
    assert not user_ids & home.context.service_user_ids


def test_existing_automations_and_the_service_account_leave_their_own_rows(
    home: SimulatedHome,
) -> None:
    by_automation = home.frame.filter(pl.col("origin") == Origin.AUTOMATION.value)
    by_service = home.frame.filter(pl.col("origin") == Origin.SERVICE.value)
    automated = set().union(*(a.target_entities() for a in home.context.automations))

    assert by_automation.height >= 4 * 30
    assert set(by_automation["entity_id"].to_list()) <= automated
    assert by_service.height >= 30
    assert set(by_service["user_id"].to_list()) <= home.context.service_user_ids


def test_overridden_automation_is_in_the_context_in_the_legacy_dialect(
    home: SimulatedHome,
) -> None:
    habit = next(h for h in home.truth if h.kind is HabitKind.OVERRIDE)
    automation = next(a for a in home.context.automations if a.automation_id == habit.automation_id)

    assert automation.entity_id == habit.trigger_entity
    assert habit.target_entity in automation.target_entities()
    assert automation.triggers[0]["trigger"] == "time"
    assert "platform" in automation.raw["trigger"][0]
    assert home.context.ha_version == "2024.3.3"


def test_context_names_and_places_every_entity_that_changes(home: SimulatedHome) -> None:
    context = home.context
    changed = set(home.frame["entity_id"].unique().to_list())

    assert changed <= set(context.entities)
    assert context.entities["cover.garage_door"].device_class == "garage"
    assert context.entities["binary_sensor.front_door"].device_class == "door"
    assert context.area_name("light.kitchen_ceiling") == "Kitchen"
    assert context.friendly_name("light.porch") == "Porch light"
    assert len(context.areas) >= 8


def test_size_scales_the_sensor_chatter() -> None:
    small = simulate_home(SimulationConfig(days=5, size=1))
    large = simulate_home(SimulationConfig(days=5, size=10))

    def chatter(home: SimulatedHome) -> int:
        return home.frame.filter(domain="sensor").height

    def the_rest(home: SimulatedHome) -> int:
        return home.frame.filter(pl.col("domain") != "sensor").height

    assert 8 <= chatter(large) / chatter(small) <= 12
    assert the_rest(large) == the_rest(small)
    assert large.truth == small.truth


def test_noise_level_scales_the_random_activity() -> None:
    counts = {
        noise: simulate_home(SimulationConfig(days=5, noise=noise)).frame.height
        for noise in ("low", "default", "high")
    }

    assert counts["low"] < counts["default"] < counts["high"]
    assert counts["high"] >= 2.5 * counts["default"]


def test_randomized_time_habits_happen_near_their_planted_time() -> None:
    home = simulate_home(SimulationConfig(seed=11, randomize=True))
    for habit in home.truth:
        # a habit gated by another entity's state, or one that stopped, happens on fewer
        # days by design (tested in test_simulator_household.py)
        gated = any(condition.startswith("state:") for condition in habit.conditions)
        if habit.kind is not HabitKind.TIME_OF_DAY or gated or habit.stopped:
            continue
        acts = _acts(home, habit).filter(
            _near_clock(habit, 30), pl.col("weekday").is_in(habit.weekdays)
        )
        days = home.frame.select(
            pl.col("time").dt.convert_time_zone(BERLIN).dt.date().unique()
        ).filter(pl.col("time").dt.weekday().is_in([d + 1 for d in habit.weekdays]))

        assert acts.height >= 0.5 * days.height, habit.description


def test_write_simulation_writes_parquet_and_csv_that_read_back(tmp_path: Path) -> None:
    home = simulate_home(SimulationConfig(days=3))

    parquet, parquet_truth = write_simulation(home, tmp_path / "home.parquet")
    csv, csv_truth = write_simulation(home, tmp_path / "out" / "home.csv")

    assert pl.read_parquet(parquet).equals(home.frame)
    assert pl.read_csv(csv).height == home.frame.height
    assert check_events(pl.read_csv(csv, infer_schema=False)).frame.equals(home.frame)
    assert parquet_truth == tmp_path / "home.truth.json"
    assert csv_truth == tmp_path / "out" / "home.truth.json"
    assert load_truth(parquet_truth) == home.truth
    listed = json.loads(csv_truth.read_text())["habits"]
    assert [item["target_entity"] for item in listed] == [h.target_entity for h in home.truth]


def test_write_simulation_refuses_an_unknown_extension(tmp_path: Path) -> None:
    home = simulate_home(SimulationConfig(days=1))

    with pytest.raises(ConfigError, match=r"\.txt"):
        write_simulation(home, tmp_path / "home.txt")
    assert not (tmp_path / "home.txt").exists()


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"noise": "loud"}, "noise"),
        ({"days": 0}, "days"),
        ({"size": 0}, "size"),
        ({"time_zone": "Mars/Olympus"}, "time zone"),
        ({"end": datetime(2024, 11, 10)}, "end"),  # naive on purpose
    ],
)
def test_bad_simulation_settings_are_refused_by_name(config: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        SimulationConfig(**config)  # type: ignore[arg-type]


def test_a_given_end_sets_the_window() -> None:
    end = datetime(2024, 4, 1, 22, 0, tzinfo=UTC)  # midnight in Berlin, after summer time began
    home = simulate_home(SimulationConfig(days=7, end=end))

    assert home.window_end == end
    assert home.window_start == datetime(2024, 3, 25, 23, 0, tzinfo=UTC)
    assert check_events(home.frame).rejected_count == 0


async def test_demo_source_reads_the_simulated_window() -> None:
    source = DemoSource(SimulationConfig(days=4))
    typed: Source = source
    context = await typed.read_context()
    end = source.default_window_end()
    assert end is not None

    everything = await typed.read_events(end - timedelta(days=4), end, context)
    last_day = await typed.read_events(end - timedelta(days=1), end, context)

    assert typed.description == "demo home (seed 42, 4 days, Europe/Berlin)"
    assert everything.frame.equals(source.home.frame)
    assert everything.rows_read == everything.frame.height
    assert 0 < last_day.frame.height < everything.frame.height
    assert last_day.frame["time"].min() >= end - timedelta(days=1)  # type: ignore[operator]


def test_a_temporary_stray_flips_an_entity_and_flips_it_back_whatever_its_state() -> None:
    import numpy as np

    from homehabits.sources.simulation.actions import TOGGLE, Actions

    minute = 60_000_000
    actions = Actions()
    actions.add(np.array([10 * minute]), "light.lounge", "on", "user")  # on in the evening
    actions.add(np.array([20 * minute, 30 * minute]), "light.lounge", TOGGLE, "user")
    actions.add(np.array([40 * minute, 50 * minute]), "cover.blind", TOGGLE, "device")

    frame = actions.to_event_frame(0, 60 * minute, {"light.lounge": "off", "cover.blind": "open"})

    lounge = frame.filter(pl.col("entity_id") == "light.lounge")
    assert lounge["state"].to_list() == ["on", "off", "on"]
    assert lounge["old_state"].to_list() == ["off", "on", "off"]
    blind = frame.filter(pl.col("entity_id") == "cover.blind")
    assert blind["state"].to_list() == ["closed", "open"]
