"""Suggestions: the review's status rules, its history, rejection memory, filters and pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from homehabits.exceptions import StatusChangeError, SuggestionNotFoundError
from homehabits.store.engine import Sessions
from homehabits.store.records import NewSuggestion, RunStatus, RunSummary, SuggestionStatus
from homehabits.store.repository import (
    active_fingerprints,
    change_status,
    complete_run,
    count_by_status,
    count_suggestions,
    create_run,
    get_suggestion,
    list_suggestions,
    rejected_fingerprint_times,
    rejected_fingerprints,
    review_history,
    update_automation,
)

from .conftest import WINDOW_END, WINDOW_START

NewSuggestionMaker = Callable[..., NewSuggestion]
S = SuggestionStatus

# The review rules as the owner meets them (from the store's brief).
ALLOWED = {
    S.PENDING: {S.APPROVED, S.REJECTED, S.RETIRED},
    S.APPROVED: {S.DEPLOYED, S.DEPLOY_FAILED, S.REJECTED, S.PENDING},
    S.DEPLOY_FAILED: {S.DEPLOYED, S.DEPLOY_FAILED, S.REJECTED, S.APPROVED},
    S.DEPLOYED: {S.REMOVED},
    S.REMOVED: {S.APPROVED, S.DEPLOYED, S.DEPLOY_FAILED, S.REJECTED},  # a failed redeploy
    S.REJECTED: {S.PENDING},
    S.RETIRED: {S.PENDING, S.REJECTED},  # its habit was gone: back when it returns
}
# How a pending suggestion gets to each status.
ROUTE = {
    S.PENDING: [],
    S.APPROVED: [S.APPROVED],
    S.REJECTED: [S.REJECTED],
    S.DEPLOYED: [S.APPROVED, S.DEPLOYED],
    S.DEPLOY_FAILED: [S.APPROVED, S.DEPLOY_FAILED],
    S.REMOVED: [S.APPROVED, S.DEPLOYED, S.REMOVED],
    S.RETIRED: [S.RETIRED],
}
ALL_CHANGES = [(start, target) for start in S for target in S]


async def _store(sessions: Sessions, suggestions: Sequence[NewSuggestion]) -> list[int]:
    run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    return await complete_run(
        sessions, run_id, RunSummary(status=RunStatus.SUCCEEDED), [], suggestions
    )


async def _bring_to(sessions: Sessions, suggestion_id: int, status: SuggestionStatus) -> None:
    for step in ROUTE[status]:
        await change_status(sessions, suggestion_id, step)


@pytest.mark.parametrize(
    ("start", "target"),
    [change for change in ALL_CHANGES if change[1] in ALLOWED[change[0]]],
    ids=lambda status: status.value,
)
async def test_an_allowed_status_change_is_made_and_noted(
    sessions: Sessions,
    new_suggestion: NewSuggestionMaker,
    start: SuggestionStatus,
    target: SuggestionStatus,
) -> None:
    [suggestion_id] = await _store(sessions, [new_suggestion(1)])
    await _bring_to(sessions, suggestion_id, start)

    changed = await change_status(sessions, suggestion_id, target, reason="the owner said so")

    assert changed.status is target
    assert (await get_suggestion(sessions, suggestion_id)).status is target
    history = await review_history(sessions, suggestion_id)
    assert [entry.action for entry in history] == [s.value for s in [*ROUTE[start], target]]
    assert history[-1].reason == "the owner said so"
    assert history[-1].fingerprint == changed.fingerprint
    assert history[-1].created_at == changed.updated_at


@pytest.mark.parametrize(
    ("start", "target"),
    [change for change in ALL_CHANGES if change[1] not in ALLOWED[change[0]]],
    ids=lambda status: status.value,
)
async def test_a_forbidden_status_change_is_refused_and_changes_nothing(
    sessions: Sessions,
    new_suggestion: NewSuggestionMaker,
    start: SuggestionStatus,
    target: SuggestionStatus,
) -> None:
    [suggestion_id] = await _store(sessions, [new_suggestion(1)])
    await _bring_to(sessions, suggestion_id, start)
    before = await get_suggestion(sessions, suggestion_id)

    with pytest.raises(StatusChangeError, match=rf"cannot .* suggestion \(#{suggestion_id}\)"):
        await change_status(sessions, suggestion_id, target)

    assert await get_suggestion(sessions, suggestion_id) == before
    assert len(await review_history(sessions, suggestion_id)) == len(ROUTE[start])


async def test_deploying_a_rejected_suggestion_says_why_not(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    [suggestion_id] = await _store(sessions, [new_suggestion(1)])
    await change_status(sessions, suggestion_id, S.REJECTED, reason="we sleep in on Mondays")

    with pytest.raises(StatusChangeError, match="cannot deploy a rejected suggestion"):
        await change_status(sessions, suggestion_id, S.DEPLOYED)


async def test_a_status_change_of_an_unknown_suggestion_is_not_found(sessions: Sessions) -> None:
    with pytest.raises(SuggestionNotFoundError, match="99"):
        await change_status(sessions, 99, S.APPROVED)
    with pytest.raises(SuggestionNotFoundError, match="99"):
        await get_suggestion(sessions, 99)


async def test_deploying_keeps_the_home_assistant_id_and_message(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    [suggestion_id] = await _store(sessions, [new_suggestion(1)])
    await change_status(sessions, suggestion_id, S.APPROVED)
    failed = await change_status(
        sessions, suggestion_id, S.DEPLOY_FAILED, deploy_message="Message malformed: bad at"
    )
    assert failed.deploy_message == "Message malformed: bad at"

    deployed = await change_status(
        sessions, suggestion_id, S.DEPLOYED, ha_automation_id="homehabits_habit00000000001"
    )

    assert deployed.ha_automation_id == "homehabits_habit00000000001"
    assert deployed.deploy_message is None
    history = await review_history(sessions, suggestion_id)
    assert [entry.action for entry in history] == ["approved", "deploy_failed", "deployed"]
    assert history[1].reason == "Message malformed: bad at"


async def test_a_rejection_is_remembered_with_its_time_and_reason(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    ids = await _store(
        sessions, [new_suggestion(1), new_suggestion(2), new_suggestion(3), new_suggestion(4)]
    )
    before = datetime.now(UTC)
    rejected = await change_status(sessions, ids[0], S.REJECTED, reason="too early")
    after = datetime.now(UTC)
    await change_status(sessions, ids[1], S.APPROVED)
    # Rejected, then reopened: no longer a rejection to remember.
    await change_status(sessions, ids[2], S.REJECTED)
    await change_status(sessions, ids[2], S.PENDING)

    remembered = await rejected_fingerprint_times(sessions, since=before - timedelta(days=90))

    assert set(remembered) == {rejected.fingerprint}
    assert before <= remembered[rejected.fingerprint] <= after
    assert remembered[rejected.fingerprint].tzinfo is not None
    assert await rejected_fingerprints(sessions, since=before - timedelta(days=90)) == {
        rejected.fingerprint
    }
    # Older than the memory reaches: forgotten.
    assert await rejected_fingerprints(sessions, since=after + timedelta(seconds=1)) == set()
    assert rejected.reject_reason == "too early"
    reopened = await get_suggestion(sessions, ids[2])
    assert reopened.reject_reason is None


async def test_active_fingerprints_are_those_in_review_or_at_home(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    statuses = [S.PENDING, S.APPROVED, S.DEPLOYED, S.DEPLOY_FAILED, S.REJECTED, S.REMOVED]
    ids = await _store(sessions, [new_suggestion(index) for index in range(len(statuses))])
    for suggestion_id, status in zip(ids, statuses, strict=True):
        await _bring_to(sessions, suggestion_id, status)

    active = await active_fingerprints(sessions)

    expected = {
        (await get_suggestion(sessions, suggestion_id)).fingerprint
        for suggestion_id, status in zip(ids, statuses, strict=True)
        if status in {S.PENDING, S.APPROVED, S.DEPLOYED, S.DEPLOY_FAILED}
    }
    assert active == expected
    assert len(active) == 4


async def test_an_edit_replaces_the_automation_and_is_noted(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    [suggestion_id] = await _store(sessions, [new_suggestion(1)])
    edited = {"alias": "Kitchen light at 06:45", "triggers": [{"trigger": "time", "at": "06:45"}]}

    record = await update_automation(
        sessions, suggestion_id, edited, "alias: Kitchen light at 06:45\n"
    )

    assert record.automation == edited
    assert (await get_suggestion(sessions, suggestion_id)).yaml.startswith(
        "alias: Kitchen light at 06:45"
    )
    assert record.status is S.PENDING
    assert [entry.action for entry in await review_history(sessions, suggestion_id)] == ["edited"]


async def test_a_deployed_automation_cannot_be_edited_behind_home_assistants_back(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    [suggestion_id] = await _store(sessions, [new_suggestion(1)])
    await _bring_to(sessions, suggestion_id, S.DEPLOYED)

    with pytest.raises(StatusChangeError, match="cannot edit a deployed suggestion"):
        await update_automation(sessions, suggestion_id, {"alias": "x"}, "alias: x\n")
    with pytest.raises(SuggestionNotFoundError):
        await update_automation(sessions, 12345, {"alias": "x"}, "alias: x\n")


async def test_suggestions_filter_by_status_kind_and_area(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    ids = await _store(
        sessions,
        [
            new_suggestion(1),
            new_suggestion(2, kind="sun", area_id="living_room", area_name="Living Room"),
            new_suggestion(3, kind="sun", area_id=None, area_name=None),
            new_suggestion(4, kind="sequence", area_id="hall", area_name="Hall"),
        ],
    )
    await change_status(sessions, ids[1], S.APPROVED)
    await change_status(sessions, ids[3], S.REJECTED)

    async def fingerprints(**filters: object) -> list[str]:
        found = await list_suggestions(sessions, **filters)  # type: ignore[arg-type]
        assert await count_suggestions(sessions, **filters) == len(found)  # type: ignore[arg-type]
        return sorted(record.fingerprint[-1] for record in found)

    assert await fingerprints() == ["1", "2", "3", "4"]
    assert await fingerprints(status=S.PENDING) == ["1", "3"]
    assert await fingerprints(status="approved") == ["2"]
    assert await fingerprints(status=[S.APPROVED, S.REJECTED]) == ["2", "4"]
    assert await fingerprints(kind="sun") == ["2", "3"]
    assert await fingerprints(area="living_room") == ["2"]
    assert await fingerprints(area="living room") == ["2"]
    assert await fingerprints(kind="sun", status=S.PENDING) == ["3"]
    assert await fingerprints(area="garage") == []


async def test_pages_cover_every_suggestion_once_newest_run_and_best_first(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    older = await _store(sessions, [new_suggestion(index) for index in range(5)])
    newer = await _store(sessions, [new_suggestion(index) for index in range(10, 17)])

    pages = [await list_suggestions(sessions, limit=5, offset=offset) for offset in (0, 5, 10)]

    listed = [record.id for page in pages for record in page]
    assert [len(page) for page in pages] == [5, 5, 2]
    assert sorted(listed) == sorted(older + newer)
    assert set(listed[:7]) == set(newer)
    newest_scores = [record.score for record in pages[0]]
    assert newest_scores == sorted(newest_scores, reverse=True)
    assert await count_suggestions(sessions) == 12
    assert [r.run_id for r in await list_suggestions(sessions, run_id=pages[2][0].run_id)] == [
        pages[2][0].run_id
    ] * 5


async def test_counts_by_status_name_every_status(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    ids = await _store(sessions, [new_suggestion(index) for index in range(3)])
    await change_status(sessions, ids[0], S.REJECTED)

    counts = await count_by_status(sessions)

    assert counts == {
        "pending": 2,
        "approved": 0,
        "deployed": 0,
        "rejected": 1,
        "deploy_failed": 0,
        "removed": 0,
        "retired": 0,
    }


async def test_times_come_back_in_utc_with_their_time_zone(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    [suggestion_id] = await _store(sessions, [new_suggestion(1)])

    record = await change_status(sessions, suggestion_id, S.APPROVED)
    again = await get_suggestion(sessions, suggestion_id)

    for moment in (record.created_at, record.updated_at, again.created_at, again.updated_at):
        assert moment.utcoffset() == timedelta(0)
    assert again.updated_at == record.updated_at
    assert again.updated_at >= again.created_at
