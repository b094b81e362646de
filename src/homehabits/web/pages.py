"""What the review page shows, built from the store's records: cards, groups, runs."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from homehabits.exceptions import StoreError
from homehabits.patterns.calibration import Calibration
from homehabits.patterns.habit import HabitKind
from homehabits.phrasing import elapsed
from homehabits.store.records import RunRecord, RunStatus, SuggestionRecord, SuggestionStatus
from homehabits.store.versions import VersionRecord
from homehabits.web.evidence import Picture, draw_evidence

__all__ = [
    "ACTIONS",
    "GROUP_ORDER",
    "KIND_LABELS",
    "STATUS_LABELS",
    "Card",
    "Group",
    "RunFacts",
    "RunView",
    "VersionView",
    "build_card",
    "build_groups",
    "build_run",
    "zone_named",
]

_LOGGER = logging.getLogger(__name__)

_S = SuggestionStatus

#: The order of the groups on the page: what needs the owner's attention first.
GROUP_ORDER: tuple[SuggestionStatus, ...] = (
    _S.PENDING,
    _S.DEPLOY_FAILED,
    _S.APPROVED,
    _S.DEPLOYED,
    _S.REMOVED,
    _S.RETIRED,
    _S.REJECTED,
)

#: Each status's words and symbol, so colour is never the only sign of where a card stands.
STATUS_LABELS: Mapping[SuggestionStatus, tuple[str, str]] = {
    _S.PENDING: ("To review", "●"),
    _S.APPROVED: ("Approved", "✓"),
    _S.DEPLOYED: ("Deployed", "▶"),
    _S.REJECTED: ("Rejected", "✕"),
    _S.DEPLOY_FAILED: ("Deploy failed", "⚠"),
    _S.REMOVED: ("Removed", "↺"),
    _S.RETIRED: ("Retired", "◌"),
}

KIND_LABELS: Mapping[HabitKind, str] = {
    HabitKind.TIME_OF_DAY: "At a time of day",
    HabitKind.SUN: "Follows the sun",
    HabitKind.SEQUENCE: "One thing after another",
    HabitKind.AUTO_OFF: "Switch off after a while",
    HabitKind.OVERRIDE: "Corrects an automation",
    HabitKind.PRESENCE: "When everyone leaves",
    HabitKind.REVISION: "Revises a deployed automation",
}

#: Which buttons a card shows in each status (the page's JavaScript reads the same lists).
ACTIONS: Mapping[str, frozenset[SuggestionStatus]] = {
    "approve": frozenset({_S.PENDING}),
    "deploy": frozenset({_S.APPROVED, _S.DEPLOY_FAILED, _S.REMOVED}),
    "undeploy": frozenset({_S.DEPLOYED}),
    "edit": frozenset({_S.PENDING, _S.APPROVED, _S.DEPLOY_FAILED, _S.REMOVED}),
    "reject": frozenset({_S.PENDING, _S.APPROVED, _S.DEPLOY_FAILED, _S.REMOVED, _S.RETIRED}),
    "reopen": frozenset({_S.REJECTED, _S.RETIRED}),
}

# rejected suggestions are done with, retired ones' habits are gone: their groups start
# folded, unless asked for
_FOLDED = frozenset({_S.REJECTED, _S.RETIRED})


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What a card needs from the run that found it: the home's time zone and the window."""

    zone: ZoneInfo
    window: tuple[datetime, datetime] | None


@dataclass(frozen=True, slots=True)
class VersionView:
    """One version of a suggestion's automation as its card's history lists it."""

    number: int
    when_local: str
    who: str
    why: str
    current: bool
    deployed: bool


@dataclass(frozen=True, slots=True)
class Card:
    """One suggestion as the page shows it."""

    record: SuggestionRecord
    kind_label: str
    confidence_percent: int
    picture: Picture | None
    created_local: str
    versions: tuple[VersionView, ...] = ()  # newest first

    @property
    def status(self) -> str:
        """The status value, as the page's data attributes carry it."""
        return self.record.status.value


