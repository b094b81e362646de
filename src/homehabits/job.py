"""The daily analysis: source → context → mine → compile → replay → write → store, each timed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx
import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from homehabits.automations import Draft, DroppedPattern
from homehabits.automations.compile import SafetyLimits, choose_dialect, compile_patterns
from homehabits.config import MiningSettings, Settings
from homehabits.context import HomeContext
from homehabits.event_cleaning import clean_events
from homehabits.exceptions import HomeHabitsError, RunInProgressError
from homehabits.patterns import mine
from homehabits.patterns.calibration import (
    Calibration,
    PastRejection,
    calibrate,
    rejection_notes,
    remember_rejection,
)
from homehabits.patterns.habit import Pattern, pattern_to_dict
from homehabits.patterns.same_habit import KnownHabit, keep_known_fingerprints
from homehabits.patterns.service_accounts import count_as_service, propose_service_accounts
from homehabits.replay import Replay, choose_conditions, drop_misfiring, rank_drafts
from homehabits.sources.base import Source
from homehabits.sources.registries import unmatched_service_users
from homehabits.store import repository, run_lease
from homehabits.store.records import (
    WRONG_TIMES_KEPT,
    NewSuggestion,
    RunRecord,
    RunStatus,
    RunSummary,
    SuggestionRecord,
    SuggestionRefresh,
    SuggestionReplay,
    SuggestionStatus,
)
from homehabits.store.retention import prune_after_run
from homehabits.watch.phase import watch_run
from homehabits.watch.revise import propose_revisions
from homehabits.writers import Words, write_words, writer_config

__all__ = [
    "PHASES",
    "AnalysisResult",
    "AnalysisRunner",
    "HeldHabits",
    "ProgressCallback",
    "held_habits",
    "new_or_refreshed",
    "new_suggestion",
    "recall_known_habits",
    "replay_drafts",
    "retire_gone_habits",
]

_LOGGER = logging.getLogger(__name__)

#: The phases of a run, in order, as they appear in the run record.
PHASES = ("context", "events", "mine", "compile", "replay", "watch", "write", "store")

_CANCELLED = "interrupted: the analysis was stopped before it finished"

#: Called with (phase, message) as the run goes on; the CLI shows it, the service logs it.
ProgressCallback = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """A finished run and the suggestions it stored."""

    run: RunRecord
    suggestions: list[SuggestionRecord] = field(default_factory=list)


class _StoreWordsCache:
    """The writers' cache, kept in the homehabits database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, key: str) -> Words | None:
        return await repository.cache_get(self._sessions, key)

    async def put(self, key: str, words: Words) -> None:
        await repository.cache_put(self._sessions, key, words)


@dataclass(frozen=True, slots=True)
class _Hold:
    """A run this process holds: its id, its owner name and window, and its heartbeat."""

    run_id: int
    owner: str
    window: tuple[datetime, datetime]
    heartbeat: asyncio.Task[None]


