"""What the API takes and returns: pydantic models built from the store's records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Self, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, model_validator

from homehabits.patterns.calibration import Calibration, Factor, domain_label, kind_label
from homehabits.patterns.habit import HabitKind
from homehabits.store.pattern_records import StoredPattern
from homehabits.store.records import RunRecord, RunStatus, SuggestionRecord
from homehabits.store.versions import VersionRecord
from homehabits.store.watch import TrackRecord

_RECORD_TYPES = get_type_hints(SuggestionRecord)

__all__ = [
    "ApproveManyBody",
    "ApproveManyResult",
    "AutomationOut",
    "AutomationsPage",
    "CalibrationOut",
    "DeployBody",
    "EditBody",
    "FactorOut",
    "HealthOut",
    "LastRunOut",
    "PatternOut",
    "RejectBody",
    "RollbackBody",
    "RunOut",
    "RunStarted",
    "ServiceAccountIn",
    "ServiceAccountOut",
    "ServiceAccountProposalOut",
    "SkippedApproval",
    "SuggestionDetail",
    "SuggestionOut",
    "SuggestionPage",
    "TrackRecordOut",
    "VersionOut",
]


class RunStarted(BaseModel):
    """An analysis was started in the background."""

    run_id: int


class RunOut(BaseModel):
    """An analysis run: what it read, found and stored, and how long each phase took."""

    id: int
    trigger: str
    source: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    window_start: datetime
    window_end: datetime
    events_read: int
    events_rejected: int
    patterns_found: int
    suggestions_created: int
    suggestions_dropped: int
    suggestions_refreshed: int
    phase_seconds: dict[str, float]
    model_calls: int
    cache_hits: int
    tokens_in: int
    tokens_out: int
    cost: float
    errors: list[str]
    rejected_examples: list[dict[str, Any]]
    time_zone: str | None
    ha_version: str | None
    warnings: list[str]
    service_account_proposals: list[ServiceAccountProposalOut]
    calibration: CalibrationOut

    @classmethod
    def from_record(cls, run: RunRecord) -> RunOut:
        """The API view of a stored run."""
        summary = run.summary
        return cls(
            id=run.id,
            trigger=run.trigger,
            source=run.source,
            status=run.status,
            started_at=run.started_at,
            finished_at=run.finished_at,
            window_start=run.window_start,
            window_end=run.window_end,
            events_read=summary.events_read,
            events_rejected=summary.events_rejected,
            patterns_found=summary.patterns_found,
            suggestions_created=summary.suggestions_created,
            suggestions_dropped=summary.suggestions_dropped,
            suggestions_refreshed=summary.suggestions_refreshed,
            phase_seconds=dict(summary.phase_seconds),
            model_calls=summary.model_calls,
            cache_hits=summary.cache_hits,
            tokens_in=summary.tokens_in,
            tokens_out=summary.tokens_out,
            cost=summary.cost,
            errors=list(summary.errors),
            rejected_examples=list(summary.rejected_examples),
            time_zone=summary.time_zone,
            ha_version=summary.ha_version,
            warnings=list(summary.warnings),
            service_account_proposals=[
                ServiceAccountProposalOut(
                    user_id=str(p.get("user_id", "")),
                    name=str(p.get("name", "")),
                    evidence=str(p.get("evidence", "")),
                )
                for p in summary.service_account_proposals
            ],
            calibration=CalibrationOut.from_summary(summary.calibration),
        )


class FactorOut(BaseModel):
    """The weight the owner's decisions gave one kind or domain in a run's ranking."""

    factor: float
    approved: int
    rejected: int
    deployed: int
    fires: int
    reverts: int
    removed: int
    reasons: list[str]
    words: str  # "sun habits ranked ×0.71: 0 of 5 approved"


class CalibrationOut(BaseModel):
    """How the owner's decisions weighed a run's ranking: a factor per kind and per domain."""

    kind: dict[str, FactorOut]
    domain: dict[str, FactorOut]
    lines: list[str]  # one per kind and domain whose factor is not 1

    @classmethod
    def from_summary(cls, stored: dict[str, Any]) -> CalibrationOut:
        """The API view of a run's stored calibration (none for runs before calibration)."""
        calibration = Calibration.from_dict(stored)

        def out(factors: Mapping[str, Factor], label: Callable[[str], str]) -> dict[str, FactorOut]:
            return {
                name: FactorOut(**factor.as_dict(), words=factor.words(label(name)))
                for name, factor in factors.items()
            }

        return cls(
            kind=out(calibration.kind, kind_label),
            domain=out(calibration.domain, domain_label),
            lines=calibration.lines(),
        )


