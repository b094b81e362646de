"""The simulated home plants what real households do, each with its ground truth (issue 12)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from astral import Observer
from astral.sun import sunrise, sunset

from homehabits.events import MANUAL_ORIGINS
from homehabits.patterns.habit import WEEKDAYS, HabitKind
from homehabits.sources.simulation.layout import BERLIN as BERLIN_LOCATION
from homehabits.sources.simulation.layout import initial_states
from homehabits.sources.simulator import (
    PlantedHabit,
    SimulatedHome,
    SimulationConfig,
    load_truth,
    simulate_home,
    write_simulation,
)

BERLIN = "Europe/Berlin"
ZONE = ZoneInfo(BERLIN)
MANUAL = [origin.value for origin in MANUAL_ORIGINS]


@pytest.fixture(scope="module")
def home() -> SimulatedHome:
    """The demo home, simulated once."""
    return simulate_home(SimulationConfig())


def _local(frame: pl.DataFrame) -> pl.DataFrame:
    local = pl.col("time").dt.convert_time_zone(BERLIN)
    return frame.with_columns(
        local.dt.date().alias("day"),
        (local.dt.weekday() - 1).alias("weekday"),
        (local.dt.hour().cast(pl.Int32) * 60 + local.dt.minute().cast(pl.Int32)).alias("minute"),
    )


def _by_hand(home: SimulatedHome, entity: str, state: str | None = None) -> pl.DataFrame:
    rows = home.frame.filter(
        pl.col("entity_id") == entity,
        pl.col("origin").cast(pl.String).is_in(MANUAL),
        pl.col("old_state").is_not_null(),  # not a restart's row
    )
    if state is not None:
        rows = rows.filter(pl.col("state") == state)
    return _local(rows)


def _planted(home: SimulatedHome, entity: str) -> list[PlantedHabit]:
    return [habit for habit in home.truth if habit.target_entity == entity]


def _minute(habit: PlantedHabit) -> int:
    assert habit.time_of_day is not None
    return habit.time_of_day.hour * 60 + habit.time_of_day.minute


def _near(minutes: int, within: int) -> pl.Expr:
    return ((pl.col("minute") - minutes + 720) % 1440 - 720).abs() <= within


def test_bouncing_contacts_blip_and_flip_back_within_a_second_on_some_days(
    home: SimulatedHome,
) -> None:
    assert home.bouncing
    for entity in home.bouncing:
        rows = _local(home.frame.filter(pl.col("entity_id") == entity)).with_columns(
            (pl.col("time").diff().dt.total_microseconds() / 1e6).alias("gap"),
            pl.col("state").shift(2).alias("two_before"),
        )
        blips = rows.filter(pl.col("gap") < 1.0, pl.col("state") == pl.col("two_before"))

        assert blips.height >= 10, entity
        assert set(blips["origin"].cast(pl.String).to_list()) == {"device"}
        assert blips["user_id"].null_count() == blips.height
        window_days = (home.window_end - home.window_start).days
        assert 3 <= blips["day"].n_unique() < window_days  # some days, not every day


def test_bounces_are_not_planted_as_habits(home: SimulatedHome) -> None:
    for entity in home.bouncing:
        assert not _planted(home, entity), entity


def test_a_restart_writes_every_entity_within_seconds_with_no_old_state_and_no_user(
    home: SimulatedHome,
) -> None:
    assert len(home.restarts) == 2
    switchable = set(initial_states())
    for moment in home.restarts:
        burst = home.frame.filter(
            pl.col("time") >= moment, pl.col("time") < moment + timedelta(seconds=10)
        )
        fresh = burst.filter(pl.col("old_state").is_null())

        assert switchable <= set(fresh["entity_id"].to_list())
        assert fresh["user_id"].null_count() == fresh.height
        assert set(fresh["origin"].cast(pl.String).to_list()) == {"device"}
        assert fresh.filter(pl.col("entity_id").str.starts_with("sensor.")).height > 0


def test_a_restart_row_keeps_the_state_the_entity_had(home: SimulatedHome) -> None:
    frame = home.frame.sort("entity_id", "time", maintain_order=True).with_columns(
        pl.col("state").shift(1).over("entity_id").alias("before")
    )
    restarted = frame.filter(pl.col("old_state").is_null(), pl.col("before").is_not_null())

    assert restarted.height > 0
    assert restarted.filter(pl.col("state") != pl.col("before")).height == 0


def test_a_nightly_restart_at_half_past_three_comes_on_some_random_homes() -> None:
    nightly = []
    for seed in range(1, 9):
        home = simulate_home(SimulationConfig(seed=seed, days=10, randomize=True))
        local = [moment.astimezone(ZONE) for moment in home.restarts]
        nightly.append(sum(t.hour == 3 and 30 <= t.minute <= 33 for t in local) >= 8)

    assert any(nightly)
    assert not all(nightly)


def test_while_everyone_is_away_no_one_acts_or_moves_and_zone_home_is_zero(
    home: SimulatedHome,
) -> None:
    assert len(home.away) == 1
    leave, back = home.away[0]
    assert timedelta(days=3) < back - leave < timedelta(days=10)
    inside = home.frame.filter(pl.col("time") >= leave, pl.col("time") < back)
    by_hand = inside.filter(
        pl.col("origin").cast(pl.String).is_in(MANUAL),
        pl.col("old_state").is_not_null(),  # a restart while away writes its burst
        ~pl.col("domain").is_in(["sensor", "zone"]),
    )
    people = home.frame.filter(pl.col("entity_id").str.starts_with("person."))
    before = people.filter(pl.col("time") < leave).group_by("entity_id").agg(pl.col("state").last())
    zone = home.frame.filter(pl.col("entity_id") == "zone.home", pl.col("time") < back)

    assert by_hand.height == 0
    assert set(before["state"].to_list()) == {"not_home"}
    assert zone.filter(pl.col("time") < leave)["state"].to_list()[-1] == "0"
    assert inside.filter(pl.col("domain") == "sensor").height > 1000  # sensors still report
    assert inside.filter(pl.col("origin").cast(pl.String) == "automation").height > 0


def test_zone_home_counts_the_people_at_home(home: SimulatedHome) -> None:
    zone = home.frame.filter(pl.col("entity_id") == "zone.home", pl.col("old_state").is_not_null())

    assert set(zone["state"].to_list()) == {"0", "1", "2"}
    steps = (zone["state"].cast(pl.Int32) - zone["old_state"].cast(pl.Int32)).abs()
    assert set(steps.to_list()) == {1}


def test_one_light_with_two_routines_has_two_planted_habits_on_their_own_days(
    home: SimulatedHome,
) -> None:
    habits = _planted(home, "light.kitchen_island")

    assert len(habits) == 2
    assert habits[0].weekdays != habits[1].weekdays
    for habit in habits:
        acts = _by_hand(home, habit.target_entity, "on").filter(_near(_minute(habit), 25))
        on_days = acts.filter(pl.col("weekday").is_in(habit.weekdays))
        assert on_days["day"].n_unique() >= 2, habit.description


def test_a_lamp_at_30_percent_at_night_and_full_in_the_morning_is_two_habits(
    home: SimulatedHome,
) -> None:
    night, morning = _planted(home, "light.reading_lamp")

    assert dict(night.attributes) == {"brightness": 77}
    assert dict(morning.attributes) == {"brightness": 255}
    assert morning.weekdays == WEEKDAYS
    for habit, brightness in ((night, 77), (morning, 255)):
        acts = _by_hand(home, habit.target_entity, "on").filter(_near(_minute(habit), 25))
        levels = [json.loads(text)["brightness"] for text in acts["attributes"].to_list()]
        assert len(levels) >= 10
        assert levels.count(brightness) >= 0.9 * len(levels)


def test_the_thermostat_is_set_to_its_setpoint_at_bedtime(home: SimulatedHome) -> None:
    (habit,) = [h for h in home.truth if h.target_entity.startswith("climate.") and h.attributes]
    acts = _by_hand(home, habit.target_entity, "heat").filter(_near(_minute(habit), 30))

    assert dict(habit.attributes) == {"temperature": 19.5}
    assert acts.height >= 15
    assert {json.loads(text)["temperature"] for text in acts["attributes"].to_list()} == {19.5}
    aliases = {automation.alias for automation in home.context.automations}
    assert any("07:30" in alias for alias in aliases)  # and an automation turns it off


def test_three_lights_switched_together_are_one_planted_habit_with_its_group(
    home: SimulatedHome,
) -> None:
    (habit,) = [h for h in home.truth if h.group]
    members = (habit.target_entity, *habit.group)
    ons = pl.concat(
        _by_hand(home, member, "on").filter(_near(_minute(habit), 30)) for member in members
    )
    together = ons.group_by("day").agg(
        pl.col("entity_id").n_unique().alias("members"),
        ((pl.col("time").max() - pl.col("time").min()).dt.total_seconds()).alias("spread"),
    )

    assert len(members) == 3
    assert habit.conditions == ("home",)
    assert not any(_planted(home, member) for member in habit.group)
    full = together.filter(pl.col("members") == 3)
    assert full.height >= 15
    # within the minute (a stray switching of the first now and then aside)
    assert full.filter(pl.col("spread") <= 60).height >= 0.9 * full.height


def test_a_stopped_habit_is_done_before_the_last_third_and_never_after(
    home: SimulatedHome,
) -> None:
    (habit,) = [h for h in home.truth if h.stopped]
    acts = _by_hand(home, habit.target_entity, "on").filter(_near(_minute(habit), 30))
    last_third = home.window_end - (home.window_end - home.window_start) / 3

    assert acts.filter(pl.col("time") >= last_third + timedelta(days=1)).height == 0
    assert acts.filter(pl.col("time") < last_third).height >= 10


def test_a_drifting_habit_moves_by_its_drift_over_the_window(home: SimulatedHome) -> None:
    (habit,) = [h for h in home.truth if h.drift_minutes]
    acts = _by_hand(home, habit.target_entity, habit.target_state).filter(_near(_minute(habit), 40))
    week = timedelta(days=7)
    first = acts.filter(pl.col("time") < home.window_start + week)["minute"].median()
    last = acts.filter(pl.col("time") >= home.window_end - week)["minute"].median()

    assert 15 <= habit.drift_minutes <= 30
    assert isinstance(first, float | int)
    assert isinstance(last, float | int)
    assert 0.5 * habit.drift_minutes <= last - first <= 1.5 * habit.drift_minutes


def _is_dark(moment: datetime) -> bool:
    observer = Observer(BERLIN_LOCATION.latitude, BERLIN_LOCATION.longitude)
    local = moment.astimezone(ZONE)
    day = local.date()
    return bool(
        local > sunset(observer, day, tzinfo=ZONE) or local < sunrise(observer, day, tzinfo=ZONE)
    )


def test_the_patio_light_follows_the_door_only_when_it_is_dark(home: SimulatedHome) -> None:
    (habit,) = _planted(home, "light.patio")
    ons = _by_hand(home, "light.patio", "on")
    opened = home.frame.filter(
        pl.col("entity_id") == "binary_sensor.patio_door", pl.col("state") == "on"
    )
    dark_openings = sum(_is_dark(moment) for moment in opened["time"].to_list())

    assert habit.conditions == ("dark",)
    assert habit.trigger_entity == "binary_sensor.patio_door"
    assert ons.height >= 0.6 * dark_openings
    assert all(_is_dark(moment) for moment in ons["time"].to_list())
    assert dark_openings < opened.height  # the door opens by day too


def test_the_stairs_light_follows_motion_only_at_night(home: SimulatedHome) -> None:
    (habit,) = _planted(home, "light.stairs")
    ons = _by_hand(home, "light.stairs", "on")
    motion = _local(
        home.frame.filter(
            pl.col("entity_id") == "binary_sensor.stairs_motion", pl.col("state") == "on"
        )
    )
    night = (pl.col("minute") >= 22 * 60) | (pl.col("minute") < 6 * 60 + 31)

    assert habit.conditions == ("night",)
    assert ons.height >= 30
    assert ons.filter(~night).height == 0
    assert motion.filter(~night).height > motion.filter(night).height  # it moves by day too


def test_the_led_strip_goes_on_only_while_the_bedroom_tv_plays(home: SimulatedHome) -> None:
    (habit,) = _planted(home, "light.bedroom_strip")
    tv = home.frame.filter(pl.col("entity_id") == "media_player.bedroom_tv").select(
        "time", pl.col("state").alias("tv")
    )
    ons = _by_hand(home, "light.bedroom_strip", "on").sort("time")
    with_tv = ons.join_asof(tv, on="time", strategy="backward")

    assert habit.conditions == ("state:media_player.bedroom_tv=playing",)
    assert ons.height >= 8
    assert set(with_tv["tv"].to_list()) == {"playing"}


def test_a_light_has_a_steady_lunch_duration_and_long_varied_dinners(
    home: SimulatedHome,
) -> None:
    (habit,) = _planted(home, "light.kitchen_table")
    rows = _by_hand(home, "light.kitchen_table").sort("time")
    sessions = rows.with_columns(
        (pl.col("time").shift(-1) - pl.col("time")).dt.total_seconds().alias("length"),
        pl.col("state").shift(-1).alias("next"),
    ).filter(pl.col("state") == "on", pl.col("next") == "off")
    lunch = sessions.filter(pl.col("minute") < 15 * 60)["length"]
    dinner = sessions.filter(pl.col("minute") >= 17 * 60)["length"]

    assert habit.kind is HabitKind.AUTO_OFF
    assert habit.duration_seconds == 600
    assert lunch.len() >= 15
    assert dinner.len() >= 15
    assert abs(float(lunch.median()) - 600) < 90  # type: ignore[arg-type]
    assert dinner.min() >= 25 * 60  # type: ignore[operator]
    assert float(dinner.std()) > 5 * float(lunch.std())  # type: ignore[arg-type]


def test_a_trigger_followed_by_on_and_by_off_is_noise_not_a_habit(home: SimulatedHome) -> None:
    started = home.frame.filter(
        pl.col("entity_id") == "binary_sensor.stove", pl.col("state") == "on"
    )
    hood = home.frame.filter(pl.col("entity_id") == "light.cooker_hood").select("time", "state")
    after = started.select("time").join_asof(
        hood, on="time", strategy="forward", tolerance=timedelta(seconds=120)
    )
    followed = after["state"].drop_nulls().to_list()

    assert followed.count("on") >= 10
    assert followed.count("off") >= 5
    assert not _planted(home, "light.cooker_hood")
    assert not [h for h in home.truth if h.trigger_entity == "binary_sensor.stove"]


def test_the_truth_file_carries_the_new_fields(tmp_path: Path, home: SimulatedHome) -> None:
    _, truth_path = write_simulation(home, tmp_path / "home.parquet")
    written = json.loads(truth_path.read_text())
    listed = written["habits"]

    assert load_truth(truth_path) == home.truth
    by_entity = {item["target_entity"]: item for item in listed if item["group"]}
    assert len(by_entity) == 1
    (group,) = by_entity.values()
    assert group["conditions"] == ["home"]
    assert len(group["group"]) == 2
    assert any(item["stopped"] for item in listed)
    assert {"brightness": 77} in [item["attributes"] for item in listed]
    assert len(written["away"]) == 1
    assert len(written["restarts"]) == 2
    assert written["bouncing"] == list(home.bouncing)


def test_old_truth_files_without_the_new_fields_still_load(tmp_path: Path) -> None:
    path = tmp_path / "old.truth.json"
    path.write_text(
        json.dumps(
            {"habits": [{"kind": "time_of_day", "target_entity": "light.a", "target_state": "on"}]}
        )
    )

    (habit,) = load_truth(path)
    assert (habit.conditions, habit.attributes, habit.group, habit.stopped) == ((), (), (), False)


def test_random_homes_are_reproducible_per_seed_and_differ_across_seeds() -> None:
    first = simulate_home(SimulationConfig(seed=3, days=21, randomize=True))
    again = simulate_home(SimulationConfig(seed=3, days=21, randomize=True))
    other = simulate_home(SimulationConfig(seed=4, days=21, randomize=True))

    assert first.frame.equals(again.frame)
    assert (first.truth, first.restarts, first.away, first.bouncing) == (
        again.truth,
        again.restarts,
        again.away,
        again.bouncing,
    )
    assert first.household_truth != other.household_truth
    assert (first.restarts, first.bouncing) != (other.restarts, other.bouncing)


def test_random_homes_draw_which_behaviours_they_have() -> None:
    counts = {
        len(simulate_home(SimulationConfig(seed=seed, days=3, randomize=True)).household_truth)
        for seed in range(1, 7)
    }

    assert len(counts) > 1


def test_a_demo_spec_with_random_gives_the_random_home_of_its_seed() -> None:
    from homehabits.config import Settings
    from homehabits.sources.factory import source_from_spec
    from homehabits.sources.simulator import DemoSource

    source = source_from_spec("demo:7:random", Settings())

    assert isinstance(source, DemoSource)
    assert "seed 7" in source.description
    assert "random habits" in source.description


@pytest.mark.parametrize("spec", ["demo:7:wild", "demo:x:random"])
def test_a_demo_spec_with_anything_else_after_the_seed_is_refused(spec: str) -> None:
    from homehabits.exceptions import ConfigError
    from homehabits.sources.factory import parse_source_spec

    with pytest.raises(ConfigError, match="demo:"):
        parse_source_spec(spec)


def test_analyze_demo_randomize_reads_the_random_home(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from homehabits.cli import app

    db = f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}"
    result = CliRunner().invoke(
        app,
        ["analyze", "--demo", "--randomize", "--seed", "5", "--days", "7", "--db", db, "--json"],
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["run"]["source"].endswith("random habits)")