class AnalysisRunner:
    """Runs analyses one at a time; the CLI, the API and the scheduler share one runner.

    One at a time holds across processes too: a run is started under the database's analysis
    lock (store.run_lease), renewed by a heartbeat while it runs and given back at its end.
    """

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        source_factory: Callable[[], Source],
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._source_factory = source_factory
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[AnalysisResult] | None = None
        self._watchers: list[Callable[[], None]] = []
        #: tests hand in a fake Home Assistant's transport for the notifications
        self.ha_transport: httpx.AsyncBaseTransport | None = None

    @property
    def running(self) -> bool:
        """Whether an analysis is going on now."""
        return self._lock.locked()

    async def start(self, trigger: str) -> int:
        """Start a run in the background and return its id at once (the API's 202)."""
        source, hold = await self._begin(trigger, None)
        self._task = asyncio.create_task(self._run_locked(source, hold, None))
        # the run records its own failure; nobody need await the task to hear of it
        self._task.add_done_callback(_forget_outcome)
        return hold.run_id

    async def run(
        self,
        trigger: str,
        *,
        source: Source | None = None,
        progress: ProgressCallback | None = None,
    ) -> AnalysisResult:
        """Run an analysis to the end (the CLI and the scheduler)."""
        source, hold = await self._begin(trigger, source)
        return await self._run_locked(source, hold, progress)

    async def _begin(self, trigger: str, source: Source | None) -> tuple[Source, _Hold]:
        """Take the locks and record the new run; the locks are released when the run ends."""
        if self._lock.locked():
            raise RunInProgressError("an analysis is already running")
        await self._lock.acquire()
        try:
            source = source or self._source_factory()
            owner = run_lease.new_owner()
            run_id, window = await self._create_run(source, trigger, owner)
        except BaseException:
            self._lock.release()
            raise
        beat = asyncio.create_task(_keep_alive(self._sessions, owner, run_id))
        self._changed()
        return source, _Hold(run_id, owner, window, beat)

    async def wait(self) -> AnalysisResult | None:
        """Wait for the background run started by `start`, if any."""
        task = self._task
        if task is None:
            return None
        return await task

    async def _create_run(
        self, source: Source, trigger: str, owner: str
    ) -> tuple[int, tuple[datetime, datetime]]:
        # a source may have to read or build the home to know its last moment: off the loop
        try:
            end = await asyncio.to_thread(source.default_window_end)
        except HomeHabitsError:
            end = None  # the run meets the same problem reading the source, and records it
        end = end or datetime.now(UTC)
        start = end - timedelta(days=self._settings.analysis_days)
        run_id = await repository.create_run(
            self._sessions,
            trigger=trigger,
            source=source.description,
            window_start=start,
            window_end=end,
            owner=owner,
        )
        return run_id, (start, end)

    async def _run_locked(
        self, source: Source, hold: _Hold, progress: ProgressCallback | None
    ) -> AnalysisResult:
        run_id = hold.run_id
        try:
            result = await self._analyse(source, hold, progress or _log_progress)
            return await self._after_storing(result)
        except asyncio.CancelledError:
            # stopped with the service: say so now rather than leave it to look abandoned
            with _suppress_store_errors(run_id):
                await repository.fail_run(self._sessions, run_id, _CANCELLED)
            raise
        except Exception as err:
            if isinstance(err, HomeHabitsError):
                # an expected failure (Home Assistant unreachable, a bad file): its message says it
                message = str(err)
                _LOGGER.error("analysis run %s failed: %s", run_id, message)
            else:
                message = f"{type(err).__name__}: {err}"
                _LOGGER.exception("analysis run %s failed", run_id)
            await repository.fail_run(self._sessions, run_id, message)
            raise
        finally:
            hold.heartbeat.cancel()
            try:
                with _suppress_store_errors(run_id):
                    await run_lease.release_lock(self._sessions, hold.owner)
            finally:
                self._lock.release()
                self._changed()

    def watch(self, callback: Callable[[], None]) -> None:
        """Call `callback` when a run starts and when it ends (the MQTT entities follow it)."""
        self._watchers.append(callback)

    def _changed(self) -> None:
        for callback in self._watchers:
            try:
                callback()
            except Exception:  # a watcher's bug must not break a run
                _LOGGER.exception("a watcher of the analysis runs failed")

    async def _after_storing(self, result: AnalysisResult) -> AnalysisResult:
        """Tell the home about the new suggestions; what fails is a warning on the run."""
        from homehabits.notifications import notify_new_suggestions

        titles = [s.title for s in result.suggestions if s.status is SuggestionStatus.PENDING]
        try:
            warnings = await notify_new_suggestions(
                self._settings, titles, transport=self.ha_transport
            )
            if not warnings:
                return result
            await repository.add_run_warnings(self._sessions, result.run.id, warnings)
            run = await repository.get_run(self._sessions, result.run.id)
        except HomeHabitsError as err:
            _LOGGER.warning("analysis run %s: telling the home failed: %s", result.run.id, err)
            return result
        return replace(result, run=run)

    async def _analyse(
        self, source: Source, hold: _Hold, progress: ProgressCallback
    ) -> AnalysisResult:
        settings = self._settings
        run_id = hold.run_id
        start, end = hold.window
        summary = RunSummary(status=RunStatus.SUCCEEDED)
        clock = _PhaseClock(summary.phase_seconds)

        with clock("context"):
            progress("context", f"reading the home from {source.description}")
            context = await source.read_context()
            if settings.time_zone:
                context = _with_time_zone(context, settings.time_zone)
            summary.time_zone = context.time_zone
            summary.ha_version = context.ha_version
            context = await self._with_service_accounts(context, summary)

        with clock("events"):
            read = await source.read_events(start, end, context)
            read = replace(read, frame=count_as_service(read.frame, context.service_user_ids))
            summary.events_read = read.rows_read
            summary.events_rejected = read.rejected_count
            summary.rejected_examples = [
                {"row": row.row, "reason": row.reason} for row in read.rejected[:100]
            ]
            summary.warnings.extend(read.warnings)  # a warning never makes a run partial
            if read.rejected_count:
                reasons = ", ".join(f"{n} {why}" for why, n in read.rejected_by_reason.items())
                summary.errors.append(f"{read.rejected_count} rows skipped ({reasons})")
            progress("events", f"{read.frame.height:,} state changes in the window")
            notes: list[str] = []
            if read.frame.is_empty():
                # nothing went wrong (the run succeeded), but the owner should know why it
                # found nothing
                notes.append(
                    f"no state changes between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} "
                    "UTC: check the source and the number of days analysed"
                )

        with clock("mine"):
            stopped: list[tuple[Pattern, str]] = []
            patterns = await asyncio.to_thread(
                mine,
                read.frame,
                context,
                window_start=start,
                window_end=end,
                settings=settings.mining,
                left_out=stopped,
            )
            summary.patterns_found = len(patterns)
            proposals = propose_service_accounts(read.frame, context)
            summary.service_account_proposals = [p.as_dict() for p in proposals]
            summary.warnings.extend(p.warning() for p in proposals)
            gone = f", {len(stopped)} no longer done left out" if stopped else ""
            progress("mine", f"{len(patterns)} habits found{gone}")
            # a habit found again a little changed keeps the fingerprint its rejection, pending
            # suggestion and cached words are remembered by
            rejected_since = end - timedelta(days=settings.rejected_days)
            patterns, stopped = await recall_known_habits(
                self._sessions, patterns, stopped, rejected_since=rejected_since
            )

        with clock("compile"):
            held = await held_habits(self._sessions, rejected_since=rejected_since)
            active, pending, rejected = held.active, held.pending, held.rejected
            dialect = choose_dialect(settings.dialect, context.ha_version)
            compiled = compile_patterns(
                patterns,
                context,
                dialect=dialect,
                active_fingerprints=held.settled_but_pending,
                rejected_fingerprints=rejected,
                safety=SafetyLimits(settings.heating_min_c, settings.heating_max_c),
            )
            compiled.dropped.extend(DroppedPattern(pattern, why) for pattern, why in stopped)
            progress(
                "compile",
                f"{len(compiled.drafts)} automations ({dialect.value} dialect), "
                f"{len(compiled.dropped)} left out",
            )

        with clock("replay"):
            # each draft replayed over the window; a condition kept where it cuts wrong fires
            # judged against what people did, as the miners saw it: no bounce or restart row
            # makes a fire look useful
            history, compiled.drafts, misfiring = await asyncio.to_thread(
                replay_drafts,
                compiled.drafts,
                read.frame,
                context,
                window=(start, end),
                mining=settings.mining,
            )
            kept = compiled.drafts
            # the owner's decisions weigh each kind and domain; a returning habit recalls why
            # the owner rejected it
            decisions = await repository.owner_decisions(self._sessions)
            learned = calibrate(
                decisions.decisions,
                now=datetime.now(UTC),
                half_life_days=settings.learning.half_life_days,
                cells={_cell_of(draft.pattern) for draft in kept},
            )
            summary.calibration = learned.as_dict()
            past = await repository.past_rejections(
                self._sessions, {draft.pattern.fingerprint for draft in kept}
            )
            kept = [_learned(draft, learned, past, context) for draft in kept]
            compiled.drafts = sorted(rank_drafts(kept), key=lambda d: learned.rank_key(d.pattern))
            compiled.dropped.extend(misfiring)
            summary.suggestions_dropped = len(compiled.dropped)
            gated = sum(1 for draft in compiled.drafts if draft.condition_note)
            progress(
                "replay",
                f"{len(compiled.drafts)} automations replayed, {gated} given a condition, "
                f"{len(misfiring)} left out as misfiring",
            )

        with clock("watch"):
            # what the deployed suggestions and the owner's automations did, and what people
            # did about it, judged on the same cleaned history as the replay
            watched = await watch_run(
                self._sessions,
                run_id,
                history,
                context,
                window=(start, end),
                settings=settings.watch,
                owner=hold.owner,
            )
            # a deployed suggestion people keep undoing: a revision (a condition, or off)
            revisions = propose_revisions(
                watched.deployed_watches,
                {record.id: record for record in watched.deployed_records},
                history,
                context,
                window_start=start,
                window_end=end,
                settings=settings.watch,
            )
            # a revision retired once (no longer needed) and needed again is pending again
            found_again = {r.draft.pattern.fingerprint for r in revisions}
            if await repository.bring_back_retired(self._sessions, found_again):
                pending = await repository.pending_by_fingerprint(self._sessions)
            settled = (active - pending.keys()) | rejected
            fresh = [r.draft for r in revisions if r.draft.pattern.fingerprint not in settled]
            compiled.drafts.extend(fresh)
            revised = f", {len(fresh)} revisions proposed" if fresh else ""
            progress("watch", watched.message + revised)

        with clock("write"):
            model = writer_config(settings)
            progress("write", f"writing the words with {model.model if model else 'the template'}")
            words, report = await write_words(
                compiled.drafts,
                context,
                model=model,
                cache=_StoreWordsCache(self._sessions),
                window_days=settings.analysis_days,
            )
            words = [
                _recalled(text, d.pattern) for d, text in zip(compiled.drafts, words, strict=True)
            ]
            summary.model_calls = report.model_calls
            summary.cache_hits = report.cache_hits
            summary.tokens_in = report.tokens_in
            summary.tokens_out = report.tokens_out
            summary.cost = report.cost
            summary.errors.extend(report.errors)
            summary.warnings.extend(report.warnings)

        with clock("store"):
            suggestions, refreshed = new_or_refreshed(
                compiled.drafts, words, context, pending, days=settings.analysis_days
            )
            summary.suggestions_created = len(suggestions)
            summary.suggestions_refreshed = len(refreshed)
            if summary.errors:
                summary.status = RunStatus.PARTIAL
            summary.errors.extend(notes)
            # the store phase's own time is measured around the write and then filled in
            summary.phase_seconds["store"] = 0.0
            started = time.perf_counter()
            await repository.complete_run(
                self._sessions,
                run_id,
                summary,
                [
                    {**pattern_to_dict(p), "area_id": context.area_id(p.target_entity)}
                    for p in patterns
                ],
                suggestions,
                refreshed,
                owner=hold.owner,
            )
            store_seconds = time.perf_counter() - started
        await repository.set_phase_seconds(self._sessions, run_id, "store", store_seconds)
        if not read.frame.is_empty():  # an empty window says nothing about the habits
            revised_habits = [revision.draft.pattern for revision in revisions]
            retired = await retire_gone_habits(
                self._sessions, [*patterns, *revised_habits], stopped
            )
            if retired:
                progress("store", f"{len(retired)} waiting for review retired: their habit is gone")
        progress(
            "store",
            f"{len(suggestions)} new suggestions stored, {len(refreshed)} waiting for review "
            "brought up to date",
        )
        progress("store", await prune_after_run(self._sessions, settings, run_id))

        run = await repository.get_run(self._sessions, run_id)
        stored = await repository.list_suggestions(self._sessions, run_id=run_id, limit=10_000)
        return AnalysisResult(run=run, suggestions=stored)

    async def _with_service_accounts(
        self, context: HomeContext, summary: RunSummary
    ) -> HomeContext:
        """The context with every service account: configured, confirmed and our own token's."""
        if context.users:
            for name in unmatched_service_users(self._settings.service_users, context.users):
                summary.warnings.append(
                    f"service user '{name}' is not a user of this Home Assistant: "
                    "its actions are counted as a person's"
                )
        own = context.dedicated_own_user_id
        if own:
            # a user of homehabits' own: its deploys are never a person's doing; remembered for
            # later runs from sources (a recorder) that cannot tell which user the token is
            await repository.confirm_service_account(
                self._sessions,
                own,
                context.users.get(own, "homehabits"),
                reason=repository.OWN_TOKEN_REASON,
            )
        elif context.own_user_id and await repository.withdraw_own_token_confirmation(
            self._sessions, context.own_user_id
        ):
            # the token is a person's (the owner's, say): an earlier run took it for ours
            summary.warnings.append(
                f"user '{context.users.get(context.own_user_id, context.own_user_id)}' of "
                "homehabits' token belongs to a person: its actions are counted as a person's "
                "again"
            )
        confirmed = await repository.confirmed_service_accounts(self._sessions)
        return replace(context, service_user_ids=context.service_user_ids | confirmed.keys())


