"""The homehabits tables: analysis runs, their patterns and suggestions, feedback, versions, cache."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect as DatabaseDialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from homehabits.config import Dialect
from homehabits.patterns.habit import HabitKind
from homehabits.store.records import RunStatus, SuggestionReplay, SuggestionStatus

__all__ = [
    "AnalysisLockRow",
    "AnalysisRunRow",
    "AutomationWatchRow",
    "Base",
    "FeedbackRow",
    "PatternRow",
    "ServiceAccountRow",
    "SuggestionRow",
    "SuggestionVersionRow",
    "TextEnum",
    "UtcDateTime",
    "WriterCacheRow",
    "utc_now",
]


_E = TypeVar("_E", bound=StrEnum)


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time, stored as UTC and always read back timezone-aware UTC.

    SQLite keeps no time zone, so a value is converted to UTC before it is written (which
    also keeps text comparisons in SQLite in time order) and UTC is re-attached on reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: DatabaseDialect
    ) -> datetime | None:
        """Refuse naive times; write aware ones as UTC."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a naive datetime cannot be stored (use a time zone): {value!r}")
        moment = value.astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(
        self, value: datetime | None, dialect: DatabaseDialect
    ) -> datetime | None:
        """Hand out aware UTC times, whatever the database kept."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class TextEnum(TypeDecorator[_E]):
    """An enum kept as its text value (a plain VARCHAR), handed out as the enum member."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[_E], length: int) -> None:
        super().__init__(length)
        self._enum = enum

    def process_bind_param(self, value: _E | str | None, dialect: DatabaseDialect) -> str | None:
        """Write the member's value (text naming no member is refused)."""
        return None if value is None else self._enum(value).value

    def process_result_value(self, value: str | None, dialect: DatabaseDialect) -> _E | None:
        """Read the text back as the member."""
        return None if value is None else self._enum(value)


class ReplayJSON(TypeDecorator[SuggestionReplay]):
    """A suggestion's replay, kept as JSON; a row without one (or an unreadable one) reads None."""

    impl = JSON
    cache_ok = True

    def process_bind_param(
        self, value: SuggestionReplay | None, dialect: DatabaseDialect
    ) -> dict[str, Any] | None:
        """Write the replay's figures and wrong times."""
        return None if value is None else value.as_dict()

    def process_result_value(
        self, value: dict[str, Any] | None, dialect: DatabaseDialect
    ) -> SuggestionReplay | None:
        """Read them back as a SuggestionReplay."""
        return SuggestionReplay.from_dict(value)


class Base(DeclarativeBase):
    """The declarative base of every homehabits table."""

    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 - SQLAlchemy reads it as a class attribute
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class AnalysisRunRow(Base):
    """One analysis run: when, over which window, and what it found and spent."""

    __tablename__ = "analysis_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(Text)
    status: Mapped[RunStatus] = mapped_column(TextEnum(RunStatus, 20), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    time_zone: Mapped[str | None] = mapped_column(String(64))
    ha_version: Mapped[str | None] = mapped_column(String(32))
    events_read: Mapped[int] = mapped_column(Integer, default=0)
    events_rejected: Mapped[int] = mapped_column(Integer, default=0)
    patterns_found: Mapped[int] = mapped_column(Integer, default=0)
    suggestions_created: Mapped[int] = mapped_column(Integer, default=0)
    suggestions_dropped: Mapped[int] = mapped_column(Integer, default=0)
    suggestions_refreshed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    phase_seconds: Mapped[dict[str, Any]]
    model_calls: Mapped[int] = mapped_column(Integer, default=0)
    cache_hits: Mapped[int] = mapped_column(Integer, default=0)
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    errors: Mapped[list[Any]]
    rejected_examples: Mapped[list[Any]]
    warnings: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    # users whose actions look machine-made, {"user_id", "name", "evidence"}, for the owner
    service_account_proposals: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    # the factors the owner's decisions gave the ranking, {"kind": {...}, "domain": {...}}
    calibration: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # the process running it ("host:pid:token") and when it last said it is alive
    owner: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None]
    # which home of a fleet (homehabits fleet); None for the single home (migration 0010)
    home_id: Mapped[str | None] = mapped_column(String(255), index=True)


class AnalysisLockRow(Base):
    """The one row saying which process runs an analysis now, kept alive by its heartbeat."""

    __tablename__ = "analysis_lock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(255))
    run_id: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]


