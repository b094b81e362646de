"""An automation's track record in words: 'fired 27 times; undone 6 times, all on Saturdays'."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from homehabits.phrasing import days_phrase, duration
from homehabits.watch.result import Revert

__all__ = ["revert_days", "track_record_words"]

# reverts name their weekdays when all of them fall on this few…
_FEW_DAYS: Final = 3
# …or this share of them on one or two ("8 of them at weekends")
_MOST: Final = 0.75
_MOST_DAYS: Final = 2


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def revert_days(reverts: Sequence[Revert], zone: ZoneInfo) -> tuple[tuple[int, ...], int]:
    """The weekdays (Monday 0) holding all reverts, or most of them, and how many fall on them.

    ((), 0) when the reverts are spread over the week (or there are too few to tell).
    """
    if len(reverts) < 2:
        return (), 0
    counts = Counter(revert.fired_at.astimezone(zone).weekday() for revert in reverts)
    if len(counts) <= _FEW_DAYS:
        return tuple(sorted(counts)), len(reverts)
    ranked = [day for day, _ in counts.most_common()]
    for size in range(1, _MOST_DAYS + 1):
        chosen = ranked[:size]
        held = sum(counts[day] for day in chosen)
        if held >= _MOST * len(reverts):
            return tuple(sorted(chosen)), held
    return (), 0


def track_record_words(
    *,
    fires: int,
    reverts: Sequence[Revert],
    misses: Sequence[datetime],
    days: int,
    zone: ZoneInfo,
    observable: bool = True,
) -> str:
    """The record in one line, as the owner reads it on a card or in the terminal."""
    if not observable:
        return (
            "cannot be watched: it changes no entity whose history homehabits reads, "
            "and its own entity's history is not there"
        )
    span = f" in {days} days" if days > 0 else ""
    if fires == 0:
        sentence = f"never fired{span}"
    else:
        sentence = f"fired {_times(fires)}"
        if reverts:
            sentence += f"; undone {_times(len(reverts))}"
            weekdays, held = revert_days(reverts, zone)
            if weekdays:
                where = days_phrase(weekdays)
                sentence += (
                    f", all {where}" if held == len(reverts) else f", {held} of them {where}"
                )
            seconds = sorted(revert.seconds for revert in reverts)
            middle = seconds[len(seconds) // 2]
            sentence += f", usually {duration(middle, spelled_out=True)} after it"
        else:
            sentence += "; never undone"
    if misses:
        sentence += f"; done by hand {_times(len(misses))} when it had not fired"
    return sentence
