"""Event files: CSV, Home Assistant's history download, JSON lines, Parquet; bad rows by line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from homehabits.context import HomeContext, Location
from homehabits.exceptions import ConfigError, SourceFormatError, SourceNotFoundError
from homehabits.sources.event_file import EventFileSource

WINDOW = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
BERLIN = Location(52.52, 13.405)
HOME = HomeContext(time_zone="UTC", location=BERLIN)


async def _read(source: EventFileSource):  # type: ignore[no-untyped-def]
    return await source.read_events(*WINDOW, HOME)


async def test_csv_rows_with_a_bad_time_or_entity_are_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "time,entity_id,state,origin\n"  # line 1
        "2024-03-04T06:30:00+00:00,light.kitchen,on,user\n"
        "2024-03-04T06:45:00+00:00,light.kitchen,off,user\n"
        "yesterday morning,light.kitchen,on,user\n"  # line 4
        "2024-03-05T06:31:00+00:00,light.kitchen,on,device\n"
        "2024-03-05T06:50:00+00:00,light.kitchen,off,automation\n"
        "2024-03-06T06:29:00+00:00,Kitchen Light!,on,user\n"  # line 7
        "2024-03-06T06:40:00+00:00,switch.kettle,on,user\n"
    )

    read = await _read(EventFileSource(path))

    assert [(row.row, row.reason) for row in read.rejected] == [
        (4, "unparseable time"),
        (7, "malformed entity id"),
    ]
    assert read.rows_read == 7
    assert read.frame.height == 5
    assert read.frame["old_state"].to_list() == [None, "on", "off", "on", None]
    assert read.frame["origin"].cast(pl.String).to_list() == [
        "user",
        "user",
        "device",
        "automation",
        "user",
    ]
    assert read.warnings == ()


async def test_home_assistants_history_download_is_read_with_unknown_origin(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.csv"
    path.write_text(
        "entity_id,state,last_changed\n"
        "light.living_room,off,2024-03-04T05:00:00.000Z\n"
        "light.living_room,on,2024-03-04T18:02:11.512Z\n"
        "light.living_room,off,2024-03-04T23:10:40.001Z\n"
    )

    read = await _read(EventFileSource(path))

    assert read.frame["state"].to_list() == ["off", "on", "off"]
    assert read.frame["time"][1] == datetime(2024, 3, 4, 18, 2, 11, 512000, tzinfo=UTC)
    assert set(read.frame["origin"].cast(pl.String)) == {"unknown"}
    assert len(read.warnings) == 1
    assert "HOMEHABITS_EVENTS_ASSUME_MANUAL" in read.warnings[0]


async def test_a_history_download_can_be_taken_as_changes_made_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text(
        "entity_id,state,last_changed\n"
        "light.living_room,on,2024-03-04T18:02:11.512Z\n"
        "light.living_room,off,2024-03-04T23:10:40.001Z\n"
    )

    read = await _read(EventFileSource(path, assume_manual=True))

    assert set(read.frame["origin"].cast(pl.String)) == {"device"}
    assert "taken as made by hand" in read.warnings[0]


async def test_times_without_an_offset_are_the_homes_local_time(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("time,entity_id,state\n2024-03-04 07:00:00,light.hall,on\n")

    read = await _read(EventFileSource(path, time_zone="Europe/Berlin"))

    assert read.frame["time"][0] == datetime(2024, 3, 4, 6, 0, tzinfo=UTC)


async def test_a_broken_json_line_is_a_rejected_row_and_the_rest_is_used(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = [
        json.dumps({"time": "2024-03-04T06:30:00Z", "entity_id": "light.hall", "state": "on"}),
        '{"time": "2024-03-04T06:31:00Z", "entity_id": "light.hall", ',
        "",
        json.dumps(
            {
                "time": 1709535600.5,
                "entity_id": "light.hall",
                "state": "off",
                "attributes": {"brightness": 10},
            }
        ),
        "[1, 2, 3]",
    ]
    path.write_text("\n".join(lines) + "\n")

    read = await _read(EventFileSource(path))

    assert [(row.row, row.reason) for row in read.rejected] == [
        (2, "not valid JSON"),
        (5, "not a JSON object"),
    ]
    assert read.rejected_by_reason == {"not valid JSON": 1, "not a JSON object": 1}
    assert read.frame["state"].to_list() == ["on", "off"]  # epoch seconds: 07:00:00.5 UTC
    assert read.frame["time"][1] == datetime(2024, 3, 4, 7, 0, 0, 500000, tzinfo=UTC)
    assert json.loads(read.frame["attributes"][1]) == {"brightness": 10}


async def test_a_parquet_file_is_read_and_bad_rows_are_numbered_from_one(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    pl.DataFrame(
        {
            "time": [
                datetime(2024, 3, 4, 6, 30),
                datetime(2024, 3, 4, 7, 30),
                datetime(2024, 3, 4, 8, 30),
            ],
            "entity_id": ["cover.blind", "cover.blind", "not an id"],
            "state": ["open", "closed", "open"],
            "origin": ["user", "device", "user"],
        }
    ).write_parquet(path)

    read = await _read(EventFileSource(path))

    assert read.frame["state"].to_list() == ["open", "closed"]
    assert read.frame["time"][0] == datetime(2024, 3, 4, 6, 30, tzinfo=UTC)
    assert [(row.row, row.reason) for row in read.rejected] == [(3, "malformed entity id")]


async def test_columns_can_be_mapped_from_the_files_own_names(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "when,entity,value,cause\n"
        "2024-03-04T06:30:00Z,switch.kettle,on,user\n"
        "2024-03-04T06:33:00Z,switch.kettle,off,device\n"
    )
    source = EventFileSource(
        path,
        time_zone="UTC",
        columns={"time": "when", "entity_id": "entity", "state": "value", "origin": "cause"},
    )

    read = await _read(source)
    context = await source.read_context()

    assert read.frame.select("entity_id", "state").rows() == [
        ("switch.kettle", "on"),
        ("switch.kettle", "off"),
    ]
    assert context.friendly_name("switch.kettle") == "Kettle"
    # just after the newest change: the window (start <= time < end) keeps it
    assert source.default_window_end() == datetime(2024, 3, 4, 6, 33, 0, 1, tzinfo=UTC)


async def test_a_missing_column_names_the_file_the_column_and_the_columns_found(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.csv"
    path.write_text("time,entity,state\n2024-03-04T06:30:00Z,light.hall,on\n")

    with pytest.raises(SourceFormatError) as caught:
        await _read(EventFileSource(path))

    message = str(caught.value)
    assert "events.csv" in message
    assert "'entity_id'" in message
    assert "columns found: time, entity, state" in message


async def test_a_mapping_to_a_column_the_file_lacks_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("time,entity_id,state\n2024-03-04T06:30:00Z,light.hall,on\n")

    with pytest.raises(SourceFormatError, match="no column 'who'"):
        await _read(EventFileSource(path, columns={"origin": "who"}))


async def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError):
        await _read(EventFileSource(tmp_path / "absent.csv"))


def test_an_unknown_file_type_is_refused_naming_the_types() -> None:
    with pytest.raises(SourceFormatError, match=r"\.csv, \.jsonl"):
        EventFileSource(Path("events.xlsx"))


# --- bad files: one line naming the file (and the line to blame) --------------------------


async def test_a_header_only_file_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("time,entity_id,state,origin\n")

    with pytest.raises(SourceFormatError) as caught:
        await _read(EventFileSource(path))

    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "only a header line" in message
    assert "\n" not in message


async def test_a_file_whose_every_time_is_garbage_names_the_file_and_a_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "garbage.csv"
    path.write_text("time,entity_id,state\nbanana,light.hall,on\n12:61 tomorrow,light.hall,off\n")
    numbers = tmp_path / "garbage.jsonl"
    numbers.write_text(
        json.dumps({"time": 1e30, "entity_id": "light.hall", "state": "on"})
        + "\n"
        + json.dumps({"time": -1e300, "entity_id": "light.hall", "state": "off"})
        + "\n"
    )

    with pytest.raises(SourceFormatError) as caught:
        await _read(EventFileSource(path))
    with pytest.raises(SourceFormatError) as caught_numbers:
        await _read(EventFileSource(numbers))

    message = str(caught.value)
    assert message.startswith(f"{path}, field 'time': no row has a time")
    assert "line 2 has 'banana'" in message
    assert "\n" not in message
    assert str(numbers) in str(caught_numbers.value)
    assert "no row has a time" in str(caught_numbers.value)


async def test_a_binary_file_named_csv_is_an_error_naming_the_file(tmp_path: Path) -> None:
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    parquet = tmp_path / "events.csv"
    pl.DataFrame(
        {"time": ["2024-03-04T06:30:00Z"], "entity_id": ["light.hall"], "state": ["on"]}
    ).write_parquet(parquet)

    with pytest.raises(SourceFormatError) as caught:
        await _read(EventFileSource(binary))
    with pytest.raises(SourceFormatError, match=r"Parquet file: name it \.parquet"):
        await _read(EventFileSource(parquet))

    message = str(caught.value)
    assert message.startswith(f"{binary}: not a text file")
    assert "\n" not in message


async def test_non_utf8_bytes_in_three_rows_name_the_file_and_the_first_of_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        b"time,entity_id,state\n"
        b"2024-03-04T06:30:00Z,light.hall,on\n"
        b"2024-03-04T06:31:00Z,light.caf\xe9,on\n"  # line 3
        b"2024-03-04T06:32:00Z,light.hall,\xf6ff\n"  # line 4
        b"2024-03-04T06:33:00Z,light.hall,on\n"
        b"2024-03-04T06:34:00Z,light.k\xfcche,on\n"  # line 6
    )

    with pytest.raises(SourceFormatError) as caught:
        await _read(EventFileSource(path))

    message = str(caught.value)
    assert caught.value.line == 3
    assert message.startswith(f"{path}, line 3: not UTF-8 text")
    assert "3 line(s)" in message
    assert "3, 4, 6" in message
    assert "\n" not in message


# --- rows that must not distort the window or the habits ---------------------------------


async def test_a_row_in_year_9999_is_skipped_by_its_line_and_the_window_stays_on_the_real_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "time,entity_id,state,origin\n"
        "2024-03-04T06:30:00Z,light.hall,on,user\n"
        "9999-03-04T06:30:00Z,light.hall,off,user\n"  # line 3: a typo or a broken clock
        "2024-03-04T06:45:00Z,light.hall,off,user\n"
    )
    source = EventFileSource(path)

    end = source.default_window_end()
    assert end is not None
    read = await source.read_events(end - timedelta(days=30), end, HOME)

    assert end < datetime(2024, 3, 5, tzinfo=UTC)
    assert read.frame["state"].to_list() == ["on", "off"]
    assert [(row.row, row.reason) for row in read.rejected] == [(3, "time in the future")]
    assert read.rejected_count == 1


async def test_the_newest_change_is_inside_the_default_window(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "time,entity_id,state,origin\n"
        "2024-03-04T06:30:00Z,light.hall,on,user\n"
        "2024-03-04T06:45:00.123456Z,light.hall,off,user\n"
    )
    source = EventFileSource(path)

    end = source.default_window_end()
    assert end is not None
    read = await source.read_events(end - timedelta(days=30), end, HOME)
    next_day = await source.read_events(end, end + timedelta(days=30), HOME)

    assert read.frame["state"].to_list() == ["on", "off"]
    assert next_day.frame.is_empty()  # the next window starts after it: never counted twice


async def test_every_row_twice_gives_the_same_habits_as_once(tmp_path: Path) -> None:
    from homehabits.patterns import mine
    from homehabits.sources.simulator import SimulationConfig, simulate_home, write_simulation

    once = tmp_path / "once.csv"
    write_simulation(simulate_home(SimulationConfig(days=21)), once)
    header, *rows = once.read_text().splitlines()
    twice = tmp_path / "twice.csv"
    twice.write_text("\n".join([header, *rows, *rows]) + "\n")

    async def habits(path: Path) -> tuple[set[str], int]:
        source = EventFileSource(path, time_zone="Europe/Berlin", location=BERLIN)
        context = await source.read_context()
        end = source.default_window_end()
        assert end is not None
        start = end - timedelta(days=21)
        read = await source.read_events(start, end, context)
        found = mine(read.frame, context, window_start=start, window_end=end)
        return {pattern.fingerprint for pattern in found}, read.rejected_by_reason.get(
            "same as an earlier row", 0
        )

    habits_once, repeated_once = await habits(once)
    habits_twice, repeated_twice = await habits(twice)

    assert habits_once
    assert habits_twice == habits_once
    assert repeated_once == 0
    assert repeated_twice == len(rows)


# --- time zone and location ---------------------------------------------------------------


async def test_a_file_without_a_given_time_zone_is_refused_saying_what_to_give(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.csv"
    path.write_text("time,entity_id,state\n2024-03-04 07:00:00,light.hall,on\n")

    with pytest.raises(ConfigError) as caught:
        await EventFileSource(path).read_context()

    assert str(path) in str(caught.value)
    assert "give --time-zone (and --latitude/--longitude for sun habits)" in str(caught.value)


async def test_the_given_time_zone_and_location_are_the_homes(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("time,entity_id,state\n2024-03-04 07:00:00,light.hall,on\n")
    source = EventFileSource(path, time_zone="Europe/Berlin", location=BERLIN)

    context = await source.read_context()
    read = await source.read_events(*WINDOW, context)
    unplaced = await source.read_events(*WINDOW, HomeContext(time_zone="Europe/Berlin"))

    assert context.time_zone == "Europe/Berlin"
    assert context.location == BERLIN
    assert not any("latitude" in warning for warning in read.warnings)
    assert any("--latitude/--longitude" in warning for warning in unplaced.warnings)
