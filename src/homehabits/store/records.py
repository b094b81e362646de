"""What the store hands out and takes in: plain dataclasses, never ORM rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Self

from homehabits.config import Dialect
from homehabits.patterns.habit import HabitKind, Pattern
from homehabits.phrasing import replay_sentence
from homehabits.store.pattern_records import read_habit

__all__ = [
    "WRONG_TIMES_KEPT",
    "NewSuggestion",
    "RunRecord",
    "RunStatus",
    "RunSummary",
    "SuggestionRecord",
    "SuggestionRefresh",
    "SuggestionReplay",
    "SuggestionStatus",
]

#: How many of its wrong fires a suggestion keeps, to mark on its evidence picture.
WRONG_TIMES_KEPT: Final = 50


class SuggestionStatus(StrEnum):
    """Where a suggestion stands in the owner's review."""

    PENDING = "pending"
    APPROVED = "approved"
    DEPLOYED = "deployed"
    REJECTED = "rejected"
    DEPLOY_FAILED = "deploy_failed"  # retryable
    REMOVED = "removed"  # deployed, then undeployed
    RETIRED = (
        "retired"  # pending, then its habit was no longer found; back to pending if it returns
    )


class RunStatus(StrEnum):
    """How an analysis run ended (or that it is still going)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # finished, but something was skipped (bad rows, model failures)
    FAILED = "failed"


@dataclass(slots=True)
class RunSummary:
    """The outcome of an analysis run, written with its patterns and suggestions."""

    status: RunStatus
    events_read: int = 0
    events_rejected: int = 0
    patterns_found: int = 0
    suggestions_created: int = 0
    suggestions_dropped: int = 0
    suggestions_refreshed: int = 0  # pending ones found again, brought up to date
    phase_seconds: dict[str, float] = field(default_factory=dict)
    model_calls: int = 0
    cache_hits: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    errors: list[str] = field(default_factory=list)
    rejected_examples: list[dict[str, Any]] = field(
        default_factory=list
    )  # {"row"/"line", "reason"}
    time_zone: str | None = None
    ha_version: str | None = None
    # things the owner should know that did not stop the run (a service user not found...)
    warnings: list[str] = field(default_factory=list)
    service_account_proposals: list[dict[str, str]] = field(default_factory=list)
    # the owner's decisions as the ranking weighed them (patterns.calibration.Calibration.as_dict)
    calibration: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SuggestionReplay:
    """How a suggestion's automation would have behaved over its run's window (its replay).

    Every fire is useful (the person did the same), idle (it was so already) or wrong (it
    would have changed something the person did not); `saved` counts the manual actions it
    would have spared. `wrong_times` are the first WRONG_TIMES_KEPT wrong fires (UTC).
    """

    fires: int
    useful: int
    idle: int
    wrong: int
    saved: int
    wrong_rate: float
    days: int = 0  # the length of the window replayed
    wrong_times: tuple[datetime, ...] = ()

    @property
    def sentence(self) -> str:
        """The replay in one line, as the CLI and the review page show it."""
        return replay_sentence(
            fires=self.fires,
            useful=self.useful,
            idle=self.idle,
            wrong=self.wrong,
            saved=self.saved,
            days=self.days,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the figures, the days and the wrong times as ISO 8601 text."""
        return {
            "fires": self.fires,
            "useful": self.useful,
            "idle": self.idle,
            "wrong": self.wrong,
            "saved": self.saved,
            "wrong_rate": self.wrong_rate,
            "days": self.days,
            "wrong_times": [moment.isoformat() for moment in self.wrong_times],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Self | None:
        """The replay as stored; None for a row from before replays (or one that is unreadable)."""
        if not isinstance(data, Mapping):
            return None
        try:
            return cls(
                fires=int(data["fires"]),
                useful=int(data["useful"]),
                idle=int(data.get("idle", 0)),
                wrong=int(data["wrong"]),
                saved=int(data["saved"]),
                wrong_rate=float(data["wrong_rate"]),
                days=int(data.get("days", 0)),
                wrong_times=tuple(
                    datetime.fromisoformat(str(moment)) for moment in data.get("wrong_times", ())
                ),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """An analysis run as stored."""

    id: int
    trigger: str  # cli | api | schedule
    source: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    window_start: datetime
    window_end: datetime
    summary: RunSummary


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSuggestion:
    """A suggestion to store: a compiled draft with its words.

    Its fields are the suggestion's, defined here once: the stored record adds its review
    state, the API's schemas and the CLI's JSON take them by name.
    """

    fingerprint: str
    kind: HabitKind
    title: str
    description: str
    rationale: str
    category: str
    confidence: float
    score: float
    sensitive: bool
    sensitive_reason: str | None
    target_entity: str
    trigger_entity: str | None
    area_id: str | None
    area_name: str | None
    automation: dict[str, Any]
    yaml: str
    dialect: Dialect
    diff: str | None
    # the habit as stored (patterns.habit.pattern_to_dict, evidence included); read it as .habit
    pattern: dict[str, Any]
    author: str  # "template" or the model name
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    replay: SuggestionReplay | None = None  # None: found before suggestions were replayed
    # the condition the replay chose and its effect ("only when it is dark: without it …")
    condition_note: str | None = None

    def __post_init__(self) -> None:
        # kinds and dialects are enums from here on, whoever built the suggestion from text
        object.__setattr__(self, "kind", HabitKind(self.kind))
        object.__setattr__(self, "dialect", Dialect(self.dialect))

    @classmethod
    def from_parts(cls, *parts: object, **values: Any) -> Self:
        """A suggestion whose fields are taken by name: from `values`, else the first part having it.

        The job builds one from a habit, its compiled draft and its words, which name their
        fields as a suggestion does.
        """
        for item in fields(cls):
            if item.name not in values:
                source = next((part for part in parts if hasattr(part, item.name)), None)
                if source is not None:
                    values[item.name] = getattr(source, item.name)
        return cls(**values)

    @property
    def habit(self) -> Pattern:
        """The habit behind the suggestion, read back as a Pattern (StoreError if it cannot be)."""
        return read_habit(
            self.pattern,
            where=self._where(),
            kind=self.kind,
            fingerprint=self.fingerprint,
            target_entity=self.target_entity,
            trigger_entity=self.trigger_entity,
        )

    def _where(self) -> str:
        return f"the suggestion of habit {self.fingerprint}"


@dataclass(frozen=True, slots=True)
class SuggestionRefresh:
    """A pending suggestion found again by a later run: its fresh evidence and words.

    The automation is refreshed too, unless the owner edited it (`keep_automation`).
    """

    suggestion_id: int
    found: NewSuggestion
    keep_automation: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SuggestionRecord(NewSuggestion):
    """A suggestion as stored: its fields, and where it stands in the review."""

    id: int
    run_id: int
    status: SuggestionStatus
    created_at: datetime
    updated_at: datetime
    ha_automation_id: str | None = None
    deploy_message: str | None = None
    reject_reason: str | None = None
    replaced_automation: dict[str, Any] | None = None  # restored when an override is undeployed
    home_id: str | None = None  # the fleet's home (homehabits fleet); None: the single home

    def __post_init__(self) -> None:
        # super() by name: slots=True builds a new class that the argument-less form misses
        super(SuggestionRecord, self).__post_init__()
        object.__setattr__(self, "status", SuggestionStatus(self.status))

    def _where(self) -> str:
        return f"suggestion {self.id}"
