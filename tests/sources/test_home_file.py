"""A home file beside an event file: areas, device classes and the home's place, from files too."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from homehabits.cli import app
from homehabits.context import Location
from homehabits.exceptions import SourceFormatError, SourceNotFoundError
from homehabits.patterns import HabitKind, Pattern, mine
from homehabits.sources.event_file import EventFileSource
from homehabits.sources.home_file import read_home_file, write_home_file
from homehabits.sources.simulator import SimulationConfig, simulate_home, write_simulation

EVENTS = "time,entity_id,state,old_state,origin\n2024-03-04 06:30:00,light.hall,on,off,user\n"


async def _habits(source: EventFileSource) -> list[Pattern]:
    context = await source.read_context()
    end = source.default_window_end()
    assert end is not None
    start = end - timedelta(days=21)
    read = await source.read_events(start, end, context)
    return mine(read.frame, context, window_start=start, window_end=end)


def _motion_and_sun(habits: list[Pattern]) -> tuple[list[Pattern], list[Pattern]]:
    motion = [
        h
        for h in habits
        if h.kind is HabitKind.AUTO_OFF and (h.trigger_entity or "").endswith("_motion")
    ]
    return motion, [h for h in habits if h.kind is HabitKind.SUN]


async def test_an_event_file_with_its_home_file_gives_motion_and_sun_habits(
    tmp_path: Path,
) -> None:
    home = simulate_home(SimulationConfig(days=21))
    events, _ = write_simulation(home, tmp_path / "events.csv")
    write_home_file(home.context, tmp_path / "events.home.json")

    # no --time-zone, no --latitude/--longitude: the home file says them
    motion, sun = _motion_and_sun(await _habits(EventFileSource(events)))

    assert [h.trigger_entity for h in motion] == ["binary_sensor.bathroom_motion"]
    assert [(h.target_entity, h.sun_event) for h in sun] == [("light.porch", "sunset")]


async def test_without_the_home_file_those_habits_cannot_be_found(tmp_path: Path) -> None:
    home = simulate_home(SimulationConfig(days=21))
    events, _ = write_simulation(home, tmp_path / "events.csv")

    motion, sun = _motion_and_sun(
        await _habits(EventFileSource(events, time_zone=home.context.time_zone))
    )

    assert (motion, sun) == ([], [])


async def test_the_home_file_names_rooms_and_things_and_given_flags_win(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(EVENTS)
    (tmp_path / "home.json").write_text(
        json.dumps(
            {
                "name": "Our flat",
                "time_zone": "Europe/Berlin",
                "location": {"latitude": 52.52, "longitude": 13.405, "elevation": 34},
                "areas": {"hall": "Hallway"},
                "entities": {
                    "light.hall": {"name": "Hall light", "area": "Hallway"},
                    "binary_sensor.hall_motion": {"area": "hall", "device_class": "motion"},
                },
                "persons": ["Anna", "Ben"],
            }
        )
    )

    context = await EventFileSource(events).read_context()
    given = await EventFileSource(
        events, time_zone="Europe/Vienna", location=Location(48.2, 16.37)
    ).read_context()
    read = await EventFileSource(events).read_events(*_day_of(EventFileSource(events)), context)

    assert context.name == "Our flat"
    assert context.time_zone == "Europe/Berlin"
    assert context.location == Location(52.52, 13.405, 34.0)
    assert context.friendly_name("light.hall") == "Hall light"
    assert context.area_name("light.hall") == "Hallway"
    assert context.entities["binary_sensor.hall_motion"].device_class == "motion"
    assert context.persons == ("Anna", "Ben")
    assert (given.time_zone, given.location) == ("Europe/Vienna", Location(48.2, 16.37))
    # times without an offset are the home file's local time (06:30 in Berlin: 05:30 UTC)
    assert read.frame["time"][0].hour == 5
    assert not any("--latitude" in warning for warning in read.warnings)


def _day_of(source: EventFileSource) -> tuple:
    end = source.default_window_end()
    assert end is not None
    return end - timedelta(days=1), end


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"location": {"latitude": 152.5, "longitude": 13.4}}, "location.latitude"),
        ({"location": {"longitude": 13.4}}, "location.latitude"),
        ({"location": {"latitude": "north", "longitude": 13.4}}, "location.latitude"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"colour": "blue"}, "colour"),
        (
            {"entities": {"light.hall": {"area": "attic"}}, "areas": {"hall": "Hall"}},
            "entities.light.hall.area",
        ),
        ({"entities": {"light.hall": {"room": "hall"}}}, "entities.light.hall.room"),
        ({"entities": {"Light Hall": {}}}, "entities.Light Hall"),
        ({"entities": ["light.hall"]}, "entities"),
        ({"persons": "Anna"}, "persons"),
        ({"areas": {"hall": 3}}, "areas.hall"),
    ],
)
async def test_a_bad_home_file_is_one_line_naming_the_file_and_field(
    tmp_path: Path, content: object, field: str
) -> None:
    events = tmp_path / "events.csv"
    events.write_text(EVENTS)
    home = tmp_path / "events.home.json"
    home.write_text(json.dumps(content))

    with pytest.raises(SourceFormatError) as caught:
        await EventFileSource(events, time_zone="UTC").read_context()

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{home}, field {field!r}: ")
    assert caught.value.field == field


def test_a_home_file_that_is_not_json_names_its_line(tmp_path: Path) -> None:
    home = tmp_path / "home.json"
    home.write_text('{\n  "time_zone": "Europe/Berlin",\n  "areas": {,}\n}\n')

    with pytest.raises(SourceFormatError) as caught:
        read_home_file(home)

    assert str(caught.value).startswith(f"{home}, line 3: not valid JSON")


async def test_a_home_file_named_but_missing_is_refused(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(EVENTS)

    with pytest.raises(SourceNotFoundError, match=r"nowhere\.json does not exist"):
        await EventFileSource(
            events, time_zone="UTC", home_file=tmp_path / "nowhere.json"
        ).read_context()


def test_the_cli_says_what_is_wrong_in_the_home_file_in_one_line(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(EVENTS)
    (tmp_path / "home.json").write_text('{"location": {"latitude": 99, "longitude": 0}}')
    db = f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}"

    result = CliRunner().invoke(
        app, ["analyze", "--events", str(events), "--time-zone", "UTC", "--db", db]
    )

    assert result.exit_code != 0
    words = " ".join(result.output.split())
    assert "home.json, field 'location.latitude': 99 is outside -90 to 90" in words
