"""Retention: old runs and their habits, finished-with suggestions and earlier versions pruned.

What is older than the horizon (`HOMEHABITS_RETENTION__KEEP_DAYS` days, or older than the
newest `KEEP_RUNS` runs, whichever is later) goes:

- the habits (patterns) of old runs, and the old runs themselves once no suggestion kept
  needs them (a suggestion belongs to the run that found it: that row stays while it does);
- rejected and retired suggestions last changed before the horizon, with their review history
  and versions (a rejection is kept while it still keeps its habit from being suggested again,
  `HOMEHABITS_REJECTED_DAYS`);
- versions made before the horizon, except each suggestion's current one and the one last
  sent to Home Assistant.

Never a pending, approved, deployed, failed-to-deploy or removed suggestion, never a running
run, and never the newest finished run (the next run names its habits after it). One
transaction; on SQLite the file is vacuumed afterwards when rows were removed.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import (
    ColumnElement,
    Delete,
    Select,
    and_,
    delete,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased

from homehabits.config import RetentionSettings, Settings
from homehabits.exceptions import StoreError
from homehabits.store._transaction import transaction
from homehabits.store.engine import Sessions, describe_url
from homehabits.store.records import RunStatus, SuggestionStatus
from homehabits.store.runs import add_run_warnings
from homehabits.store.tables import (
    AnalysisRunRow,
    AutomationWatchRow,
    FeedbackRow,
    PatternRow,
    SuggestionRow,
    SuggestionVersionRow,
    utc_now,
)

__all__ = ["PRUNABLE_STATUSES", "PruneReport", "prune", "prune_after_run"]

_LOGGER = logging.getLogger(__name__)

#: The only suggestions retention removes: the owner said no, or the habit went away.
PRUNABLE_STATUSES: Final = frozenset({SuggestionStatus.REJECTED, SuggestionStatus.RETIRED})

_FINISHED = (RunStatus.SUCCEEDED, RunStatus.PARTIAL)
_NO_LIMIT = "no limit"


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What a prune removed (or, in a dry run, would remove), and whether it vacuumed."""

    horizon: datetime | None  # older than this was pruned; None: no limit applies
    limit: str  # the limit in words: "90 days", "the newest 30 runs"
    runs: int = 0
    patterns: int = 0
    watch: int = 0  # what old runs saw the deployed automations and the owner's do
    suggestions: int = 0
    versions: int = 0
    dry_run: bool = False
    vacuumed: bool = False

    @property
    def removed(self) -> int:
        """Rows removed in all (or that would be)."""
        return self.runs + self.patterns + self.watch + self.suggestions + self.versions

    @property
    def sentence(self) -> str:
        """The prune in one line, as the CLI and the run's progress show it."""
        if self.limit == _NO_LIMIT:
            return "nothing pruned: no retention limit is set"
        if not self.removed:
            return f"nothing older than {self.limit} to prune"
        verb = "would remove" if self.dry_run else "removed"
        parts = [
            _count(self.runs, "run"),
            _count(self.patterns, "habit"),
            *([_count(self.watch, "watch record")] if self.watch else []),
            _count(self.suggestions, "rejected or retired suggestion"),
            _count(self.versions, "earlier version"),
        ]
        vacuumed = "; the database was vacuumed" if self.vacuumed else ""
        return f"{verb} {', '.join(parts)} older than {self.limit}{vacuumed}"


