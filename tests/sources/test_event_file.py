"""Event files: CSV, Home Assistant's history download, JSON lines, Parquet; bad rows by line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from homehabits.context import HomeContext
from homehabits.exceptions import SourceFormatError, SourceNotFoundError
from homehabits.sources.event_file import EventFileSource

WINDOW = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
HOME = HomeContext(time_zone="UTC")


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
        path, columns={"time": "when", "entity_id": "entity", "state": "value", "origin": "cause"}
    )

    read = await _read(source)
    context = await source.read_context()

    assert read.frame.select("entity_id", "state").rows() == [
        ("switch.kettle", "on"),
        ("switch.kettle", "off"),
    ]
    assert context.friendly_name("switch.kettle") == "Kettle"
    assert source.default_window_end() == datetime(2024, 3, 4, 6, 33, tzinfo=UTC)


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