@dataclass(frozen=True, slots=True)
class HeldHabits:
    """What the store holds of one home's habits when its run compiles."""

    active: set[str]  # in review or deployed
    pending: dict[str, tuple[int, bool]]  # in review: (suggestion id, edited by the owner)
    rejected: set[str]  # rejected, the rejection still holding

    @property
    def settled_but_pending(self) -> set[str]:
        """The active habits not compiled again: pending ones are, to refresh their evidence."""
        return self.active - self.pending.keys()


async def recall_known_habits(
    sessions: async_sessionmaker[AsyncSession],
    patterns: list[Pattern],
    stopped: list[tuple[Pattern, str]],
    *,
    rejected_since: datetime,
    home_id: str | None = None,
) -> tuple[list[Pattern], list[tuple[Pattern, str]]]:
    """The habits under the names the home's earlier runs knew them by; retired ones back.

    A habit found again a little changed keeps the fingerprint its rejection, pending
    suggestion and cached words are remembered by; a retired suggestion whose habit is found
    again is pending once more (before the pending ones are read: it is refreshed like them).
    `home_id` is the fleet's home (None: the single home); no other home's rows are read.
    """
    known = await repository.known_habits(sessions, rejected_since=rejected_since, home_id=home_id)
    patterns = keep_known_fingerprints(patterns, known)
    stopped = _known_stopped(stopped, known)
    await repository.bring_back_retired(
        sessions, {pattern.fingerprint for pattern in patterns}, home_id=home_id
    )
    return patterns, stopped


