"""The stored form of a habit: versioned, read back the same, older forms still read."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from homehabits.patterns.habit import (
    PATTERN_SCHEMA,
    HabitKind,
    Pattern,
    pattern_from_dict,
    pattern_to_dict,
)

_PORCH = Pattern(
    kind=HabitKind.SUN,
    target_entity="light.porch",
    target_state="on",
    sun_event="sunset",
    sun_offset_minutes=12,
    time_of_day=time(16, 50),
    evidence_times=(datetime(2026, 11, 2, 15, 51, tzinfo=UTC),),
    evidence_lags=(660.0,),
    action_attributes=(("brightness", 128),),
)


def test_a_habit_is_stored_with_its_schema_version_and_read_back_the_same() -> None:
    data = pattern_to_dict(_PORCH)

    assert data["schema"] == PATTERN_SCHEMA
    assert pattern_from_dict(data) == _PORCH


def test_a_habit_stored_before_versions_were_kept_reads_as_version_one() -> None:
    data = pattern_to_dict(_PORCH)
    del data["schema"]

    assert pattern_from_dict(data) == _PORCH


def test_evidence_times_stored_without_an_offset_are_read_as_utc() -> None:
    data = {**pattern_to_dict(_PORCH), "evidence_times": ["2026-11-02T15:51:00"]}

    assert pattern_from_dict(data).evidence_times == _PORCH.evidence_times


@pytest.mark.parametrize("schema", [PATTERN_SCHEMA + 1, "one", 0])
def test_a_schema_this_release_cannot_read_is_refused_saying_so(schema: object) -> None:
    with pytest.raises(ValueError, match="schema"):
        pattern_from_dict({**pattern_to_dict(_PORCH), "schema": schema})
