"""Days and durations in words, one way for every caller: aliases, the writers, the simulator.

Standard library only, so anyone may import it. Monday is day 0, as `datetime.weekday()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

__all__ = [
    "ALL_DAYS",
    "DAY_NAMES",
    "WEEKDAYS",
    "WEEKENDS",
    "day_key",
    "day_list",
    "day_short",
    "days_phrase",
    "duration",
    "elapsed",
]

ALL_DAYS: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)  # Monday = 0, as datetime.weekday()
WEEKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4)
WEEKENDS: tuple[int, ...] = (5, 6)

#: The days of the week, Monday first.
DAY_NAMES: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def day_short(day: int) -> str:
    """'Mon' for 0."""
    return DAY_NAMES[day][:3]


def day_key(day: int) -> str:
    """'mon' for 0: the name Home Assistant's time condition and our day types use."""
    return DAY_NAMES[day][:3].lower()


def _listed(names: Sequence[str], joiner: str | None) -> str:
    if joiner is not None:
        return joiner.join(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def days_phrase(
    weekdays: Sequence[int],
    *,
    short: bool = False,
    every_day: str = "every day",
    plural: bool = True,
    joiner: str | None = None,
) -> str:
    """'every day', 'on weekdays', 'at weekends', 'on Tuesdays and Thursdays'.

    `short` names the days 'Tue' (and `plural` is then ignored), `every_day` is what every
    day (or no day given) is called, and `joiner` joins the named days ('+': 'on Tue+Thu')
    instead of ', ' and ' and '.
    """
    days = tuple(sorted(set(weekdays)))
    if days == ALL_DAYS or not days:
        return every_day
    if days == WEEKDAYS:
        return "on weekdays"
    if days == WEEKENDS:
        return "at weekends"
    return "on " + day_list(days, short=short, plural=plural, joiner=joiner)


def day_list(
    weekdays: Sequence[int], *, short: bool = False, plural: bool = True, joiner: str | None = None
) -> str:
    """The days themselves: 'Tuesdays and Thursdays', 'Tue and Thu', 'Tue+Thu'."""
    days = sorted(set(weekdays))
    if short:
        names = [day_short(day) for day in days]
    else:
        names = [DAY_NAMES[day] + ("s" if plural else "") for day in days]
    return _listed(names, joiner)


def _count(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def duration(
    seconds: float,
    *,
    spelled_out: bool = False,
    hours_from_minutes: int = 60,
    seconds_below: float = 60,
    tenths: bool = False,
) -> str:
    """A duration as the owner says it: '45 s', '15 min', '1 h 30 min'.

    Spelled out: '20 seconds', '15 minutes', '1 hour 30 minutes' (never '0 seconds'). Whole
    hours are said from `hours_from_minutes` on: the writers say '75 minutes', aliases '1 h 15 min'.
    Short durations stay in seconds below `seconds_below`, with a tenth where there is one
    when `tenths` (the evidence picture says '75 s' and '4.5 s').
    """
    if spelled_out:
        if round(seconds) < 60:
            return _count(max(1, round(seconds)), "second")
    elif seconds < seconds_below:
        if tenths:
            fine = round(seconds, 1)
            return f"{fine:g} s" if fine % 1 else f"{int(fine)} s"
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < hours_from_minutes:
        return _count(minutes, "minute") if spelled_out else f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if spelled_out:
        return _count(hours, "hour") + (f" {_count(rest, 'minute')}" if rest else "")
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def elapsed(seconds: float) -> str:
    """How long a piece of work took, as people read it: 4.2 ms, 0.19 s, 2 min 5 s."""
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"