async def held_habits(
    sessions: async_sessionmaker[AsyncSession],
    *,
    rejected_since: datetime,
    home_id: str | None = None,
) -> HeldHabits:
    """The home's active, pending and still-rejected habits, as its run compiles against."""
    return HeldHabits(
        active=await repository.active_fingerprints(sessions, home_id=home_id),
        pending=await repository.pending_by_fingerprint(sessions, home_id=home_id),
        rejected=await repository.rejected_fingerprints(
            sessions, since=rejected_since, home_id=home_id
        ),
    )


def new_or_refreshed(
    drafts: list[Draft],
    words: list[Words],
    context: HomeContext,
    pending: dict[str, tuple[int, bool]],
    *,
    days: int,
) -> tuple[list[NewSuggestion], list[SuggestionRefresh]]:
    """The run's suggestions: new ones, and the pending ones found again brought up to date."""
    suggestions: list[NewSuggestion] = []
    refreshed: list[SuggestionRefresh] = []
    for draft, text in zip(drafts, words, strict=True):
        found = new_suggestion(draft, text, context, days=days)
        if draft.pattern.fingerprint in pending:
            suggestion_id, edited = pending[draft.pattern.fingerprint]
            refreshed.append(SuggestionRefresh(suggestion_id, found, keep_automation=edited))
        else:
            suggestions.append(found)
    return suggestions, refreshed


