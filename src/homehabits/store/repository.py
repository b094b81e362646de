"""The store's public functions in one place: runs, patterns, suggestions, cache, health.

Convention: every function is async and takes the sessionmaker (`make_sessionmaker(engine)`)
as its first argument; each call runs in its own transaction, so callers never manage
sessions. Database failures surface as StoreError (or a subclass).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from homehabits.store.cache import cache_get, cache_put
from homehabits.store.decisions import OwnerDecisions, owner_decisions, past_rejections
from homehabits.store.engine import READS_ONLY, Sessions, make_engine, make_sessionmaker
from homehabits.store.history import FeedbackEntry, review_history
from homehabits.store.migrate import migrate
from homehabits.store.pattern_records import StoredPattern
from homehabits.store.run_lease import mark_abandoned_runs
from homehabits.store.runs import (
    add_run_warnings,
    complete_run,
    create_run,
    fail_run,
    get_run,
    last_finished_run,
    latest_run,
    list_patterns,
    list_runs,
    runs_by_id,
    set_phase_seconds,
)
from homehabits.store.service_accounts import (
    OWN_TOKEN_REASON,
    confirm_service_account,
    confirmed_service_accounts,
    withdraw_own_token_confirmation,
)
from homehabits.store.suggestions import (
    ACTIVE_STATUSES,
    TRANSITIONS,
    active_fingerprints,
    bring_back_retired,
    change_status,
    count_by_status,
    count_suggestions,
    get_suggestion,
    known_habits,
    list_suggestions,
    pending_by_fingerprint,
    rejected_fingerprint_times,
    rejected_fingerprints,
    retire_gone,
    store_verdict,
    update_automation,
)
from homehabits.store.totals import run_totals
from homehabits.store.watch import (
    TrackRecord,
    home_automations,
    store_watch,
    track_record,
    track_records,
)

__all__ = [
    "ACTIVE_STATUSES",
    "OWN_TOKEN_REASON",
    "TRANSITIONS",
    "FeedbackEntry",
    "OwnerDecisions",
    "Sessions",
    "StoredPattern",
    "TrackRecord",
    "active_fingerprints",
    "add_run_warnings",
    "bring_back_retired",
    "cache_get",
    "cache_put",
    "change_status",
    "complete_run",
    "confirm_service_account",
    "confirmed_service_accounts",
    "count_by_status",
    "count_suggestions",
    "create_run",
    "fail_run",
    "get_run",
    "get_suggestion",
    "home_automations",
    "known_habits",
    "last_finished_run",
    "latest_run",
    "list_patterns",
    "list_runs",
    "list_suggestions",
    "make_engine",
    "make_sessionmaker",
    "mark_abandoned_runs",
    "migrate",
    "owner_decisions",
    "past_rejections",
    "pending_by_fingerprint",
    "ping",
    "rejected_fingerprint_times",
    "rejected_fingerprints",
    "retire_gone",
    "review_history",
    "run_totals",
    "runs_by_id",
    "set_phase_seconds",
    "store_verdict",
    "store_watch",
    "track_record",
    "track_records",
    "update_automation",
    "withdraw_own_token_confirmation",
]


async def ping(sessions: Sessions) -> bool:
    """Whether the database answers (for the health check); never raises."""
    try:
        async with sessions() as session:
            # a reader: the health check never waits for a writer's lock
            await session.connection(execution_options={READS_ONLY: True})
            await session.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return False
    return True
