"""Analysis runs: start one, list them, read one; confirm a proposed service account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from homehabits.api.deps import RowIdPath, RunnerDep, SessionsDep
from homehabits.api.errors import errors
from homehabits.api.schemas import RunOut, RunStarted, ServiceAccountIn, ServiceAccountOut
from homehabits.store import repository

__all__ = ["router"]

router = APIRouter(prefix="/api/analysis", tags=["analysis"])


@router.post(
    "/run",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunStarted,
    responses=errors(status.HTTP_409_CONFLICT),
)
async def start_run(runner: RunnerDep) -> RunStarted:
    """Start an analysis in the background (409 while one is running)."""
    return RunStarted(run_id=await runner.start("api"))


@router.get("/runs", response_model=list[RunOut])
async def list_runs(
    sessions: SessionsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[RunOut]:
    """The latest runs, newest first."""
    return [RunOut.from_record(run) for run in await repository.list_runs(sessions, limit=limit)]


@router.get("/runs/{run_id}", response_model=RunOut, responses=errors(status.HTTP_404_NOT_FOUND))
async def get_run(run_id: RowIdPath, sessions: SessionsDep) -> RunOut:
    """One run: trigger, window, counts, seconds per phase, model use, errors, status."""
    return RunOut.from_record(await repository.get_run(sessions, run_id))


@router.post(
    "/service-accounts",
    response_model=ServiceAccountOut,
    responses=errors(status.HTTP_400_BAD_REQUEST),
)
async def confirm_service_account(
    body: ServiceAccountIn, sessions: SessionsDep
) -> ServiceAccountOut:
    """Count a user's actions as a service's (not a person's) from the next run on."""
    user_id = body.user_id.replace("-", "").lower()
    name = body.name or user_id
    added = await repository.confirm_service_account(sessions, user_id, name)
    return ServiceAccountOut(user_id=user_id, name=name, newly_confirmed=added)
