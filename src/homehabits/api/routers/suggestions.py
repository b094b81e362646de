"""Suggestions and the owner's review of them: list, read, approve, reject, edit, deploy, roll back."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import status as codes

from homehabits import review
from homehabits.api.deps import (
    HaTransportDep,
    OffsetQuery,
    RowIdPath,
    SessionsDep,
    SettingsDep,
)
from homehabits.api.errors import errors
from homehabits.api.schemas import (
    ApproveManyBody,
    ApproveManyResult,
    DeployBody,
    EditBody,
    RejectBody,
    RollbackBody,
    SkippedApproval,
    SuggestionDetail,
    SuggestionOut,
    SuggestionPage,
    TrackRecordOut,
    VersionOut,
)
from homehabits.automations.safety import limits_from
from homehabits.exceptions import RunNotFoundError
from homehabits.store import repository, versions
from homehabits.store.fleet import fleet_homes
from homehabits.store.records import SuggestionStatus

__all__ = ["router"]

router = APIRouter(prefix="/api/suggestions", tags=["suggestions"])

_NOT_FOUND = codes.HTTP_404_NOT_FOUND
_CONFLICT = codes.HTTP_409_CONFLICT
_REFUSED = codes.HTTP_422_UNPROCESSABLE_CONTENT
_UNREADABLE = codes.HTTP_400_BAD_REQUEST  # a body that is not UTF-8 JSON
# deploy and undeploy talk to Home Assistant: it may refuse, be away, or be slow
_HOME_ASSISTANT_ANSWERS = (
    _NOT_FOUND,
    _CONFLICT,
    _REFUSED,
    codes.HTTP_502_BAD_GATEWAY,
    codes.HTTP_503_SERVICE_UNAVAILABLE,
    codes.HTTP_504_GATEWAY_TIMEOUT,
)


@router.get("", response_model=SuggestionPage, responses=errors(_NOT_FOUND))
async def list_suggestions(
    sessions: SessionsDep,
    status: SuggestionStatus | None = None,
    kind: str | None = None,
    area: Annotated[str | None, Query(description="an area id")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: OffsetQuery = 0,
    home: Annotated[
        str | None,
        Query(description="one home of a fleet database (homehabits fleet), by its home id"),
    ] = None,
) -> SuggestionPage:
    """One page of suggestions, best first, and how many match in all."""
    if home is not None and not await fleet_homes(sessions, [home]):
        raise RunNotFoundError(f"no home {home!r} in this database (homehabits fleet)")
    # two reads on two pooled connections at once: the page answers in one round trip's time
    items, total = await asyncio.gather(
        repository.list_suggestions(
            sessions,
            status=status,
            kind=kind,
            area=area,
            limit=limit,
            offset=offset,
            home_id=home,
        ),
        repository.count_suggestions(sessions, status=status, kind=kind, area=area, home_id=home),
    )
    return SuggestionPage(
        items=[SuggestionOut.from_record(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post("/approve", response_model=ApproveManyResult, responses=errors(_UNREADABLE))
async def approve_many(
    body: ApproveManyBody, sessions: SessionsDep, settings: SettingsDep
) -> ApproveManyResult:
    """Approve several suggestions (or every pending one); sensitive ones are never approved."""
    limits = limits_from(settings)
    if body.all_pending:
        done = await review.approve_all_pending(sessions, limits=limits)
    else:
        done = await review.approve_many(sessions, body.ids, limits=limits)
    return ApproveManyResult(
        approved=[record.id for record in done.approved],
        skipped=[SkippedApproval(id=sid, reason=why) for sid, why in done.skipped],
    )


@router.get("/{suggestion_id}", response_model=SuggestionDetail, responses=errors(_NOT_FOUND))
async def get_suggestion(suggestion_id: RowIdPath, sessions: SessionsDep) -> SuggestionDetail:
    """One suggestion: the automation, its YAML, the evidence and, once deployed, its track record."""
    record, track = await asyncio.gather(
        repository.get_suggestion(sessions, suggestion_id),
        repository.track_record(sessions, suggestion_id),
    )
    detail = SuggestionDetail.from_record(record)
    return detail.model_copy(update={"track_record": _track_record_out(track)})


@router.post(
    "/{suggestion_id}/approve",
    response_model=SuggestionDetail,
    responses=errors(_NOT_FOUND, _CONFLICT, _REFUSED),
)
async def approve(
    suggestion_id: RowIdPath, sessions: SessionsDep, settings: SettingsDep
) -> SuggestionDetail:
    """Approve a suggestion, so it can be deployed (422 when the safety rules refuse it)."""
    done = await review.approve(sessions, suggestion_id, limits=limits_from(settings))
    return SuggestionDetail.from_record(done)


@router.post(
    "/{suggestion_id}/reopen",
    response_model=SuggestionDetail,
    responses=errors(_NOT_FOUND, _CONFLICT),
)
async def reopen(suggestion_id: RowIdPath, sessions: SessionsDep) -> SuggestionDetail:
    """Bring a rejected suggestion back to pending."""
    return SuggestionDetail.from_record(await review.reopen(sessions, suggestion_id))


@router.post(
    "/{suggestion_id}/reject",
    response_model=SuggestionDetail,
    responses=errors(_UNREADABLE, _NOT_FOUND, _CONFLICT),
)
async def reject(
    suggestion_id: RowIdPath, sessions: SessionsDep, body: RejectBody | None = None
) -> SuggestionDetail:
    """Reject a suggestion; the habit is not suggested again for a while."""
    reason = body.reason if body else ""
    return SuggestionDetail.from_record(await review.reject(sessions, suggestion_id, reason))


@router.patch(
    "/{suggestion_id}",
    response_model=SuggestionDetail,
    responses=errors(_UNREADABLE, _NOT_FOUND, _CONFLICT, _REFUSED),
)
async def edit(
    suggestion_id: RowIdPath, body: EditBody, sessions: SessionsDep, settings: SettingsDep
) -> SuggestionDetail:
    """Replace the automation by edited YAML; 422 with the reason when it is refused.

    Refused: YAML Home Assistant would not accept, and what the safety rules forbid (unlock,
    disarm, open a garage door; a template or a service outside the allowed domains).
    """
    done = await review.edit(sessions, suggestion_id, body.yaml, limits=limits_from(settings))
    return SuggestionDetail.from_record(done)


@router.post(
    "/{suggestion_id}/deploy",
    response_model=SuggestionDetail,
    responses=errors(_UNREADABLE, *_HOME_ASSISTANT_ANSWERS),
)
async def deploy(
    suggestion_id: RowIdPath,
    sessions: SessionsDep,
    settings: SettingsDep,
    transport: HaTransportDep,
    body: DeployBody | None = None,
    force: Annotated[
        bool, Query(description="deploy although Home Assistant lacks an entity (warned)")
    ] = False,
) -> SuggestionDetail:
    """Put an approved suggestion into Home Assistant; a failure is stored as `deploy_failed`.

    Refused before sending (422 with why): a never-rule, an entity Home Assistant does not
    have (unless `force`), an override whose original it cannot show. 422 with Home
    Assistant's reason when it rejects the config, 502 when it cannot be reached or answers
    badly, 504 when it does not answer in time.
    """
    forced = force or (body is not None and body.force)
    done = await review.deploy(
        sessions, settings, suggestion_id, force=forced, transport=transport, raise_failure=True
    )
    return SuggestionDetail.from_record(done)


@router.post(
    "/{suggestion_id}/undeploy",
    response_model=SuggestionDetail,
    responses=errors(*_HOME_ASSISTANT_ANSWERS),
)
async def undeploy(
    suggestion_id: RowIdPath,
    sessions: SessionsDep,
    settings: SettingsDep,
    transport: HaTransportDep,
) -> SuggestionDetail:
    """Delete a deployed suggestion's automation from Home Assistant."""
    done = await review.undeploy(sessions, settings, suggestion_id, transport=transport)
    return SuggestionDetail.from_record(done)