@dataclass(slots=True)
class Group:
    """The cards in one status, whether the group starts unfolded, and whether it stays folded."""

    status: SuggestionStatus
    label: str
    symbol: str
    cards: list[Card] = field(default_factory=list)
    open: bool = True
    folded: bool = False  # groups the owner is done with stay folded when a card moves in


@dataclass(frozen=True, slots=True)
class RunView:
    """One analysis run as the runs page shows it."""

    record: RunRecord
    started_local: str
    window_local: str
    duration: str
    phases: list[tuple[str, float, float]]  # name, seconds, share of the slowest phase (0..1)

    @property
    def running(self) -> bool:
        """Whether the run is still going."""
        return self.record.status is RunStatus.RUNNING

    @property
    def learned(self) -> list[str]:
        """How the owner's decisions weighed this run's ranking, one line per kind or domain."""
        return Calibration.from_dict(self.record.summary.calibration).lines()


def zone_named(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    """The time zone of that name, or the fallback when the name is empty or unknown."""
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def build_card(
    record: SuggestionRecord, facts: RunFacts, versions: Sequence[VersionRecord] = ()
) -> Card:
    """The card for one suggestion, its evidence drawn and its history in the home's time zone."""
    try:
        picture = draw_evidence(
            record.habit,
            zone=facts.zone,
            window=facts.window,
            label=f"Evidence: {record.title}",
            dom_id=f"evidence-{record.id}",
            wrong_times=record.replay.wrong_times if record.replay else (),
        )
    except (StoreError, ValueError, TypeError, KeyError) as err:
        # one odd stored habit must not take the whole review page down
        _LOGGER.warning("no evidence picture for suggestion %s: %s", record.id, err)
        picture = None
    return Card(
        record=record,
        kind_label=KIND_LABELS[record.kind],
        confidence_percent=round(record.confidence * 100),
        picture=picture,
        created_local=_local(record.created_at, facts.zone),
        versions=tuple(
            VersionView(
                number=version.number,
                when_local=_local(version.created_at, facts.zone),
                who=version.actor or "someone (not recorded)",
                why=version.reason,
                current=version.current,
                deployed=version.deployed,
            )
            for version in versions
        ),
    )


def build_groups(
    cards: Iterable[Card], shown: Sequence[SuggestionStatus] | None = None
) -> list[Group]:
    """The cards grouped by status in page order; only the `shown` statuses when given."""
    wanted = list(shown) if shown else list(GROUP_ORDER)
    groups = {
        status: Group(
            status=status,
            label=STATUS_LABELS[status][0],
            symbol=STATUS_LABELS[status][1],
            open=bool(shown) or status not in _FOLDED,
            folded=status in _FOLDED,
        )
        for status in GROUP_ORDER
        if status in wanted
    }
    for card in cards:
        group = groups.get(card.record.status)
        if group is not None:
            group.cards.append(card)
    for group in groups.values():
        # an empty group is one line until a card moves into it
        group.open = group.open and (bool(shown) or bool(group.cards))
    return list(groups.values())


def build_run(record: RunRecord, zone: ZoneInfo) -> RunView:
    """The view of one run: local times and a bar per phase."""
    run_zone = zone_named(record.summary.time_zone, zone)
    slowest = max(record.summary.phase_seconds.values(), default=0.0)
    phases = [
        (name, seconds, seconds / slowest if slowest > 0 else 0.0)
        for name, seconds in record.summary.phase_seconds.items()
    ]
    duration = ""
    if record.finished_at is not None:
        duration = elapsed(max((record.finished_at - record.started_at).total_seconds(), 0.0))
    window_end = record.window_end.astimezone(run_zone) - timedelta(microseconds=1)
    window = (
        f"{record.window_start.astimezone(run_zone):%d %b %Y} – {window_end:%d %b %Y}"
        f" ({run_zone.key})"
    )
    return RunView(
        record=record,
        started_local=_local(record.started_at, run_zone),
        window_local=window,
        duration=duration,
        phases=phases,
    )


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %Y, %H:%M")
