"""EventFrame checks: bad rows are dropped, counted and explained, never fatal."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from homehabits.events import EVENT_SCHEMA, Origin, check_events, empty_events


def _raw(**columns: list[object]) -> pl.DataFrame:
    return pl.DataFrame(columns, strict=False)


def test_good_rows_come_out_in_the_exact_schema_sorted_by_time() -> None:
    raw = _raw(
        time=["2024-10-27T01:30:00+00:00", "2024-10-27T00:30:00Z"],
        entity_id=["light.kitchen", "Switch.Fan"],
        state=["on", "off"],
        origin=["user", "AUTOMATION"],
    )

    checked = check_events(raw)

    assert dict(checked.frame.schema) == EVENT_SCHEMA
    assert checked.frame["entity_id"].to_list() == ["switch.fan", "light.kitchen"]
    assert checked.frame["domain"].to_list() == ["switch", "light"]
    assert checked.frame["origin"].to_list() == [Origin.AUTOMATION.value, Origin.USER.value]
    assert checked.rejected_count == 0


def test_bad_rows_are_counted_and_reported_with_their_reason() -> None:
    raw = _raw(
        time=[
            "2024-10-27T01:30:00Z",
            "yesterday-ish",
            "2024-10-27T02:00:00Z",
            "2024-10-27T03:00:00Z",
            "2024-10-27T04:00:00Z",
        ],
        entity_id=["light.kitchen", "light.kitchen", "not an entity", "light.hall", "light.hall"],
        state=["on", "off", "on", None, "on"],
        origin=["user", "user", "user", "user", "poltergeist"],
    )

    checked = check_events(raw)

    assert checked.frame.height == 1
    assert checked.rejected_by_reason == {
        "unparseable time": 1,
        "malformed entity id": 1,
        "missing state": 1,
        "unknown origin": 1,
    }
    assert [(r.row, r.reason) for r in checked.rejected] == [
        (1, "unparseable time"),
        (2, "malformed entity id"),
        (3, "missing state"),
        (4, "unknown origin"),
    ]


def test_epoch_seconds_and_naive_datetimes_are_read_as_utc() -> None:
    moment = datetime(2024, 3, 31, 0, 59, 59, tzinfo=UTC)
    epoch = _raw(time=[moment.timestamp()], entity_id=["light.a"], state=["on"])
    naive = _raw(time=[moment.replace(tzinfo=None)], entity_id=["light.a"], state=["on"])

    assert check_events(epoch).frame["time"].to_list() == [moment]
    assert check_events(naive).frame["time"].to_list() == [moment]


def test_missing_origin_means_unknown_and_missing_required_column_is_an_error() -> None:
    checked = check_events(_raw(time=["2024-01-01T00:00:00Z"], entity_id=["light.a"], state=["on"]))

    assert checked.frame["origin"].to_list() == [Origin.UNKNOWN.value]
    with pytest.raises(ValueError, match="state"):
        check_events(_raw(time=["2024-01-01T00:00:00Z"], entity_id=["light.a"]))


def test_only_a_sample_of_bad_rows_is_kept_but_all_are_counted() -> None:
    raw = _raw(time=["nope"] * 50, entity_id=["light.a"] * 50, state=["on"] * 50)

    checked = check_events(raw, keep_rejected=5)

    assert len(checked.rejected) == 5
    assert checked.rejected_count == 50
    assert empty_events().height == 0
