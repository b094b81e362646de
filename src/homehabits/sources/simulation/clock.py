"""Local days and clock times of the simulated home, and their UTC instants (DST included)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from astral import Observer
from astral.sun import sunrise, sunset
from numpy.typing import NDArray

from homehabits.context import Location

__all__ = [
    "MICROS_PER_MINUTE",
    "MICROS_PER_SECOND",
    "Calendar",
    "local_to_utc",
    "to_micros",
]

MICROS_PER_SECOND = 1_000_000
MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND

Floats = NDArray[np.float64]
Micros = NDArray[np.int64]


def to_micros(moment: datetime) -> int:
    """An aware datetime as microseconds since the epoch (UTC)."""
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1))


def local_to_utc(local_micros: Micros, time_zone: str) -> Micros:
    """Local wall-clock instants (microseconds, naive) as UTC microseconds.

    A wall-clock time in the hour skipped when summer time starts does not exist: the person
    acts an hour later by the clock, as the clock has jumped. In the hour repeated when summer
    time ends, the first of the two is taken.
    """
    if local_micros.size == 0:
        return np.empty(0, dtype=np.int64)
    naive = pl.Series("local", local_micros, dtype=pl.Int64).cast(pl.Datetime("us"))
    first = naive.dt.replace_time_zone(time_zone, ambiguous="earliest", non_existent="null")
    later = (naive + timedelta(hours=1)).dt.replace_time_zone(
        time_zone, ambiguous="earliest", non_existent="null"
    )
    aware = first.fill_null(later).dt.convert_time_zone("UTC")
    return aware.dt.epoch("us").to_numpy().astype(np.int64)


@dataclass(frozen=True, slots=True)
class Calendar:
    """The local days simulated: one warm-up day before the window, through the window's end."""

    days: NDArray[np.datetime64]  # local dates, datetime64[D]
    time_zone: str
    location: Location

    @classmethod
    def between(cls, first: date, last: date, time_zone: str, location: Location) -> Calendar:
        """Every local date from first to last, both included."""
        days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
        return cls(days=days, time_zone=time_zone, location=location)

    @property
    def count(self) -> int:
        """How many days are simulated."""
        return int(self.days.size)

    @property
    def weekdays(self) -> NDArray[np.int64]:
        """Monday = 0 … Sunday = 6 for each day (1 Jan 1970 was a Thursday)."""
        return (self.days.astype(np.int64) + 3) % 7

    def at(self, day_index: NDArray[np.int64], minutes: Floats) -> Micros:
        """UTC microseconds of a local clock time (minutes after local midnight, may pass 24 h)."""
        midnight = self.days[day_index].astype("datetime64[us]").astype(np.int64)
        local = midnight + np.round(minutes * MICROS_PER_MINUTE).astype(np.int64)
        return local_to_utc(local, self.time_zone)

    def sun_minutes(self, event: str) -> Floats:
        """Local minutes after midnight of sunset or sunrise, day by day."""
        zone = ZoneInfo(self.time_zone)
        observer = Observer(
            latitude=self.location.latitude,
            longitude=self.location.longitude,
            elevation=self.location.elevation,
        )
        find = sunset if event == "sunset" else sunrise
        minutes = []
        for day in self.days.astype(date):
            moment = find(observer, date=day, tzinfo=zone)
            minutes.append(moment.hour * 60 + moment.minute + moment.second / 60)
        return np.asarray(minutes, dtype=np.float64)