async def retire_gone_habits(
    sessions: async_sessionmaker[AsyncSession],
    patterns: list[Pattern],
    stopped: list[tuple[Pattern, str]],
    *,
    home_id: str | None = None,
) -> list[int]:
    """Retire the home's pending suggestions whose habit its run did not find, or found stopped.

    Called only after a run that read state changes: an empty window says nothing of habits.
    """
    return await repository.retire_gone(
        sessions,
        {pattern.fingerprint for pattern in patterns},
        {pattern.fingerprint: why for pattern, why in stopped},
        home_id=home_id,
    )


def _known_stopped(
    stopped: list[tuple[Pattern, str]], known: list[KnownHabit]
) -> list[tuple[Pattern, str]]:
    """The stopped habits under the names earlier runs knew them by."""
    named = keep_known_fingerprints([pattern for pattern, _ in stopped], known)
    return [(pattern, why) for pattern, (_, why) in zip(named, stopped, strict=True)]


def _cell_of(pattern: Pattern) -> tuple[str, str]:
    """The habit's calibration cell: its kind and its target's domain."""
    return pattern.kind.value, pattern.target_entity.split(".", 1)[0]


def _learned(
    draft: Draft, learned: Calibration, past: dict[str, PastRejection], context: HomeContext
) -> Draft:
    """The draft weighed by the owner's decisions, noting the habit's past rejection if any."""
    pattern = remember_rejection(draft.pattern, past.get(draft.pattern.fingerprint), context.zone)
    return replace(draft, pattern=learned.apply(pattern))


