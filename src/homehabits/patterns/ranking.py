"""Ranking: one score per habit, one habit per set of actions, none the home already automates."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

# the module, not the name: automations.dedupe reads Pattern, so this import is circular
from homehabits.automations import dedupe
from homehabits.context import HomeContext
from homehabits.patterns.habit import HabitKind, Pattern

__all__ = ["rank", "score"]

_SAME_HABIT_OVERLAP = 0.5  # share of the smaller evidence that both habits explain
# when two miners explain the same actions about as well, prefer the richer explanation:
# a fought automation, a departure, a cause or the sun say more than a clock time
_EXPLANATION_BONUS = {
    HabitKind.OVERRIDE: 0.3,
    HabitKind.PRESENCE: 0.15,
    HabitKind.SEQUENCE: 0.05,
    HabitKind.SUN: 0.05,
    HabitKind.AUTO_OFF: 0.05,
    HabitKind.TIME_OF_DAY: 0.0,
}
_QUIET_SENSOR_BONUS = 0.2
_TAIL_WITHIN = timedelta(minutes=30)
_TAIL_SHARE = 0.8
# of two opposite actions on one trigger, one is kept only with this many times the other's days
_DOMINATES_DAYS = 3.0


def score(pattern: Pattern, window_days: float) -> float:
    """Confidence × adherence × manual effort saved (how often a week the person does it)."""
    per_week = pattern.occurrences / max(window_days / 7, 1 / 7)
    effort = 1 - math.exp(-per_week / 7)
    value = pattern.confidence * (0.5 + 0.5 * pattern.adherence) * (0.4 + 0.6 * effort)
    return round(value, 4)


def rank(
    patterns: Iterable[Pattern],
    context: HomeContext,
    window_start: datetime,
    window_end: datetime,
) -> list[Pattern]:
    """Score the habits, keep one per set of actions, drop automated ones; best first."""
    window_days = (window_end - window_start).total_seconds() / 86400
    scored = [replace(p, score=score(p, window_days)) for p in patterns]
    kept = _without_contradictions(_without_tails(_one_per_habit(scored)))
    kept = [p for p in kept if not dedupe.is_covered(p, context.automations)]
    return sorted(kept, key=lambda p: (-p.score, p.fingerprint))


def _one_per_habit(patterns: list[Pattern]) -> list[Pattern]:
    """Habits found by two miners on the same actions appear once, best explained first."""
    ordered = sorted(patterns, key=_explains_best)
    kept: list[Pattern] = []
    evidence: list[frozenset[datetime]] = []
    for pattern in ordered:
        mine = frozenset(pattern.evidence_times)
        same = any(
            other.target_entity == pattern.target_entity
            and other.target_state == pattern.target_state
            and _overlap(mine, theirs)
            for other, theirs in zip(kept, evidence, strict=True)
        )
        if not same:
            kept.append(pattern)
            evidence.append(mine)
    return kept


def _without_tails(patterns: list[Pattern]) -> list[Pattern]:
    """Drop clock habits that only undo, minutes later, another habit on the same entity.

    Closing the garage four minutes after opening it belongs to the opening; as a clock
    automation of its own it would close the door on days it was never opened.
    """
    kept = []
    for pattern in patterns:
        clock = pattern.kind in (HabitKind.TIME_OF_DAY, HabitKind.SUN)
        heads = [
            other
            for other in patterns
            if other.target_entity == pattern.target_entity
            and other.target_state != pattern.target_state
        ]
        if clock and any(_follows(pattern, head) for head in heads):
            continue
        kept.append(pattern)
    return kept


def _without_contradictions(patterns: list[Pattern]) -> list[Pattern]:
    """Drop opposite actions on the same target after the same trigger (light on *and* off).

    Both cannot be what the person wants when the burner starts: neither is kept, unless one
    clearly dominates, i.e. it was done on at least three times the days of every rival (it
    passed every threshold on its own evidence already, or it would not be here).
    """
    rivals: dict[tuple[HabitKind, str, str, str], list[Pattern]] = {}
    for pattern in patterns:
        if pattern.trigger_entity is None or pattern.kind is HabitKind.OVERRIDE:
            continue  # clock habits have no shared trigger; an override is about a rule
        key = (
            pattern.kind,
            pattern.trigger_entity,
            pattern.trigger_state or "",
            pattern.target_entity,
        )
        rivals.setdefault(key, []).append(pattern)
    dropped: set[int] = set()
    for group in rivals.values():
        if len({pattern.target_state for pattern in group}) < 2:
            continue
        best = max(group, key=lambda pattern: (pattern.days_observed, pattern.confidence))
        others = [p for p in group if p.target_state != best.target_state]
        dominates = all(
            best.days_observed >= _DOMINATES_DAYS * other.days_observed for other in others
        )
        dropped.update(id(pattern) for pattern in (others if dominates else group))
    return [pattern for pattern in patterns if id(pattern) not in dropped]


def _follows(tail: Pattern, head: Pattern) -> bool:
    """Whether nearly every action of `tail` comes soon after an action of `head`."""
    starts = sorted(head.evidence_times)
    if not starts or not tail.evidence_times:
        return False
    soon = 0
    for moment in tail.evidence_times:
        index = bisect_left(starts, moment)
        if index and moment - starts[index - 1] <= _TAIL_WITHIN:
            soon += 1
    return soon >= _TAIL_SHARE * len(tail.evidence_times)


def _explains_best(pattern: Pattern) -> tuple[bool, float, str]:
    """Sort key: an override first (it names the automation being fought), then by how
    surely and how much of the evidence the habit explains."""
    bonus = _EXPLANATION_BONUS[pattern.kind]
    if pattern.kind is HabitKind.AUTO_OFF and pattern.trigger_entity is not None:
        bonus = _QUIET_SENSOR_BONUS  # "no motion for N minutes" beats "motion stopped, then off"
    strength = (pattern.confidence + bonus) * math.sqrt(pattern.occurrences)
    return (pattern.kind is not HabitKind.OVERRIDE, -strength, pattern.fingerprint)


def _overlap(first: frozenset[datetime], second: frozenset[datetime]) -> bool:
    smaller = min(len(first), len(second))
    return smaller > 0 and len(first & second) >= _SAME_HABIT_OVERLAP * smaller
