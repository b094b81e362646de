"""Helpers that build small event frames from (local time, entity, state, origin) rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from homehabits.events import check_events

__all__ = ["BERLIN", "at", "build_frame", "daily"]

BERLIN = "Europe/Berlin"


def at(local: str, time_zone: str = BERLIN) -> datetime:
    """A local wall time such as '2024-03-01 07:00' as an aware UTC datetime."""
    naive = datetime.fromisoformat(local)
    return naive.replace(tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def build_frame(
    rows: Iterable[tuple[str | datetime, str, str, str]], time_zone: str = BERLIN
) -> pl.DataFrame:
    """An EventFrame from (local time or UTC datetime, entity, state, origin) rows.

    Each row's old state is the entity's previous state in the rows (time order); where that
    is the same state (rows that only switch something on), the opposite state is taken as the
    one before (off before on), so the row still counts as a change. The first row of an
    entity has none: like the first row of a window, it is not counted as made by hand.
    """
    moments = [
        (at(when, time_zone) if isinstance(when, str) else when, entity, state, origin)
        for when, entity, state, origin in rows
    ]
    moments.sort(key=lambda row: row[0])
    last: dict[str, str] = {}
    records = []
    for moment, entity, state, origin in moments:
        records.append(
            {
                "time": moment,
                "entity_id": entity,
                "state": state,
                "old_state": _opposite(state) if last.get(entity) == state else last.get(entity),
                "origin": origin,
            }
        )
        last[entity] = state
    raw = pl.DataFrame(
        records,
        schema={
            "time": pl.Datetime("us", "UTC"),
            "entity_id": pl.String,
            "state": pl.String,
            "old_state": pl.String,
            "origin": pl.String,
        },
    )
    return check_events(raw).frame


def _opposite(state: str) -> str:
    """A state other than `state` (what a repeated "on" was switched from)."""
    pairs = {"on": "off", "locked": "unlocked", "open": "closed", "home": "not_home"}
    pairs |= {after: before for before, after in pairs.items()}
    return pairs.get(state, "off" if state != "off" else "on")


def daily(
    first_day: str,
    days: int,
    clock: str,
    entity: str,
    state: str,
    origin: str = "user",
    jitter_minutes: Iterable[int] = (0,),
) -> list[tuple[str | datetime, str, str, str]]:
    """One row a day at a local clock time, shifted by a repeating jitter pattern."""
    start = datetime.fromisoformat(f"{first_day} {clock}")
    jitters = list(jitter_minutes)
    rows: list[tuple[str | datetime, str, str, str]] = []
    for n in range(days):
        moment = start + timedelta(days=n, minutes=jitters[n % len(jitters)])
        rows.append((moment.isoformat(sep=" "), entity, state, origin))
    return rows
