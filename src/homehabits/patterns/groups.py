"""Groups: entities a person switches together become one habit with several targets.

Three lamps switched on by hand within a minute every evening are one habit, not three:
after ranking, habits of the same kind, action, trigger, day set and (for clock and sun
habits) about the same time are merged when their actions coincide within a minute on
most of their days; so are the sequence habits the miners see inside a group ("the Shelf
lights on within the minute after the Sofa lamp"). The merged habit is led by the member
that starts it (the one no other member triggers; of several, the first entity id), keeps
the leader's parameters and evidence, and lists every other member with its own adherence
and settings. Its fingerprint is made from all its members, so it is the same in every run.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from homehabits.patterns.habit import GroupMember, HabitKind, Pattern

__all__ = ["TOGETHER_SHARE", "TOGETHER_WITHIN", "coincidence", "with_groups"]

#: Two actions this close are done together.
TOGETHER_WITHIN: Final = timedelta(seconds=60)
#: The share of actions that must coincide for two habits to be one group.
TOGETHER_SHARE: Final = 0.8

# the kinds whose action is a person's own at a moment (a clock, the sun, a trigger)
_KINDS: Final = frozenset({HabitKind.TIME_OF_DAY, HabitKind.SUN, HabitKind.SEQUENCE})
_CLOCK_MINUTES: Final = 15.0
_SUN_MINUTES: Final = 15.0


def coincidence(first: Sequence[datetime], second: Sequence[datetime]) -> float:
    """The share of the larger set of actions that has a partner within the minute."""
    if not first or not second:
        return 0.0
    others = sorted(second)
    together = 0
    for moment in first:
        at = bisect_left(others, moment - TOGETHER_WITHIN)
        if at < len(others) and others[at] <= moment + TOGETHER_WITHIN:
            together += 1
    return together / max(len(first), len(second))


def with_groups(patterns: list[Pattern], zone: ZoneInfo | None = None) -> list[Pattern]:
    """The ranked habits with those done together merged, in the order of their best member.

    `zone` is the home's: a member's days are counted on its local dates (UTC ones without).
    """
    candidates = [
        index
        for index, pattern in enumerate(patterns)
        if pattern.kind in _KINDS and not pattern.group_members and pattern.evidence_times
    ]
    parent = {index: index for index in candidates}

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for position, first in enumerate(candidates):
        for second in candidates[position + 1 :]:
            a, b = patterns[first], patterns[second]
            if _together(a, b):
                parent[root(second)] = root(first)
    members: dict[int, list[int]] = {}
    for index in candidates:
        members.setdefault(root(index), []).append(index)
    merged: dict[int, Pattern] = {}
    dropped: set[int] = set()
    for group in members.values():
        if len(group) < 2:
            continue
        merged[group[0]] = _merged([patterns[index] for index in group], zone or ZoneInfo("UTC"))
        dropped.update(group[1:])
    return [
        merged.get(index, pattern) for index, pattern in enumerate(patterns) if index not in dropped
    ]


def _together(a: Pattern, b: Pattern) -> bool:
    """Two habits on different entities that are one: alike, and done within the minute."""
    if a.target_entity == b.target_entity:
        return False
    if not (_alike(a, b) or _follows(a, b) or _follows(b, a)):
        return False
    return coincidence(a.evidence_times, b.evidence_times) >= TOGETHER_SHARE


def _alike(a: Pattern, b: Pattern) -> bool:
    """The same kind of habit, action, trigger and days, at about the same time."""
    if (a.kind, a.target_state, a.trigger_entity, a.trigger_state, a.sun_event) != (
        b.kind,
        b.target_state,
        b.trigger_entity,
        b.trigger_state,
        b.sun_event,
    ):
        return False
    if tuple(sorted(a.weekdays)) != tuple(sorted(b.weekdays)):
        return False
    if a.kind is HabitKind.TIME_OF_DAY:
        if a.time_of_day is None or b.time_of_day is None:
            return False
        gap = _minutes(a) - _minutes(b)
        return abs((gap + 720) % 1440 - 720) <= _CLOCK_MINUTES
    if a.kind is HabitKind.SUN:
        return abs((a.sun_offset_minutes or 0) - (b.sun_offset_minutes or 0)) <= _SUN_MINUTES
    return True


def _follows(first: Pattern, then: Pattern) -> bool:
    """`then` is switched within the minute after `first`'s target is: a member, not a cause.

    A person lighting three lamps one after another is seen by the sequence miner as "the
    Shelf lights on after the Sofa lamp turns on"; in a group that is one habit.
    """
    return (
        then.kind is HabitKind.SEQUENCE
        and then.trigger_entity == first.target_entity
        and then.trigger_state == first.target_state == then.target_state
        and then.lag_seconds is not None
        and then.lag_seconds <= TOGETHER_WITHIN.total_seconds()
    )


def _minutes(pattern: Pattern) -> float:
    clock = pattern.time_of_day
    assert clock is not None  # checked by the caller
    return clock.hour * 60 + clock.minute + clock.second / 60


def _merged(group: list[Pattern], zone: ZoneInfo) -> Pattern:
    """One habit for the group, led by the member that starts it.

    Members that only follow another member (a sequence on it) never lead: the group's
    trigger is what starts it all (the clock, the sun, a door).
    """
    entities = {pattern.target_entity for pattern in group}
    starters = [pattern for pattern in group if pattern.trigger_entity not in entities]
    leader = min(starters or group, key=lambda pattern: (pattern.target_entity, pattern.kind))
    members: dict[str, GroupMember] = {}
    for pattern in sorted(group, key=lambda pattern: pattern.target_entity):
        if pattern.target_entity == leader.target_entity or pattern.target_entity in members:
            continue
        same = [other for other in group if other.target_entity == pattern.target_entity]
        members[pattern.target_entity] = _member(leader, same, zone)
    return replace(
        leader,
        group_members=tuple(members.values()),
        score=max(pattern.score for pattern in group),
        confidence=max(pattern.confidence for pattern in group),
        sensitive=any(pattern.sensitive for pattern in group),
    )


def _member(leader: Pattern, found: list[Pattern], zone: ZoneInfo) -> GroupMember:
    """A member's own adherence: the days it was switched, of the group's possible days.

    `found` are the member's habits in the group (its clock habit, or "after the Sofa lamp");
    its days are the local dates of all their actions.
    """
    moments = sorted({moment for pattern in found for moment in pattern.evidence_times})
    days = len({_local_date(moment, zone) for moment in moments})
    possible = max(leader.days_possible, days)
    attributes = next((p.action_attributes for p in found if p.action_attributes), ())
    return GroupMember(
        entity_id=found[0].target_entity,
        adherence=round(days / possible, 3) if possible else 0.0,
        days_observed=days,
        days_possible=possible,
        together=round(coincidence(leader.evidence_times, moments), 3),
        action_attributes=attributes,
    )


def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()
