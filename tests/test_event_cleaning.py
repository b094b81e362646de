"""What is never a person's action: bounces and Home Assistant restarts, for every source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from homehabits.config import MiningSettings, load_settings
from homehabits.context import HomeContext
from homehabits.event_cleaning import clean_events, drop_bounces, mark_restarts
from homehabits.events import MANUAL_ORIGINS, Origin, check_events
from homehabits.exceptions import ConfigError
from homehabits.patterns import mine
from homehabits.patterns._common import manual_actions
from homehabits.patterns.time_of_day import find_time_habits

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
Row = tuple[datetime, str, str, str | None, str]


def _frame(rows: list[Row]) -> pl.DataFrame:
    """An EventFrame from (time, entity, state, state before, origin) rows."""
    raw = pl.DataFrame(
        [
            {"time": t, "entity_id": e, "state": s, "old_state": old, "origin": o}
            for t, e, s, old, o in rows
        ],
        schema={
            "time": pl.Datetime("us", "UTC"),
            "entity_id": pl.String,
            "state": pl.String,
            "old_state": pl.String,
            "origin": pl.String,
        },
    )
    return check_events(raw).frame


def _states(frame: pl.DataFrame, entity_id: str) -> list[tuple[str | None, str]]:
    rows = frame.filter(pl.col("entity_id") == entity_id).select("old_state", "state")
    return list(rows.iter_rows())


def _seconds(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


# --- bounces ---------------------------------------------------------------------------------


def test_a_flip_back_within_three_seconds_drops_both_rows_but_a_ten_second_one_stays() -> None:
    frame = _frame(
        [
            (_seconds(0), "switch.kettle", "on", "off", "device"),
            (_seconds(1.5), "switch.kettle", "off", "on", "device"),  # a bounce
            (_seconds(600), "switch.kettle", "on", "off", "device"),
            (_seconds(610), "switch.kettle", "off", "on", "device"),  # a short use: real
        ]
    )

    cleaned = drop_bounces(frame, 3.0)

    assert cleaned["time"].to_list() == [_seconds(600), _seconds(610)]


def test_a_chain_of_bounces_that_ends_elsewhere_is_the_one_change_it_made() -> None:
    frame = _frame(
        [
            (_seconds(0), "light.hall", "on", "off", "user"),
            (_seconds(1), "light.hall", "off", "on", "device"),
            (_seconds(2), "light.hall", "on", "off", "device"),
            (_seconds(2.5), "light.hall", "off", "on", "device"),
            (_seconds(4), "light.hall", "on", "off", "device"),
            (_seconds(3600), "light.hall", "off", "on", "user"),
        ]
    )

    cleaned = drop_bounces(frame, 3.0)

    assert _states(cleaned, "light.hall") == [("off", "on"), ("on", "off")]
    assert cleaned["time"].to_list() == [_seconds(4), _seconds(3600)]


def test_a_chain_of_bounces_back_to_where_it_started_is_dropped_whole() -> None:
    frame = _frame(
        [
            (
                _seconds(i),
                "binary_sensor.door",
                ("on", "off")[i % 2],
                ("off", "on")[i % 2],
                "device",
            )
            for i in range(6)
        ]
    )

    assert drop_bounces(frame, 3.0).is_empty()


def test_a_cover_moving_through_its_states_quickly_is_no_bounce() -> None:
    frame = _frame(
        [
            (_seconds(0), "cover.blind", "opening", "closed", "user"),
            (_seconds(2), "cover.blind", "open", "opening", "device"),
        ]
    )

    assert drop_bounces(frame, 3.0).height == 2


def test_what_an_automation_switches_quickly_is_left_alone() -> None:
    frame = _frame(
        [
            (_seconds(0), "light.hall", "on", "off", "automation"),
            (_seconds(1), "light.hall", "off", "on", "automation"),  # a flash
        ]
    )

    assert drop_bounces(frame, 3.0).height == 2


def test_only_the_entity_that_bounced_loses_rows() -> None:
    frame = _frame(
        [
            (_seconds(0), "light.hall", "on", "off", "device"),
            (_seconds(0.5), "light.porch", "on", "off", "device"),
            (_seconds(1), "light.hall", "off", "on", "device"),
            (_seconds(1.2), "sensor.power", "120", "80", "device"),
        ]
    )

    cleaned = drop_bounces(frame, 3.0)

    assert cleaned["entity_id"].to_list() == ["light.porch", "sensor.power"]
    assert cleaned.schema == frame.schema


def test_debounce_is_a_setting_per_domain_too_and_zero_turns_it_off() -> None:
    frame = _frame(
        [
            (_seconds(0), "light.hall", "on", "off", "device"),
            (_seconds(5), "light.hall", "off", "on", "device"),
            (_seconds(0), "cover.blind", "open", "closed", "device"),
            (_seconds(5), "cover.blind", "closed", "open", "device"),
        ]
    )
    settings = MiningSettings(per_domain={"cover": {"debounce_seconds": 10}})

    assert clean_events(frame, settings)["entity_id"].to_list() == ["light.hall", "light.hall"]
    quick = _frame(
        [
            (_seconds(0), "light.a", "on", "off", "user"),
            (_seconds(1), "light.a", "off", "on", "user"),
        ]
    )
    assert clean_events(quick, MiningSettings(debounce_seconds=0)).height == 2


def test_debounce_seconds_is_a_checked_mining_setting() -> None:
    from pydantic import ValidationError

    assert MiningSettings().debounce_seconds == 3.0
    with pytest.raises(ValidationError):
        MiningSettings(debounce_seconds=-1)
    with pytest.raises(ValidationError):
        MiningSettings.model_validate({"debounce_secs": 3})


def test_debounce_seconds_is_read_from_the_environment_and_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("HOMEHABITS_MINING__DEBOUNCE_SECONDS", "1.5")
    monkeypatch.setenv("HOMEHABITS_MINING__PER_DOMAIN__COVER__DEBOUNCE_SECONDS", "10")
    settings = load_settings()
    assert settings.mining.debounce_seconds == 1.5
    assert settings.mining.per_domain == {"cover": {"debounce_seconds": 10}}

    monkeypatch.setenv("HOMEHABITS_MINING__DEBOUNCE_SECONDS", "600")
    with pytest.raises(ConfigError, match="HOMEHABITS_MINING__DEBOUNCE_SECONDS"):
        load_settings()
    monkeypatch.setenv("HOMEHABITS_MINING__DEBOUNCE_SECOND", "1")
    with pytest.raises(ConfigError, match="did you mean"):
        load_settings()


def test_bounces_are_no_evidence_for_a_habit() -> None:
    rows: list[Row] = []
    for day in range(21):
        moment = datetime(2024, 5, 1, 21, 40, tzinfo=BERLIN).astimezone(UTC) + timedelta(days=day)
        # crosstalk: the switch blips on and off at the same moment every night
        rows.append((moment, "switch.boiler", "on", "off", "device"))
        rows.append((moment + timedelta(seconds=0.8), "switch.boiler", "off", "on", "device"))
    frame = _frame(rows)
    start, end = T0 - timedelta(days=1), T0 + timedelta(days=22)
    context = HomeContext(time_zone="Europe/Berlin")

    assert find_time_habits(frame, context, start, end, MiningSettings())  # what it used to be
    assert mine(frame, context, window_start=start, window_end=end) == []


# --- restarts --------------------------------------------------------------------------------

LIGHTS = [f"light.room_{n}" for n in range(14)]


def _home_with_a_restart_every_night(days: int = 21) -> pl.DataFrame:
    """Fourteen lights, a kitchen habit at 07:00, and Home Assistant restarting at 03:30."""
    rows: list[Row] = []
    for day in range(days):
        midnight = datetime(2024, 5, 1, tzinfo=BERLIN) + timedelta(days=day)
        restart = (midnight + timedelta(hours=3, minutes=30)).astimezone(UTC)
        for n, light in enumerate(LIGHTS):
            # every entity's state written again, with no state before it and no user
            rows.append((restart + timedelta(milliseconds=7 * n), light, "off", None, "device"))
        rows.append((restart, "sun.sun", "below_horizon", None, "device"))
        morning = (midnight + timedelta(hours=7, minutes=day % 5)).astimezone(UTC)
        rows.append((morning, "light.room_0", "on", "off", "user"))
        rows.append((morning + timedelta(minutes=40), "light.room_0", "off", "on", "user"))
    return _frame(rows)


def test_a_restart_burst_every_night_yields_no_off_at_03_30_habit() -> None:
    frame = _home_with_a_restart_every_night()
    start = datetime(2024, 5, 1, tzinfo=BERLIN).astimezone(UTC)
    end = start + timedelta(days=21)
    context = HomeContext(time_zone="Europe/Berlin")

    # taken as made by hand, the restarts would be fourteen "off at 03:30" habits
    raw = find_time_habits(frame, context, start, end, MiningSettings())
    assert sum(1 for habit in raw if habit.target_state == "off") >= 14
    found = mine(frame, context, window_start=start, window_end=end)

    assert found  # the real habit is still found
    assert {h.target_entity for h in found} == {"light.room_0"}
    assert not any(h.time_of_day is not None and h.time_of_day.hour == 3 for h in found)


def test_restart_rows_are_home_assistants_own_and_say_the_state_before() -> None:
    frame = mark_restarts(_home_with_a_restart_every_night(days=2))

    burst = frame.filter(pl.col("entity_id").is_in(LIGHTS[1:]))
    assert set(burst["origin"].cast(pl.String)) == {Origin.SYSTEM.value}
    # the first night has nothing before it; the second comes back as it was: no change
    assert (
        burst.filter(pl.col("time") > burst["time"].min() + timedelta(hours=1))[
            "old_state"
        ].to_list()
        == ["off"] * 13
    )


def test_rows_without_a_state_before_are_never_made_by_hand() -> None:
    frame = _frame(
        [
            (_seconds(0), "light.hall", "on", None, "user"),  # first row of the window
            (_seconds(60), "switch.new_plug", "on", None, "device"),  # an entity just added
            (_seconds(120), "light.hall", "off", "on", "user"),
        ]
    )

    cleaned = clean_events(frame)
    manual = manual_actions(cleaned)

    assert manual.filter(pl.col("old_state").is_null()).is_empty()
    assert manual["time"].to_list() == [_seconds(120)]
    no_state_before = cleaned.filter(pl.col("old_state").is_null())
    assert (
        not no_state_before["origin"].cast(pl.String).is_in([o.value for o in MANUAL_ORIGINS]).any()
    )


def test_a_person_switching_five_lights_at_once_is_no_restart() -> None:
    frame = _frame(
        [(_seconds(0.1 * n), f"light.l{n}", "on", "off", "user") for n in range(8)]
        + [(_seconds(0.1 * n + 1), f"light.m{n}", "on", "off", "device") for n in range(8)]
    )

    cleaned = mark_restarts(frame)

    assert cleaned["origin"].cast(pl.String).to_list() == ["user"] * 8 + ["device"] * 8


def test_system_is_an_origin_event_files_may_carry() -> None:
    frame = _frame([(_seconds(0), "light.hall", "off", None, "system")])

    assert frame["origin"].cast(pl.String).to_list() == ["system"]


def test_a_frame_from_an_older_parquet_file_without_system_can_still_be_cleaned() -> None:
    older = pl.Enum(["user", "device", "automation", "service", "unknown"])
    frame = _frame(
        [(_seconds(0.1 * n), f"light.l{n}", "off", None, "device") for n in range(6)]
    ).with_columns(pl.col("origin").cast(pl.String).cast(older))

    cleaned = mark_restarts(frame)

    assert cleaned["origin"].cast(pl.String).to_list() == ["system"] * 6
