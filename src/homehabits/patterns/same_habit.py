"""The same habit found again: a habit that drifted a little keeps the fingerprint it had.

A run finds each habit anew, with today's mean time, sun offset, lag or duration. The owner
knows it by the fingerprint an earlier run gave it: that is what a rejection, a pending
suggestion and the words cache remember. So each new habit is matched to the nearest known
habit of the same kind, entities and action whose parameters lie within a tolerance, and
takes its fingerprint. Nearest wins; one known habit names at most one new habit.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import time
from typing import Any

from homehabits.patterns.habit import ALL_DAYS, HabitKind, Pattern, pattern_from_dict

__all__ = [
    "CLOCK_TOLERANCE_MINUTES",
    "LAG_TOLERANCE_FACTOR",
    "LAG_TOLERANCE_SECONDS",
    "SUN_OFFSET_TOLERANCE_MINUTES",
    "KnownHabit",
    "keep_known_fingerprints",
    "known_habit_from_data",
    "known_habit_of",
]

#: How far apart two clock times (on the circle of the day) may be and still be one habit.
CLOCK_TOLERANCE_MINUTES = 45.0
#: How far apart two offsets to the same sun event may be.
SUN_OFFSET_TOLERANCE_MINUTES = 30.0
#: Lags and durations: the same habit when within this factor of each other…
LAG_TOLERANCE_FACTOR = 2.0
#: …or within this many seconds (short lags wobble by more than a factor).
LAG_TOLERANCE_SECONDS = 60.0

_MINUTES_PER_DAY = 24 * 60
# what must be equal for two habits to be the same: kind, entities, action, sun event, automation
_Identity = tuple[str, str, str, str | None, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class KnownHabit:
    """A habit the store remembers: its fingerprint and what it is matched on."""

    fingerprint: str
    kind: HabitKind
    target_entity: str
    target_state: str
    trigger_entity: str | None = None
    trigger_state: str | None = None
    sun_event: str | None = None
    automation_id: str | None = None
    minute_of_day: float | None = None  # the clock time, in minutes after midnight
    weekdays: tuple[int, ...] = ALL_DAYS
    sun_offset_minutes: float | None = None
    lag_seconds: float | None = None
    duration_seconds: float | None = None


def known_habit_from_data(fingerprint: str, data: Mapping[str, Any]) -> KnownHabit | None:
    """A known habit from a stored pattern (pattern_to_dict form); None if it cannot be matched.

    Read through pattern_from_dict; a row it cannot read (an unknown kind, no target) is left
    out rather than refused. See known_habit_of for what is matched.
    """
    try:
        pattern = pattern_from_dict(data)
    except (ValueError, KeyError, TypeError):
        return None
    return known_habit_of(fingerprint, pattern)


def known_habit_of(fingerprint: str, pattern: Pattern) -> KnownHabit | None:
    """The known habit a stored pattern names; None if it cannot be matched.

    Old or partial rows lack some fields; a field that is missing or unreadable is left out of
    the match rather than refusing the row, except a clock habit's time.
    """
    kind = pattern.kind
    target_entity, target_state = pattern.target_entity, pattern.target_state
    if not fingerprint or not isinstance(target_entity, str) or not isinstance(target_state, str):
        return None
    minute = _minute_of_day(pattern.time_of_day)
    if kind is HabitKind.TIME_OF_DAY and minute is None:
        return None  # a clock habit is its time: without one it would match any of the entity
    return KnownHabit(
        fingerprint=fingerprint,
        kind=kind,
        target_entity=target_entity,
        target_state=target_state,
        trigger_entity=_text(pattern.trigger_entity),
        trigger_state=_text(pattern.trigger_state),
        sun_event=_text(pattern.sun_event) if kind is HabitKind.SUN else None,
        automation_id=_text(pattern.automation_id) if kind is HabitKind.OVERRIDE else None,
        minute_of_day=minute,
        weekdays=_weekdays(pattern.weekdays),
        sun_offset_minutes=_number(pattern.sun_offset_minutes),
        lag_seconds=_number(pattern.lag_seconds),
        duration_seconds=_number(pattern.duration_seconds),
    )


def keep_known_fingerprints(
    patterns: Sequence[Pattern], known: Iterable[KnownHabit]
) -> list[Pattern]:
    """The patterns, in order, each found again under the fingerprint of its known habit.

    A pattern whose own fingerprint is known keeps it (the nearest match of all). Otherwise
    it takes the fingerprint of the nearest known habit within the tolerances; a known habit
    names at most one pattern, and a pattern with no known habit near keeps its own. On a tie
    the habit listed first in `known` wins.
    """
    by_identity: dict[_Identity, list[tuple[int, KnownHabit]]] = defaultdict(list)
    for order, habit in enumerate(known):
        by_identity[_identity_of_known(habit)].append((order, habit))
    # (distance, pattern, order): ties go to the pattern first in rank, then the habit listed first
    candidates: list[tuple[float, int, int, str]] = []
    for index, pattern in enumerate(patterns):
        own = pattern.own_fingerprint
        for order, habit in by_identity.get(_identity_of_pattern(pattern), ()):
            distance = 0.0 if habit.fingerprint == own else _distance(pattern, habit)
            if distance is not None:
                candidates.append((distance, index, order, habit.fingerprint))
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    for _, index, _, fingerprint in sorted(candidates):
        if index in chosen or fingerprint in taken:
            continue
        chosen[index] = fingerprint
        taken.add(fingerprint)
    return [
        replace(pattern, known_as=chosen[index])
        if index in chosen and chosen[index] != pattern.own_fingerprint
        else pattern
        for index, pattern in enumerate(patterns)
    ]


def _identity_of_pattern(pattern: Pattern) -> _Identity:
    return (
        pattern.kind.value,
        pattern.target_entity,
        pattern.target_state,
        pattern.trigger_entity or None,
        pattern.trigger_state or None,
        pattern.sun_event if pattern.kind is HabitKind.SUN else None,
        pattern.automation_id if pattern.kind is HabitKind.OVERRIDE else None,
    )


def _identity_of_known(habit: KnownHabit) -> _Identity:
    return (
        habit.kind.value,
        habit.target_entity,
        habit.target_state,
        habit.trigger_entity,
        habit.trigger_state,
        habit.sun_event,
        habit.automation_id,
    )


def _distance(pattern: Pattern, habit: KnownHabit) -> float | None:
    """How far apart the two are (0 = alike), or None when beyond a tolerance.

    Each parameter both have adds its distance as a share of its tolerance (so every part
    lies in [0, 1]); weekday sets must overlap and add the share of days they do not share.
    """
    days, known_days = set(pattern.weekdays), set(habit.weekdays)
    if days and known_days and not days & known_days:
        return None
    total = 1 - len(days & known_days) / len(days | known_days) if days | known_days else 0.0
    minute = _minute_of_day(pattern.time_of_day)
    parts = (
        _clock_part(minute, habit.minute_of_day),
        _offset_part(pattern.sun_offset_minutes, habit.sun_offset_minutes),
        _lag_part(pattern.lag_seconds, habit.lag_seconds),
        _lag_part(pattern.duration_seconds, habit.duration_seconds),
    )
    for part in parts:
        if part is None:
            continue
        if part > 1:
            return None
        total += part
    return total


def _clock_part(minute: float | None, known: float | None) -> float | None:
    if minute is None or known is None:
        return None
    apart = abs(minute - known) % _MINUTES_PER_DAY
    apart = min(apart, _MINUTES_PER_DAY - apart)  # 23:50 and 00:05 are 15 minutes apart
    return apart / CLOCK_TOLERANCE_MINUTES


def _offset_part(offset: float | None, known: float | None) -> float | None:
    if offset is None or known is None:
        return None
    return abs(offset - known) / SUN_OFFSET_TOLERANCE_MINUTES


def _lag_part(seconds: float | None, known: float | None) -> float | None:
    if seconds is None or known is None:
        return None
    by_seconds = abs(seconds - known) / LAG_TOLERANCE_SECONDS
    if seconds <= 0 or known <= 0:
        return by_seconds
    by_factor = abs(math.log(seconds / known)) / math.log(LAG_TOLERANCE_FACTOR)
    return min(by_seconds, by_factor)


def _minute_of_day(value: Any) -> float | None:
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, time):
        return None
    return value.hour * 60 + value.minute + value.second / 60


def _weekdays(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list | tuple):
        return ALL_DAYS
    days = tuple(sorted({day for day in value if isinstance(day, int) and 0 <= day <= 6}))
    return days or ALL_DAYS


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