def _track_record_out(record: repository.TrackRecord | None) -> TrackRecordOut | None:
    return TrackRecordOut.from_record(record) if record is not None else None


@router.get(
    "/{suggestion_id}/versions", response_model=list[VersionOut], responses=errors(_NOT_FOUND)
)
async def list_versions(suggestion_id: RowIdPath, sessions: SessionsDep) -> list[VersionOut]:
    """Every version of the suggestion's automation, newest first: when, who, why, which is live."""
    found = await versions.list_versions(sessions, suggestion_id)
    return [VersionOut.from_record(version) for version in found]


@router.post(
    "/{suggestion_id}/rollback",
    response_model=SuggestionDetail,
    responses=errors(_UNREADABLE, *_HOME_ASSISTANT_ANSWERS),
)
async def rollback(
    suggestion_id: RowIdPath,
    body: RollbackBody,
    sessions: SessionsDep,
    settings: SettingsDep,
    transport: HaTransportDep,
) -> SuggestionDetail:
    """Set the automation back to version N (a new version says so); redeployed when deployed.

    404 naming the versions there are for an unknown one; 422 with the reason when the safety
    rules or the checks refuse it. A deployed suggestion goes to Home Assistant again first:
    when Home Assistant does not take it (502, or 422 with its reason when it rejects the
    config, 504 when it does not answer) the stored automation stays as it was.
    """
    done = await review.rollback(
        sessions, settings, suggestion_id, body.version, force=body.force, transport=transport
    )
    return SuggestionDetail.from_record(done)
