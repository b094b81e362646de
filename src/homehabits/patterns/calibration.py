"""Learning from the owner's decisions: how much each kind of habit, on each domain, is worth.

Pure: the store lists the decisions (approvals, rejections, deploys with the reverts of their
fires, undeploys), each with its kind, the domain of its target and when it was made; this
module turns them into one factor per (kind, domain) cell. Each decision counts once:

- it is weighed by its age, half as much every `half_life_days` (LearningSettings);
- a cell's rate is a Beta-prior smoothed approval rate of its own decisions, where a deployed
  automation counts by the share of its fires people kept;
- the prior it is shrunk toward is not a fixed mean but what the cell's neighbours say (the
  same kind on other domains, the same domain with other kinds: two disjoint sets of
  decisions, neither holding the cell's own), each counted at NEIGHBOUR_WEIGHT, itself
  smoothed toward the prior's mean. A cell with no decisions of its own thus leans toward
  its kind's and its domain's rates; with many, its own say wins.

A habit ranks by its confidence times its cell's factor: the rate relative to the prior's
mean, clipped to [FACTOR_LOW, FACTOR_HIGH]. A cell whose own and neighbours' decisions number
fewer than MIN_DECISIONS keeps a factor of 1: a rejection or two says nothing yet. The kind's
and the domain's own rates are kept beside the cells, for the record and the back-off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from homehabits.patterns.habit import Pattern

__all__ = [
    "FACTOR_HIGH",
    "FACTOR_LOW",
    "MIN_DECISIONS",
    "NEIGHBOUR_WEIGHT",
    "PRIOR_APPROVED",
    "PRIOR_REJECTED",
    "Calibration",
    "Decision",
    "DecisionCounts",
    "Factor",
    "PastRejection",
    "age_weight",
    "calibrate",
    "cell_label",
    "domain_label",
    "kind_label",
    "rejection_note",
    "rejection_notes",
    "remember_rejection",
]

#: The Beta prior: as if the owner had approved and rejected this many of every cell already.
PRIOR_APPROVED: Final = 6.0
PRIOR_REJECTED: Final = 6.0
#: No factor goes below or above these: the owner's taste reorders habits, never hides them.
FACTOR_LOW: Final = 0.6
FACTOR_HIGH: Final = 1.1
#: Decisions (a cell's own and its neighbours') a cell needs before its factor moves from 1.
MIN_DECISIONS: Final = 3
#: What a neighbour's decision (same kind elsewhere, same domain another kind) is worth to a
#: cell, against one of its own: rejecting sunset lights says less about sunset blinds.
NEIGHBOUR_WEIGHT: Final = 0.5
#: Reasons of rejections kept per kind and domain, newest first, to show with the factor.
REASONS_KEPT: Final = 3

_PRIOR: Final = PRIOR_APPROVED + PRIOR_REJECTED
_PRIOR_MEAN: Final = PRIOR_APPROVED / _PRIOR
_NOTE_START: Final = "You rejected this on "
_SECONDS_PER_DAY: Final = 86400.0


@dataclass(frozen=True, slots=True)
class DecisionCounts:
    """What the owner decided about some suggestions: one, or a kind's, a domain's, a cell's."""

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
class Decision:
    """One suggestion's decisions, with its kind, its target's domain and when they were made."""

    kind: str
    domain: str
    counts: DecisionCounts
    decided_at: datetime  # its last change (UTC); for one lived with, its newest track record