def _recalled(words: Words, pattern: Pattern) -> Words:
    """The words with the habit's past rejection said last, whoever wrote them."""
    notes = [note for note in rejection_notes(pattern) if note not in words.rationale]
    if not notes:
        return words
    said = " ".join(f"{note}." for note in notes)
    return replace(words, rationale=f"{words.rationale.rstrip()} {said}".strip())


def replay_drafts(
    drafts: list[Draft],
    frame: pl.DataFrame,
    context: HomeContext,
    *,
    window: tuple[datetime, datetime],
    mining: MiningSettings,
) -> tuple[pl.DataFrame, list[Draft], list[DroppedPattern]]:
    """The cleaned history, the drafts kept after their replay (ranked), and those misfiring.

    Each draft is replayed over the window and given a condition where it cuts wrong fires,
    judged against what people did as the miners saw it: no bounce or restart row makes a
    fire look useful. Pure (no store, no clock): the fleet's homes run the same steps.
    """
    history = clean_events(frame, mining)
    start, end = window
    replayed = choose_conditions(drafts, history, context, window_start=start, window_end=end)
    kept, misfiring = drop_misfiring(replayed, context, mining)
    return history, rank_drafts(kept), misfiring


def new_suggestion(draft: Draft, words: Words, context: HomeContext, *, days: int) -> NewSuggestion:
    """The suggestion a replayed draft and its words make, as the store keeps it."""
    pattern = draft.pattern
    # the words' category and the draft's safety verdict win over the habit's own
    return NewSuggestion.from_parts(
        words,
        draft,
        pattern,
        pattern=pattern_to_dict(pattern),
        area_id=context.area_id(pattern.target_entity),
        area_name=context.area_name(pattern.target_entity),
        replay=_stored_replay(draft.replay, days),
    )


def _stored_replay(replay: Replay | None, days: int) -> SuggestionReplay | None:
    """The replay as a suggestion keeps it: the figures and the first wrong fires."""
    if replay is None:
        return None
    return SuggestionReplay(
        fires=replay.fires,
        useful=replay.useful,
        idle=replay.idle,
        wrong=replay.wrong,
        saved=replay.saved,
        wrong_rate=replay.wrong_rate,
        days=days,
        wrong_times=replay.wrong_times[:WRONG_TIMES_KEPT],
    )


def _with_time_zone(context: HomeContext, time_zone: str) -> HomeContext:
    return replace(context, time_zone=time_zone)


async def _keep_alive(sessions: async_sessionmaker[AsyncSession], owner: str, run_id: int) -> None:
    """Renew the run's lease until cancelled; a failed beat is retried at the next one."""
    while True:
        await asyncio.sleep(run_lease.HEARTBEAT_SECONDS)
        try:
            held = await run_lease.heartbeat(sessions, owner, run_id)
        except HomeHabitsError as err:
            _LOGGER.warning("analysis run %s could not renew its lease: %s", run_id, err)
            continue
        if not held:
            _LOGGER.warning(
                "analysis run %s lost the analysis lock; its results will not be stored", run_id
            )
            return


@contextmanager
def _suppress_store_errors(run_id: int) -> Iterator[None]:
    # cleaning up after a run must not hide why the run ended
    try:
        yield
    except HomeHabitsError as err:
        _LOGGER.warning("analysis run %s: %s", run_id, err)


def _forget_outcome(task: asyncio.Task[AnalysisResult]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: the failure is in the run record and the log already


def _log_progress(phase: str, message: str) -> None:
    _LOGGER.info("%s: %s", phase, message)


class _PhaseClock:
    """Times each phase into a dict of seconds."""

    def __init__(self, seconds: dict[str, float]) -> None:
        self._seconds = seconds

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self._seconds[phase] = time.perf_counter() - started