async def prune(
    sessions: Sessions,
    retention: RetentionSettings,
    *,
    rejected_days: int,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PruneReport:
    """Prune what is older than the retention limits (see the module); what was removed.

    `rejected_days` is HOMEHABITS_REJECTED_DAYS: a rejection younger than that is kept. A
    `dry_run` counts the same rows and removes none.
    """
    now = now or utc_now()
    doing = "counting what to prune" if dry_run else "pruning old runs, habits and versions"
    async with transaction(sessions, doing) as session:
        horizon = await _horizon(session, retention, now)
        limit = _limit_words(retention)
        if horizon is None:
            return PruneReport(horizon=None, limit=limit, dry_run=dry_run)
        rules = _Rules(horizon, now - timedelta(days=rejected_days))
        statements = rules.statements()
        counts = {}
        for name, statement in statements.items():
            if dry_run:
                counts[name] = await _count_of(session, statement)
            else:
                result = await session.execute(statement)
                counts[name] = max(int(getattr(result, "rowcount", 0) or 0), 0)
    report = PruneReport(
        horizon=horizon,
        limit=limit,
        runs=counts["runs"],
        patterns=counts["patterns"],
        watch=counts["watch"],
        suggestions=counts["suggestions"],
        versions=counts["versions"],
        dry_run=dry_run,
    )
    if dry_run or not report.removed:
        return report
    vacuumed = await _vacuum(sessions)
    return replace(report, vacuumed=vacuumed)


async def prune_after_run(sessions: Sessions, settings: Settings, run_id: int) -> str:
    """The prune at the end of an analysis: its line for the progress; a failure is a warning."""
    try:
        report = await prune(sessions, settings.retention, rejected_days=settings.rejected_days)
    except StoreError as err:
        warning = f"pruning old runs failed (nothing was removed): {err}"
        _LOGGER.warning("analysis run %s: %s", run_id, warning)
        await add_run_warnings(sessions, run_id, [warning])
        return warning
    return report.sentence


class _Rules:
    """The DELETE statements of one prune, in the order they run, built from its horizon."""

    def __init__(self, horizon: datetime, rejection_kept_since: datetime) -> None:
        self.horizon = horizon
        self.rejection_kept_since = rejection_kept_since

    def statements(self) -> dict[str, Delete]:
        """Versions, history, suggestions, habits, then runs: each what the next one frees."""
        gone = select(SuggestionRow.id).where(self._prunable(SuggestionRow))
        return {
            "versions": delete(SuggestionVersionRow).where(
                SuggestionVersionRow.suggestion_id.in_(gone) | self._old_version()
            ),
            "feedback": delete(FeedbackRow).where(FeedbackRow.suggestion_id.in_(gone)),
            "suggestions": delete(SuggestionRow).where(self._prunable(SuggestionRow)),
            "patterns": delete(PatternRow).where(PatternRow.run_id.in_(self._old_runs())),
            # what an old run saw deployed automations do: the newest run's is what is shown
            "watch": delete(AutomationWatchRow).where(
                AutomationWatchRow.run_id.in_(self._old_runs())
            ),
            "runs": delete(AnalysisRunRow).where(
                AnalysisRunRow.id.in_(self._old_runs()), ~self._still_needed()
            ),
        }

    def _old_runs(self) -> Select[int]:
        # aliases throughout: inside DELETE FROM analysis_runs, the table itself would be
        # taken for the outer row (correlated) instead of read on its own
        run = aliased(AnalysisRunRow)
        latest = aliased(AnalysisRunRow)
        newest_finished = (
            select(latest.id)
            .where(latest.status.in_(_FINISHED))
            .order_by(latest.started_at.desc(), latest.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        return select(run.id).where(
            run.started_at < self.horizon,
            run.status != RunStatus.RUNNING,
            run.id != func.coalesce(newest_finished, 0),
        )

    def _prunable(self, suggestion: type[SuggestionRow]) -> ColumnElement[bool]:
        return and_(
            suggestion.status.in_(PRUNABLE_STATUSES),
            suggestion.updated_at < self.horizon,
            suggestion.run_id.in_(self._old_runs()),
            # a rejection still keeps its habit from being suggested again: it stays
            or_(
                suggestion.status != SuggestionStatus.REJECTED,
                suggestion.updated_at < self.rejection_kept_since,
            ),
        )

    def _still_needed(self) -> ColumnElement[bool]:
        kept = aliased(SuggestionRow)
        return exists().where(
            kept.run_id == AnalysisRunRow.id, ~self._prunable(kept)
        )  # a run a kept suggestion belongs to

    def _old_version(self) -> ColumnElement[bool]:
        version = SuggestionVersionRow
        other = aliased(SuggestionVersionRow)
        newest = select(func.max(other.number)).where(other.suggestion_id == version.suggestion_id)
        sent = aliased(SuggestionVersionRow)
        last_sent = select(func.max(sent.number)).where(
            sent.suggestion_id == version.suggestion_id, sent.deployed.is_(True)
        )
        return and_(
            version.created_at < self.horizon,
            version.number < newest.scalar_subquery(),
            version.number != func.coalesce(last_sent.scalar_subquery(), 0),
        )


async def _horizon(
    session: AsyncSession, retention: RetentionSettings, now: datetime
) -> datetime | None:
    """The later of the two limits (each prunes on its own), or None when neither is set."""
    limits: list[datetime] = []
    if retention.keep_days:
        limits.append(now - timedelta(days=retention.keep_days))
    if retention.keep_runs:
        oldest_kept = await session.scalar(
            select(AnalysisRunRow.started_at)
            .order_by(AnalysisRunRow.started_at.desc(), AnalysisRunRow.id.desc())
            .offset(retention.keep_runs - 1)
            .limit(1)
        )
        if oldest_kept is not None:  # fewer runs than that: none is beyond the count
            limits.append(oldest_kept)
    return max(limits) if limits else None


def _limit_words(retention: RetentionSettings) -> str:
    days = f"{retention.keep_days} days" if retention.keep_days else ""
    runs = f"the newest {retention.keep_runs} runs" if retention.keep_runs else ""
    return " or ".join(part for part in (days, runs) if part) or _NO_LIMIT


async def _count_of(session: AsyncSession, statement: Delete) -> int:
    """How many rows a DELETE would remove: the same table and WHERE, counted."""
    table = statement.table
    where = statement.whereclause if statement.whereclause is not None else false()
    counted = await session.scalar(select(func.count()).select_from(table).where(where))
    return int(counted or 0)


async def _vacuum(sessions: Sessions) -> bool:
    """Give the freed pages back to the disk on SQLite (outside any transaction); done or not.

    A VACUUM that fails (no room for its copy of the file, a busy database) only leaves the
    file as large as it was: logged, never an error of the prune, whose rows are gone already.
    """
    engine = sessions.kw.get("bind")
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
        return False
    try:
        async with engine.connect() as connection:
            # the driver's own connection: SQLAlchemy's would begin a transaction first, and
            # VACUUM cannot run inside one (the journal mode, WAL, is kept by the file)
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            if driver is None:
                return False
            await driver.execute("VACUUM")
    # the driver's own errors (sqlite3.OperationalError) are not SQLAlchemy's
    except (SQLAlchemyError, sqlite3.Error, OSError) as err:
        _LOGGER.warning("vacuuming %s failed: %s", describe_url(engine.url), err)
        return False
    return True


def _count(number: int, word: str) -> str:
    return f"{number:,} {word}" + ("" if number == 1 else "s")