@dataclass(frozen=True, slots=True)
class Factor:
    """The weight the owner's decisions give one cell (or kind, or domain), and why.

    `counts` are the decisions as the owner reads them; `weighed_*` the same, each weighed
    by its age: what the rate is computed from. `related` counts the neighbours' decisions a
    cell leaned on (0 for a kind or a domain).
    """

    factor: float
    counts: DecisionCounts
    weighed_successes: float = 0.0
    weighed_decided: float = 0.0
    related: int = 0

    def words(self, name: str) -> str:
        """'sun habits ranked ×0.71: 0 of 5 approved' — `name` says what is ranked."""
        counts = self.counts
        parts = [f"{counts.approved} of {counts.decided} approved"] if counts.decided else []
        if counts.deployed:
            parts.append(
                f"{counts.deployed} deployed, undone {counts.reverts} of {counts.fires} fires"
            )
        if counts.removed:
            parts.append(f"{counts.removed} undeployed")
        if self.related:
            parts.append(f"leaning on {self.related} related decisions")
        aged = self.weighed_decided + 0.005 < counts.decided
        if aged:
            parts.append(f"counted as {self.weighed_decided:.1f} by their age")
        said = f" (“{counts.reasons[0]}”)" if counts.reasons and counts.rejected else ""
        return f"{name} ranked ×{self.factor:.2f}: {', '.join(parts)}{said}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the factor, its counts and what they weighed."""
        return {
            "factor": self.factor,
            **self.counts.as_dict(),
            "weighed_successes": self.weighed_successes,
            "weighed_decided": self.weighed_decided,
            "related": self.related,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Factor:
        """The inverse of as_dict; a run stored before ageing reads its counts as unaged."""
        counts = DecisionCounts.from_dict(data)
        return cls(
            factor=float(data.get("factor", 1.0)),
            counts=counts,
            weighed_successes=float(data.get("weighed_successes", counts.successes)),
            weighed_decided=float(data.get("weighed_decided", counts.decided)),
            related=int(data.get("related", 0)),
        )


@dataclass(frozen=True, slots=True)
class Calibration:
    """One factor per (kind, domain) cell, with the kinds' and domains' own rates beside them."""

    kind: Mapping[str, Factor] = field(default_factory=dict)
    domain: Mapping[str, Factor] = field(default_factory=dict)
    cell: Mapping[str, Factor] = field(default_factory=dict)  # "sun/light"
    half_life_days: float | None = None  # None: a run stored before decisions aged

    def factor(self, pattern: Pattern) -> float:
        """The habit's factor: its cell's (from the kind's and domain's, when not recorded)."""
        kind, domain = pattern.kind.value, pattern.target_entity.split(".", 1)[0]
        known = self.cell.get(cell_key(kind, domain))
        if known is not None:
            return known.factor
        return _cell(self.kind.get(kind), self.domain.get(domain), None).factor

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
        """One line per cell whose factor is not 1 (what the ranking applied), then the ageing."""
        found = [
            factor.words(cell_label(*_split(name)))
            for name, factor in sorted(self.cell.items())
            if factor.factor != 1.0
        ]
        if found and self.half_life_days is not None:
            found.append(
                f"each decision counted half as much every {self.half_life_days:g} days of age"
            )
        return found

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, as the run record keeps it: {"kind", "domain", "cell", "half_life_days"}."""
        stored: dict[str, Any] = {
            "kind": {name: factor.as_dict() for name, factor in sorted(self.kind.items())},
            "domain": {name: factor.as_dict() for name, factor in sorted(self.domain.items())},
        }
        if self.cell:
            stored["cell"] = {name: factor.as_dict() for name, factor in sorted(self.cell.items())}
        if self.half_life_days is not None:
            stored["half_life_days"] = self.half_life_days
        return stored

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Calibration:
        """The inverse of as_dict; a run stored before calibration reads as no calibration."""
        data = data or {}
        life = data.get("half_life_days")

        def factors(key: str) -> dict[str, Factor]:
            return {name: Factor.from_dict(v) for name, v in (data.get(key) or {}).items()}

        return cls(
            kind=factors("kind"),
            domain=factors("domain"),
            cell=factors("cell"),
            half_life_days=float(life) if life is not None else None,
        )


def kind_label(kind: str) -> str:
    """What the words call the habits of a kind: 'time of day habits'."""
    return f"{kind.replace('_', ' ')} habits"


def domain_label(domain: str) -> str:
    """What the words call the suggestions of a domain: 'light suggestions'."""
    return f"{domain} suggestions"


def cell_label(kind: str, domain: str) -> str:
    """What the words call the habits of one cell: 'light time of day habits'."""
    return f"{domain.replace('_', ' ')} {kind.replace('_', ' ')} habits"


def cell_key(kind: str, domain: str) -> str:
    """The cell's name in the run record: 'time_of_day/light'."""
    return f"{kind}/{domain}"


def _split(key: str) -> tuple[str, str]:
    kind, _, domain = key.partition("/")
    return kind, domain


def age_weight(decided_at: datetime, now: datetime, half_life_days: float) -> float:
    """What a decision made at `decided_at` weighs at `now`: 1 when new, half a half-life on."""
    days = max((now - decided_at).total_seconds() / _SECONDS_PER_DAY, 0.0)
    return float(0.5 ** (days / half_life_days))


class _Level:
    """The decisions of one kind, domain or cell as they are summed: counts and aged weights."""

    __slots__ = ("_reasons", "_sums", "decided", "successes")

    def __init__(self) -> None:
        self._sums = [0, 0, 0, 0, 0, 0]  # approved, rejected, deployed, fires, reverts, removed
        self._reasons: dict[str, None] = {}
        self.successes = 0.0
        self.decided = 0.0

    def take(self, counts: DecisionCounts, weight: float) -> None:
        sums = self._sums
        sums[0] += counts.approved
        sums[1] += counts.rejected
        sums[2] += counts.deployed
        sums[3] += counts.fires
        sums[4] += counts.reverts
        sums[5] += counts.removed
        if counts.reasons and len(self._reasons) < REASONS_KEPT:
            self._reasons.update(dict.fromkeys(counts.reasons))
        self.successes += weight * counts.successes
        self.decided += weight * counts.decided

    @property
    def counts(self) -> DecisionCounts:
        approved, rejected, deployed, fires, reverts, removed = self._sums
        return DecisionCounts(
            approved=approved,
            rejected=rejected,
            deployed=deployed,
            fires=fires,
            reverts=reverts,
            removed=removed,
            reasons=tuple(self._reasons)[:REASONS_KEPT],
        )

    def factor(self) -> Factor:
        """The level's own rate (a kind's, a domain's), smoothed toward the prior's mean."""
        return _own(self.counts, self.successes, self.decided)


def calibrate(
    decisions: Iterable[Decision],
    *,
    now: datetime,
    half_life_days: float,
    cells: Iterable[tuple[str, str]] = (),
) -> Calibration:
    """The calibration the decisions give: a factor for every cell they or `cells` name.

    `cells` are the (kind, domain) cells of the habits about to be ranked, so the record
    shows what each of them was given, though the owner never decided on one of them.
    """
    kinds: dict[str, _Level] = {}
    domains: dict[str, _Level] = {}
    own: dict[tuple[str, str], _Level] = {}
    for decision in decisions:
        weight = age_weight(decision.decided_at, now, half_life_days)
        kinds.setdefault(decision.kind, _Level()).take(decision.counts, weight)
        domains.setdefault(decision.domain, _Level()).take(decision.counts, weight)
        own.setdefault((decision.kind, decision.domain), _Level()).take(decision.counts, weight)
    if not own:
        return Calibration()  # nothing decided yet: nothing to weigh, nothing to record
    kind = {name: level.factor() for name, level in kinds.items()}
    domain = {name: level.factor() for name, level in domains.items()}
    wanted = dict.fromkeys([*own, *cells])
    cell = {
        cell_key(k, d): _cell(kind.get(k), domain.get(d), _as_factor(own.get((k, d))))
        for k, d in wanted
    }
    return Calibration(kind=kind, domain=domain, cell=cell, half_life_days=half_life_days)


def _as_factor(level: _Level | None) -> Factor | None:
    return None if level is None else Factor(1.0, level.counts, level.successes, level.decided)


def _own(counts: DecisionCounts, successes: float, decided: float) -> Factor:
    if counts.decided < MIN_DECISIONS:
        return Factor(1.0, counts, successes, decided)
    rate = (successes + PRIOR_APPROVED) / (decided + _PRIOR)
    return Factor(round(_clip(rate / _PRIOR_MEAN), 2), counts, successes, decided)


def _cell(of_kind: Factor | None, of_domain: Factor | None, of_cell: Factor | None) -> Factor:
    """One cell's factor: its own decisions, shrunk toward what its neighbours say.

    The neighbours are the kind's decisions on other domains and the domain's with other
    kinds: the kind's and the domain's totals less the cell's own, so no decision counts
    twice (a rejected light clock habit lowers light clock habits once).
    """
    empty = Factor(1.0, DecisionCounts())
    mine = of_cell or empty
    kind, domain = of_kind or empty, of_domain or empty
    related = (kind.counts.decided - mine.counts.decided) + (
        domain.counts.decided - mine.counts.decided
    )
    near_successes = (kind.weighed_successes - mine.weighed_successes) + (
        domain.weighed_successes - mine.weighed_successes
    )
    near_decided = (kind.weighed_decided - mine.weighed_decided) + (
        domain.weighed_decided - mine.weighed_decided
    )
    counts = mine.counts
    if counts.decided + related < MIN_DECISIONS:
        return Factor(1.0, counts, mine.weighed_successes, mine.weighed_decided, related)
    prior = (NEIGHBOUR_WEIGHT * max(near_successes, 0.0) + _PRIOR * _PRIOR_MEAN) / (
        NEIGHBOUR_WEIGHT * max(near_decided, 0.0) + _PRIOR
    )
    rate = (mine.weighed_successes + _PRIOR * prior) / (mine.weighed_decided + _PRIOR)
    return Factor(
        round(_clip(rate / _PRIOR_MEAN), 2),
        counts,
        mine.weighed_successes,
        mine.weighed_decided,
        related,
    )


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
