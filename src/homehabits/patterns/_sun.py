"""Sunrise and sunset per local date, as minutes of the local day (computed with astral)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import polars as pl
from astral import Observer
from astral.sun import sun

from homehabits.context import Location

__all__ = ["SUN_EVENTS", "sun_table"]

SUN_EVENTS = ("sunset", "sunrise")


def sun_table(
    location: Location, time_zone: str, window_start: datetime, window_end: datetime
) -> pl.DataFrame:
    """`date` and the `sunset`/`sunrise` minute of the local day for every date of the window."""
    zone = ZoneInfo(time_zone)
    first = window_start.astimezone(zone).date() - timedelta(days=1)
    last = window_end.astimezone(zone).date() + timedelta(days=1)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    rows = [
        _sun_minutes(location.latitude, location.longitude, location.elevation, day, time_zone)
        for day in days
    ]
    return pl.DataFrame(
        {
            "date": days,
            "sunset": [row[0] for row in rows],
            "sunrise": [row[1] for row in rows],
        },
        schema={"date": pl.Date, "sunset": pl.Float64, "sunrise": pl.Float64},
    )


@lru_cache(maxsize=4096)
def _sun_minutes(
    latitude: float, longitude: float, elevation: float, day: date, time_zone: str
) -> tuple[float | None, float | None]:
    """Sunset and sunrise of one local date; None where the sun does not set or rise."""
    observer = Observer(latitude=latitude, longitude=longitude, elevation=elevation)
    try:
        times = sun(observer, date=day, tzinfo=ZoneInfo(time_zone))
    except ValueError:
        # polar day or night: no sunset/sunrise that date
        return None, None
    return _minute_of_day(times["sunset"]), _minute_of_day(times["sunrise"])


def _minute_of_day(moment: datetime) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60
