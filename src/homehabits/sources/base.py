"""What every source of a home's history provides."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import polars as pl

from homehabits.context import HomeContext
from homehabits.events import RejectedRow

__all__ = ["EventRead", "Source"]


@dataclass(frozen=True, slots=True)
class EventRead:
    """The events of a window, checked, with the rows that had to be dropped."""

    frame: pl.DataFrame  # an EventFrame (see homehabits.events.EVENT_SCHEMA), sorted by time
    rows_read: int  # rows seen in the source, kept or not
    rejected: tuple[RejectedRow, ...] = ()  # examples, with the line/row where the source knows it
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def rejected_count(self) -> int:
        """How many rows were dropped."""
        return sum(self.rejected_by_reason.values())


class Source(Protocol):
    """A home's history and context. Reading never changes anything in Home Assistant."""

    @property
    def description(self) -> str:
        """Where the data comes from, for the run record and the log (no secrets)."""
        ...

    async def read_context(self) -> HomeContext:
        """The home's context: entities, devices, areas, automations, time zone, version."""
        ...

    async def read_events(self, start: datetime, end: datetime, context: HomeContext) -> EventRead:
        """The state changes with start <= time < end (UTC-aware datetimes)."""
        ...

    def default_window_end(self) -> datetime | None:
        """The end of the analysis window when none is given (None: now)."""
        ...
