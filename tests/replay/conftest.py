"""Helpers for replay tests: a Berlin home, hand-built frames and one-line automations."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from homehabits.context import HomeContext, Location
from homehabits.events import check_events
from homehabits.replay import Replay, replay_automation
from tests.patterns.conftest import BERLIN, at, build_frame

__all__ = [
    "BERLIN",
    "BERLIN_HOME",
    "at",
    "build_frame",
    "call",
    "frame_with_attributes",
    "replay",
    "utc_times",
]

BERLIN_HOME = HomeContext(
    time_zone=BERLIN, location=Location(latitude=52.52, longitude=13.405, elevation=34.0)
)


def call(service: str, entity_id: str, **data: Any) -> dict[str, Any]:
    """A modern-dialect service call on one entity."""
    item: dict[str, Any] = {"action": service, "target": {"entity_id": entity_id}}
    if data:
        item["data"] = data
    return item


def replay(
    automation: Mapping[str, Any],
    rows: Iterable[tuple[str | datetime, str, str, str]] | pl.DataFrame,
    start: str,
    end: str,
    *,
    context: HomeContext = BERLIN_HOME,
    tolerance: timedelta = timedelta(minutes=15),
) -> Replay:
    """Replay one automation over rows between two local times of the Berlin home."""
    frame = rows if isinstance(rows, pl.DataFrame) else build_frame(rows)
    return replay_automation(
        automation,
        frame,
        context,
        window_start=at(start),
        window_end=at(end),
        tolerance=tolerance,
    )


def utc_times(*local: str) -> tuple[datetime, ...]:
    """Local Berlin wall times as the UTC moments a Replay reports."""
    return tuple(at(moment) for moment in local)


def frame_with_attributes(
    rows: Iterable[tuple[str, str, str, str, dict[str, Any] | None]],
) -> pl.DataFrame:
    """An EventFrame from (local time, entity, state, origin, attributes) rows, in time order."""
    ordered = sorted(rows, key=lambda row: at(row[0]))
    last: dict[str, str] = {}
    records = []
    for when, entity, state, origin, attributes in ordered:
        records.append(
            {
                "time": at(when),
                "entity_id": entity,
                "state": state,
                "old_state": last.get(entity),
                "origin": origin,
                "attributes": json.dumps(attributes) if attributes else None,
            }
        )
        last[entity] = state
    return check_events(pl.DataFrame(records)).frame
