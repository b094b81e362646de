"""The Pattern type: one habit found in a home's history, with its evidence."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from enum import StrEnum
from typing import Any, Final

from homehabits.phrasing import ALL_DAYS, WEEKDAYS, WEEKENDS, day_key

__all__ = [
    "ALL_DAYS",
    "PATTERN_SCHEMA",
    "WEEKDAYS",
    "WEEKENDS",
    "GroupMember",
    "HabitKind",
    "Pattern",
    "day_type",
    "pattern_from_dict",
    "pattern_schema",
    "pattern_to_dict",
]

#: The version of pattern_to_dict's form, kept in it as "schema". A stored habit without one
#: was written before versions were kept: that form is version 1. Version 2 adds
#: group_members (a version 1 habit is read as a habit of one entity).
PATTERN_SCHEMA: Final = 2


class HabitKind(StrEnum):
    """The kinds of habit homehabits finds."""

    TIME_OF_DAY = "time_of_day"  # the same action at about the same clock time
    SUN = "sun"  # the same action at about the same offset to sunset/sunrise
    SEQUENCE = "sequence"  # A changes, then a person acts on B within a short lag
    AUTO_OFF = "auto_off"  # switched on, then off by hand after a steady duration
    OVERRIDE = "override"  # an automation acts, a person reverts it soon after
    PRESENCE = "presence"  # everyone leaves, a person switches things off
    # a deployed homehabits automation people keep undoing, revised (or turned off)
    REVISION = "revision"


def day_type(weekdays: tuple[int, ...]) -> str:
    """A name for a set of weekdays: every_day, weekdays, weekends, or e.g. tue_thu."""
    days = tuple(sorted(set(weekdays)))
    if days == ALL_DAYS:
        return "every_day"
    if days == WEEKDAYS:
        return "weekdays"
    if days == WEEKENDS:
        return "weekends"
    return "_".join(day_key(day) for day in days)


@dataclass(frozen=True, slots=True)
class GroupMember:
    """Another entity switched by hand together with a habit's target, and how faithfully."""

    entity_id: str
    adherence: float = 0.0  # its own days_observed / days_possible
    days_observed: int = 0
    days_possible: int = 0
    together: float = 0.0  # share of the target's actions it followed within the minute
    action_attributes: tuple[tuple[str, Any], ...] = ()  # its own settings

    def as_dict(self) -> dict[str, Any]:
        """The member as JSON-ready data."""
        return {
            "entity_id": self.entity_id,
            "adherence": self.adherence,
            "days_observed": self.days_observed,
            "days_possible": self.days_possible,
            "together": self.together,
            "action_attributes": dict(self.action_attributes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupMember:
        """The inverse of as_dict."""
        return cls(
            entity_id=data["entity_id"],
            adherence=data.get("adherence", 0.0),
            days_observed=data.get("days_observed", 0),
            days_possible=data.get("days_possible", 0),
            together=data.get("together", 0.0),
            action_attributes=tuple(sorted((data.get("action_attributes") or {}).items())),
        )


@dataclass(frozen=True, slots=True)
class Pattern:
    """One habit, its parameters and the evidence for it.

    The target is what the person does (entity and the state they set). The trigger is what
    it follows: another entity's change (sequence), a motion sensor (auto_off variant), the
    automation being overridden (override: its `automation.*` entity), or None.
    """

    kind: HabitKind
    target_entity: str
    target_state: str  # "on", "off", "open", "closed", "heat", a media state, …
    trigger_entity: str | None = None
    trigger_state: str | None = None
    # other entities involved: presence — every person/device_tracker that must be away
    related_entities: tuple[str, ...] = ()

    # parameters; which are set depends on the kind
    time_of_day: time | None = None  # local clock time (time_of_day; override's typical time)
    spread_minutes: float | None = None  # circular sd of the time of day (or sun offset)
    weekdays: tuple[int, ...] = ALL_DAYS
    sun_event: str | None = None  # "sunset" | "sunrise" (kind SUN)
    sun_offset_minutes: int | None = None  # minutes after (+) or before (-) the sun event
    lag_seconds: float | None = None  # typical lag: sequence, presence, override revert
    duration_seconds: float | None = None  # auto_off: on for this long, then off
    action_attributes: tuple[tuple[str, Any], ...] = ()  # e.g. (("brightness", 128),)
    automation_id: str | None = None  # override: the `id` of the existing automation

    # evidence
    occurrences: int = 0  # how many times the person did it
    days_observed: int = 0  # on how many distinct days
    days_possible: int = 0  # days of the habit's day type in the window
    adherence: float = 0.0  # days_observed / days_possible
    confidence: float = 0.0  # 0..1, the miner's belief that this is a real habit
    score: float = 0.0  # the ranking score: confidence, adherence and effort saved
    evidence_times: tuple[datetime, ...] = ()  # UTC times the person did it
    # seconds per occurrence: the lag or duration; for SUN the distance to that day's sun event
    evidence_lags: tuple[float, ...] = ()
    support: int | None = None  # sequence: how often the trigger happened
    lift: float | None = None  # sequence: P(B|A) / base rate of B
    sensitive: bool = False
    notes: tuple[str, ...] = field(default=())  # extra words for the writer
    # the fingerprint an earlier run gave this habit, when it is found again a little changed
    known_as: str | None = None
    # a group: the other entities switched by hand with the target, each with its adherence
    group_members: tuple[GroupMember, ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        """Every entity the habit acts on: the target, then the group's other members."""
        return (self.target_entity, *(member.entity_id for member in self.group_members))

    @property
    def day_type(self) -> str:
        """every_day, weekdays, weekends or a set of days such as tue_thu."""
        return day_type(self.weekdays)

    @property
    def fingerprint(self) -> str:
        """A stable name for the same habit in every run (for dedupe, cache and rejection).

        A habit found again a little changed (see same_habit) keeps the name it was first
        known by; a new one is named by its own_fingerprint.
        """
        return self.known_as or self.own_fingerprint

    @property
    def own_fingerprint(self) -> str:
        """The name this habit gets from its own parameters, when no earlier run knew it.

        A clock habit is named by its minute (not an hour bucket, whose edge at hh:30 split
        one habit in two): drifting a little, it is still matched to that name by same_habit.
        """
        # a group is named by all its members, whichever of them leads it in this run
        target = "+".join(sorted(self.targets)) if self.group_members else self.target_entity
        parts: list[str] = [
            self.kind.value,
            target,
            self.target_state,
            self.trigger_entity or "",
            self.trigger_state or "",
        ]
        if self.kind is HabitKind.TIME_OF_DAY and self.time_of_day is not None:
            minutes = self.time_of_day.hour * 60 + self.time_of_day.minute
            parts += [self.day_type, f"at{minutes:04d}"]
        elif self.kind is HabitKind.SUN:
            parts += [self.day_type, self.sun_event or ""]
        elif self.kind in (HabitKind.OVERRIDE, HabitKind.REVISION):
            parts += [self.automation_id or ""]
        digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
        return digest[:16]


def pattern_to_dict(pattern: Pattern) -> dict[str, Any]:
    """The pattern as JSON-ready data (times as ISO 8601 text), fingerprint and schema included."""
    return {
        "schema": PATTERN_SCHEMA,
        "kind": pattern.kind.value,
        "fingerprint": pattern.fingerprint,
        "target_entity": pattern.target_entity,
        "target_state": pattern.target_state,
        "trigger_entity": pattern.trigger_entity,
        "trigger_state": pattern.trigger_state,
        "related_entities": list(pattern.related_entities),
        "time_of_day": pattern.time_of_day.strftime("%H:%M:%S") if pattern.time_of_day else None,
        "spread_minutes": pattern.spread_minutes,
        "weekdays": list(pattern.weekdays),
        "day_type": pattern.day_type,
        "sun_event": pattern.sun_event,
        "sun_offset_minutes": pattern.sun_offset_minutes,
        "lag_seconds": pattern.lag_seconds,
        "duration_seconds": pattern.duration_seconds,
        "action_attributes": dict(pattern.action_attributes),
        "automation_id": pattern.automation_id,
        "occurrences": pattern.occurrences,
        "days_observed": pattern.days_observed,
        "days_possible": pattern.days_possible,
        "adherence": pattern.adherence,
        "confidence": pattern.confidence,
        "score": pattern.score,
        "evidence_times": [moment.isoformat() for moment in pattern.evidence_times],
        "evidence_lags": list(pattern.evidence_lags),
        "support": pattern.support,
        "lift": pattern.lift,
        "sensitive": pattern.sensitive,
        "notes": list(pattern.notes),
        "group_members": [member.as_dict() for member in pattern.group_members],
    }


def pattern_schema(data: Mapping[str, Any]) -> int:
    """The schema version of a stored pattern; ValueError when this homehabits cannot read it."""
    schema = data.get("schema", 1)
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise ValueError(f"the habit's schema version {schema!r} is not a version number")
    if schema > PATTERN_SCHEMA:
        raise ValueError(
            f"its habit was stored by a newer homehabits (pattern schema {schema}; this one reads "
            f"up to {PATTERN_SCHEMA}): upgrade homehabits"
        )
    return schema


def pattern_from_dict(data: Mapping[str, Any]) -> Pattern:
    """The inverse of pattern_to_dict (a fingerprint kept from an earlier run is kept).

    Reads every schema up to PATTERN_SCHEMA (none given is version 1); a newer one raises
    ValueError, saying that a newer homehabits wrote it.
    """
    pattern_schema(data)  # every version so far reads alike; a newer one is refused
    clock = data.get("time_of_day")
    pattern = Pattern(
        kind=HabitKind(data["kind"]),
        target_entity=data["target_entity"],
        target_state=data["target_state"],
        trigger_entity=data.get("trigger_entity"),
        trigger_state=data.get("trigger_state"),
        related_entities=tuple(data.get("related_entities") or ()),
        time_of_day=time.fromisoformat(clock) if clock else None,
        spread_minutes=data.get("spread_minutes"),
        weekdays=tuple(data.get("weekdays") or ALL_DAYS),
        sun_event=data.get("sun_event"),
        sun_offset_minutes=data.get("sun_offset_minutes"),
        lag_seconds=data.get("lag_seconds"),
        duration_seconds=data.get("duration_seconds"),
        action_attributes=tuple(sorted((data.get("action_attributes") or {}).items())),
        automation_id=data.get("automation_id"),
        occurrences=data.get("occurrences", 0),
        days_observed=data.get("days_observed", 0),
        days_possible=data.get("days_possible", 0),
        adherence=data.get("adherence", 0.0),
        confidence=data.get("confidence", 0.0),
        score=data.get("score", 0.0),
        evidence_times=tuple(_utc(text) for text in data.get("evidence_times") or ()),
        evidence_lags=tuple(data.get("evidence_lags") or ()),
        support=data.get("support"),
        lift=data.get("lift"),
        sensitive=data.get("sensitive", False),
        notes=tuple(data.get("notes") or ()),
        group_members=tuple(GroupMember.from_dict(m) for m in data.get("group_members") or ()),
    )
    fingerprint = data.get("fingerprint")
    if isinstance(fingerprint, str) and fingerprint and fingerprint != pattern.own_fingerprint:
        pattern = replace(pattern, known_as=fingerprint)
    return pattern


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    # evidence times are stored in UTC; one without an offset is read as UTC too
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