class ServiceAccountProposalOut(BaseModel):
    """A Home Assistant user whose actions look machine-made, and why."""

    user_id: str
    name: str
    evidence: str


class ServiceAccountIn(BaseModel):
    """The owner's confirmation that a user is a service account."""

    user_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9a-fA-F-]+$")
    name: str = Field(default="", max_length=255)


class ServiceAccountOut(BaseModel):
    """A confirmed service account: its actions are not mined from the next run on."""

    user_id: str
    name: str
    newly_confirmed: bool


def _record_fields(*names: str) -> dict[str, Any]:
    """The named fields of a stored suggestion with their types, as a model's annotations."""
    return {name: _RECORD_TYPES[name] for name in names}


class SuggestionOut(BaseModel):
    """A suggestion as listed: what it does, how sure, where it stands."""

    # the fields are the stored suggestion's (store.records), so the API cannot drift from it
    __annotations__ = _record_fields(
        "id", "run_id", "status", "created_at", "updated_at", "fingerprint", "kind", "title",
        "description", "category", "confidence", "score", "sensitive", "sensitive_reason",
        "target_entity", "trigger_entity", "area_id", "area_name", "dialect", "author",
        "ha_automation_id", "deploy_message", "reject_reason", "replay", "condition_note",
    )  # fmt: skip

    @classmethod
    def from_record(cls, record: SuggestionRecord) -> Self:
        """The API view of a stored suggestion."""
        # what the record does not hold (the evidence, a track record) is filled in below
        values = {name: getattr(record, name) for name in cls.model_fields if name in _RECORD_TYPES}
        if "evidence" in cls.model_fields:
            values["evidence"] = record.pattern
        return cls.model_validate(values)


class RevertOut(BaseModel):
    """A person setting a target back soon after the automation changed it."""

    fired_at: datetime
    undone_at: datetime
    entity_id: str
    set_to: str
    back_to: str


class TrackRecordOut(BaseModel):
    """What a deployed automation did in the newest run's window, and what people did about it."""

    run_id: int
    fires: int
    last_fired: datetime | None
    reverts: list[RevertOut] = Field(description="each undone fire, with its times")
    misses: list[datetime] = Field(description="when a person did it by hand, unfired")
    words: str = Field(description="e.g. 'fired 27 times; undone 6 times, all on Saturdays'")
    problems: list[str]

    @classmethod
    def from_record(cls, record: TrackRecord) -> Self:
        """The API view of a stored track record."""
        return cls(
            run_id=record.run_id,
            fires=record.fires,
            last_fired=record.last_fired,
            reverts=[RevertOut.model_validate(r.as_dict()) for r in record.reverts],
            misses=list(record.misses),
            words=record.words,
            problems=list(record.problems),
        )


class AutomationOut(TrackRecordOut):
    """One of the home's own automations with its evidence from the newest run."""

    name: str
    automation_id: str | None
    automation_entity: str | None
    missing_entities: list[str] = Field(description="named, but the home no longer has them")
    unavailable_entities: list[str] = Field(description="unavailable at the window's end")

    @classmethod
    def from_record(cls, record: TrackRecord) -> Self:
        """The API view of one of the home's automations."""
        return cls.model_validate(
            {
                **TrackRecordOut.from_record(record).model_dump(),
                "name": record.alias,
                "automation_id": record.automation_id,
                "automation_entity": record.automation_entity,
                "missing_entities": list(record.missing_entities),
                "unavailable_entities": list(record.unavailable_entities),
            }
        )


class AutomationsPage(BaseModel):
    """The home's own automations, those with problems first, and the run that watched them."""

    run_id: int | None = Field(description="None until a run has watched the automations")
    items: list[AutomationOut]


