"""Learning from the owner's decisions: how much each kind and domain of habit is worth to them.

Pure: the store counts the decisions (approvals, rejections, deploys with the reverts of their
fires, undeploys), this module turns them into a factor per kind and per domain: a Beta-prior
smoothed approval rate, where a deployed automation counts by the share of its fires people
kept, relative to the prior's mean and clipped to [FACTOR_LOW, FACTOR_HIGH]. A habit ranks by
its confidence times the factors of its kind and of its target's domain. A kind or domain with
fewer than MIN_DECISIONS decisions keeps a factor of 1: a rejection or two says nothing yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from homehabits.patterns.habit import Pattern

__all__ = [
    "FACTOR_HIGH",
    "FACTOR_LOW",
    "MIN_DECISIONS",
    "PRIOR_APPROVED",
    "PRIOR_REJECTED",
    "Calibration",
    "DecisionCounts",
    "Factor",
    "PastRejection",
    "calibrate",
    "domain_label",
    "kind_label",
    "rejection_note",
    "rejection_notes",
    "remember_rejection",
]

#: The Beta prior: as if the owner had approved and rejected this many of every kind already.
PRIOR_APPROVED: Final = 6.0
PRIOR_REJECTED: Final = 6.0
#: No factor goes below or above these: the owner's taste reorders habits, never hides them.
FACTOR_LOW: Final = 0.6
FACTOR_HIGH: Final = 1.1
#: Decisions a kind or domain needs before its factor moves from 1.
MIN_DECISIONS: Final = 3
#: Reasons of rejections kept per kind and domain, newest first, to show with the factor.
REASONS_KEPT: Final = 3

_PRIOR_MEAN: Final = PRIOR_APPROVED / (PRIOR_APPROVED + PRIOR_REJECTED)
_NOTE_START: Final = "You rejected this on "


@dataclass(frozen=True, slots=True)
class DecisionCounts:
    """What the owner decided about the suggestions of one kind, or of one domain."""

    approved: int = 0  # approved by the owner (deployed, failed to deploy, removed included)
    rejected: int = 0
    deployed: int = 0  # deployed now, with a track record that saw it fire
    fires: int = 0  # the fires of those, in their newest track record
    reverts: int = 0  # of those fires, the ones a person undid
    removed: int = 0  # deployed, then undeployed by the owner
    reasons: tuple[str, ...] = ()  # the rejections' different reasons, newest first

    @property
    def decided(self) -> int:
        """How many suggestions the owner approved or rejected."""
        return self.approved + self.rejected

    @property
    def successes(self) -> float:
        """The approvals that held: a deployed one by the share of its fires people kept.

        An automation lived with says more than the approval that deployed it, so it replaces
        it: one undone at three fires of four counts a quarter; one undeployed counts nothing.
        """
        undone = min(self.reverts / self.fires, 1.0) if self.fires else 0.0
        held = max(self.approved - self.deployed - self.removed, 0)
        return held + self.deployed * (1.0 - undone)

    def add(self, other: DecisionCounts) -> DecisionCounts:
        """Both counts together (reasons: this one's first, each once)."""
        return DecisionCounts(
            approved=self.approved + other.approved,
            rejected=self.rejected + other.rejected,
            deployed=self.deployed + other.deployed,
            fires=self.fires + other.fires,
            reverts=self.reverts + other.reverts,
            removed=self.removed + other.removed,
            reasons=tuple(dict.fromkeys((*self.reasons, *other.reasons)))[:REASONS_KEPT],
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "approved": self.approved,
            "rejected": self.rejected,
            "deployed": self.deployed,
            "fires": self.fires,
            "reverts": self.reverts,
            "removed": self.removed,
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DecisionCounts:
        """The inverse of as_dict (missing counts read as 0)."""
        return cls(
            approved=int(data.get("approved", 0)),
            rejected=int(data.get("rejected", 0)),
            deployed=int(data.get("deployed", 0)),
            fires=int(data.get("fires", 0)),
            reverts=int(data.get("reverts", 0)),
            removed=int(data.get("removed", 0)),
            reasons=tuple(str(reason) for reason in data.get("reasons", ())),
        )


@dataclass(frozen=True, slots=True)
class Factor:
    """The weight the owner's decisions give one kind or domain, and the decisions behind it."""

    factor: float
    counts: DecisionCounts

    def words(self, name: str) -> str:
        """'sun habits ranked ×0.71: 0 of 5 approved' — `name` says what is ranked."""
        counts = self.counts
        parts = [f"{counts.approved} of {counts.decided} approved"]
        if counts.deployed:
            parts.append(
                f"{counts.deployed} deployed, undone {counts.reverts} of {counts.fires} fires"
            )
        if counts.removed:
            parts.append(f"{counts.removed} undeployed")
        said = f" (“{counts.reasons[0]}”)" if counts.reasons and counts.rejected else ""
        return f"{name} ranked ×{self.factor:.2f}: {', '.join(parts)}{said}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the factor and its counts."""
        return {"factor": self.factor, **self.counts.as_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Factor:
        """The inverse of as_dict."""
        return cls(factor=float(data.get("factor", 1.0)), counts=DecisionCounts.from_dict(data))


@dataclass(frozen=True, slots=True)
class Calibration:
    """A factor per kind of habit and per domain of its target, learned from the decisions."""

    kind: Mapping[str, Factor] = field(default_factory=dict)
    domain: Mapping[str, Factor] = field(default_factory=dict)

    def factor(self, pattern: Pattern) -> float:
        """The habit's factor: its kind's times its target's domain's, within the clip."""
        of_kind = self.kind.get(pattern.kind.value)
        of_domain = self.domain.get(pattern.target_entity.split(".", 1)[0])
        both = (of_kind.factor if of_kind else 1.0) * (of_domain.factor if of_domain else 1.0)
        return _clip(both)

    def apply(self, pattern: Pattern) -> Pattern:
        """The habit with its ranking score weighed by the owner's decisions."""
        factor = self.factor(pattern)
        return (
            pattern if factor == 1.0 else replace(pattern, score=round(pattern.score * factor, 4))
        )

    def rank_key(self, pattern: Pattern) -> float:
        """What the ranking sorts by, smallest first: minus the calibrated confidence."""
        return -round(pattern.confidence * self.factor(pattern), 2)

    def lines(self) -> list[str]:
        """One line per kind and domain whose factor is not 1, kinds first."""
        kinds = [
            factor.words(kind_label(name))
            for name, factor in sorted(self.kind.items())
            if factor.factor != 1.0
        ]
        domains = [
            factor.words(domain_label(name))
            for name, factor in sorted(self.domain.items())
            if factor.factor != 1.0
        ]
        return kinds + domains

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, as the run record keeps it: {"kind": {...}, "domain": {...}}."""
        return {
            "kind": {name: factor.as_dict() for name, factor in sorted(self.kind.items())},
            "domain": {name: factor.as_dict() for name, factor in sorted(self.domain.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Calibration:
        """The inverse of as_dict; a run stored before calibration reads as no calibration."""
        data = data or {}
        return cls(
            kind={name: Factor.from_dict(v) for name, v in (data.get("kind") or {}).items()},
            domain={name: Factor.from_dict(v) for name, v in (data.get("domain") or {}).items()},
        )


def kind_label(kind: str) -> str:
    """What the words call the habits of a kind: 'time of day habits'."""
    return f"{kind.replace('_', ' ')} habits"


def domain_label(domain: str) -> str:
    """What the words call the suggestions of a domain: 'light suggestions'."""
    return f"{domain} suggestions"


def calibrate(
    by_kind: Mapping[str, DecisionCounts], by_domain: Mapping[str, DecisionCounts]
) -> Calibration:
    """The calibration the decisions give, per kind and per domain."""
    return Calibration(
        kind={name: _factor(counts) for name, counts in by_kind.items()},
        domain={name: _factor(counts) for name, counts in by_domain.items()},
    )


def _factor(counts: DecisionCounts) -> Factor:
    if counts.decided < MIN_DECISIONS:
        return Factor(1.0, counts)
    rate = (counts.successes + PRIOR_APPROVED) / (counts.decided + PRIOR_APPROVED + PRIOR_REJECTED)
    return Factor(round(_clip(rate / _PRIOR_MEAN), 2), counts)


def _clip(value: float) -> float:
    return min(max(value, FACTOR_LOW), FACTOR_HIGH)


@dataclass(frozen=True, slots=True)
class PastRejection:
    """The owner's newest rejection of a habit: when, and why (None: no reason given)."""

    rejected_at: datetime
    reason: str | None


def rejection_note(rejection: PastRejection, zone: ZoneInfo) -> str:
    """ "You rejected this on 2026-11-02: 'only in winter'" (the date in the home's time zone)."""
    day = rejection.rejected_at.astimezone(zone).date().isoformat()
    reason = (rejection.reason or "").strip()
    return f"{_NOTE_START}{day}: '{reason}'" if reason else f"{_NOTE_START}{day} (no reason given)"


def remember_rejection(
    pattern: Pattern, rejection: PastRejection | None, zone: ZoneInfo
) -> Pattern:
    """The habit with the note of its past rejection among its evidence notes (once)."""
    if rejection is None:
        return pattern
    kept = tuple(note for note in pattern.notes if not note.startswith(_NOTE_START))
    return replace(pattern, notes=(*kept, rejection_note(rejection, zone)))


def rejection_notes(pattern: Pattern) -> list[str]:
    """The notes of past rejections among the habit's evidence notes."""
    return [note for note in pattern.notes if note.startswith(_NOTE_START)]