class PatternRow(Base):
    """One habit found by a run, with its full data as JSON."""

    __tablename__ = "patterns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_runs.id", ondelete="CASCADE"), index=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[HabitKind] = mapped_column(TextEnum(HabitKind, 32))
    target_entity: Mapped[str] = mapped_column(String(255))
    trigger_entity: Mapped[str | None] = mapped_column(String(255))
    area_id: Mapped[str | None] = mapped_column(String(255))
    score: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    data: Mapped[dict[str, Any]]


class SuggestionRow(Base):
    """One suggested automation and where it stands in the owner's review."""

    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_runs.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[SuggestionStatus] = mapped_column(TextEnum(SuggestionStatus, 20), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[HabitKind] = mapped_column(TextEnum(HabitKind, 32))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    sensitive: Mapped[bool] = mapped_column(Boolean)
    sensitive_reason: Mapped[str | None] = mapped_column(Text)
    target_entity: Mapped[str] = mapped_column(String(255))
    trigger_entity: Mapped[str | None] = mapped_column(String(255))
    area_id: Mapped[str | None] = mapped_column(String(255))
    area_name: Mapped[str | None] = mapped_column(String(255))
    automation: Mapped[dict[str, Any]]
    yaml: Mapped[str] = mapped_column(Text)
    dialect: Mapped[Dialect] = mapped_column(TextEnum(Dialect, 16))
    diff: Mapped[str | None] = mapped_column(Text)
    pattern: Mapped[dict[str, Any]]
    author: Mapped[str] = mapped_column(String(255))
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    ha_automation_id: Mapped[str | None] = mapped_column(String(255))
    deploy_message: Mapped[str | None] = mapped_column(Text)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    # the owner's own automation a deployed override replaced, restored on undeploy
    replaced_automation: Mapped[dict[str, Any] | None]
    # how the automation would have behaved over the run's window (migration 0006)
    replay: Mapped[SuggestionReplay | None] = mapped_column(ReplayJSON())
    condition_note: Mapped[str | None] = mapped_column(Text)
    # which home of a fleet (homehabits fleet); None for the single home (migration 0010)
    home_id: Mapped[str | None] = mapped_column(String(255), index=True)


class FeedbackRow(Base):
    """One step of the review history: a status change or an edit, with its reason."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), index=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    # approved | rejected | deployed | deploy_failed | removed | pending | edited
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    # who did it, when known (the Home Assistant user under ingress); migration 0007
    actor: Mapped[str | None] = mapped_column(String(255))


class SuggestionVersionRow(Base):
    """One version of a suggestion's automation: what it was, who made it so, when and why."""

    __tablename__ = "suggestion_versions"
    __table_args__ = (UniqueConstraint("suggestion_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … per suggestion
    automation: Mapped[dict[str, Any]]
    yaml: Mapped[str] = mapped_column(Text)
    dialect: Mapped[Dialect] = mapped_column(TextEnum(Dialect, 16))
    # who: the reviewer as feedback.actor records it, "homehabits" for a run, None: not known
    actor: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)  # "found by run 12", "edited", "deployed", …
    # this version went to Home Assistant at this step (a deploy, or a rollback redeployed)
    deployed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class WriterCacheRow(Base):
    """Words a model already wrote, keyed by fingerprint + model + prompt version."""

    __tablename__ = "writer_cache"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(255))
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class ServiceAccountRow(Base):
    """A Home Assistant user the owner confirmed as a service account (not a person)."""

    __tablename__ = "service_accounts"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)  # confirmed on the page, or homehabits' own token
    confirmed_at: Mapped[datetime]


class AutomationWatchRow(Base):
    """One automation's track record in one run: a deployed suggestion's or the owner's own."""

    __tablename__ = "automation_watch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_runs.id", ondelete="CASCADE"), index=True
    )
    automation_entity: Mapped[str | None] = mapped_column(String(255))
    automation_id: Mapped[str | None] = mapped_column(String(255))
    alias: Mapped[str] = mapped_column(Text)
    # set when it is a deployed homehabits suggestion (migration 0009)
    suggestion_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestions.id", ondelete="SET NULL"), index=True
    )
    fires: Mapped[int] = mapped_column(Integer)
    last_fired: Mapped[datetime | None]
    fire_times: Mapped[list[Any]]  # ISO 8601 UTC text, oldest first
    reverts: Mapped[list[Any]]  # {fired_at, undone_at, entity_id, set_to, back_to}
    misses: Mapped[list[Any]]  # ISO 8601 UTC text
    words: Mapped[str] = mapped_column(Text)
    problems: Mapped[list[Any]]
    missing_entities: Mapped[list[Any]]
    unavailable_entities: Mapped[list[Any]]