class SuggestionDetail(SuggestionOut):
    """One suggestion in full: the automation, its YAML and the evidence behind it."""

    __annotations__ = {
        **_record_fields("rationale", "automation", "yaml", "diff"),
        # the stored habit (pattern_to_dict form), as it was written
        "evidence": Annotated[
            dict[str, Any], Field(description="the habit: parameters, evidence_times, lags")
        ],
        **_record_fields("tokens_in", "tokens_out", "cost"),
    }
    # a deployed one's record: the newest finished run's watch (None before one watched it)
    track_record: TrackRecordOut | None = None


class SuggestionPage(BaseModel):
    """One page of suggestions and how many there are in all."""

    items: list[SuggestionOut]
    total: int
    limit: int
    offset: int


class PatternOut(BaseModel):
    """A habit found by an analysis: its parameters and evidence (patterns.habit.pattern_to_dict)."""

    model_config = ConfigDict(extra="allow")

    id: int
    run_id: int
    area_id: str | None
    kind: HabitKind
    fingerprint: str
    target_entity: str
    target_state: str

    @classmethod
    def from_stored(cls, pattern: StoredPattern) -> PatternOut:
        """The API view of a stored pattern."""
        return cls.model_validate(
            {**pattern.data, "id": pattern.id, "run_id": pattern.run_id, "area_id": pattern.area_id}
        )


class ApproveManyBody(BaseModel):
    """Suggestions to approve at once (sensitive ones are left for one-by-one review)."""

    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        default_factory=list, max_length=500
    )
    all_pending: bool = Field(
        default=False, description="approve every pending suggestion (ids are then ignored)"
    )

    @model_validator(mode="after")
    def _something_to_approve(self) -> ApproveManyBody:
        if not self.ids and not self.all_pending:
            raise ValueError("give the ids to approve, or all_pending: true")
        return self


class DeployBody(BaseModel):
    """How to deploy: `force` sends it although Home Assistant lacks an entity (warned)."""

    force: bool = False


class SkippedApproval(BaseModel):
    """A suggestion a bulk approval left alone, and why."""

    id: int
    reason: str


class ApproveManyResult(BaseModel):
    """What a bulk approval did."""

    approved: list[int]
    skipped: list[SkippedApproval]


class RejectBody(BaseModel):
    """Why the owner does not want a suggestion."""

    reason: str = Field(default="", max_length=2000)


class EditBody(BaseModel):
    """A suggestion's automation, edited by the owner as YAML."""

    yaml: str = Field(min_length=1, max_length=100_000)


class RollbackBody(BaseModel):
    """Which version to set the automation back to; `force` as for deploy, when it is deployed."""

    version: int = Field(ge=1, le=2**31 - 1, description="the version's number (1, 2, …)")
    force: bool = False


class VersionOut(BaseModel):
    """One version of a suggestion's automation: when, who, why, and where it stands."""

    number: int
    created_at: datetime
    actor: str | None = Field(description='who made it so; "homehabits" for a run, null: unknown')
    reason: str = Field(description='why: "found by run 12", "edited", "rolled back to version 2"')
    automation: dict[str, Any]
    yaml: str
    dialect: str
    current: bool = Field(description="the suggestion's automation now")
    deployed: bool = Field(description="the one Home Assistant runs now")

    @classmethod
    def from_record(cls, version: VersionRecord) -> Self:
        """The API view of a stored version."""
        return cls(
            number=version.number,
            created_at=version.created_at,
            actor=version.actor,
            reason=version.reason,
            automation=version.automation,
            yaml=version.yaml,
            dialect=version.dialect.value,
            current=version.current,
            deployed=version.deployed,
        )


class LastRunOut(BaseModel):
    """The latest analysis run, in brief."""

    id: int
    status: RunStatus
    trigger: str
    started_at: datetime
    finished_at: datetime | None


class HealthOut(BaseModel):
    """Whether the service is well: database, schedule, last and next run."""

    status: str  # ok | degraded
    database: bool
    scheduler_running: bool
    analysis_running: bool
    time_zone: str
    time_zone_fallback: str | None = Field(
        default=None, description="why the schedule runs in another time zone than the home's"
    )
    home_assistant: str = Field(
        description="ok, not_configured, token_refused, unreachable or error"
    )
    home_assistant_detail: str | None = None
    mqtt: str = Field(
        default="not_configured",
        description="not_configured, connecting, connected or unreachable (a warning only)",
    )
    mqtt_detail: str | None = None
    next_run: datetime | None
    last_run: LastRunOut | None
