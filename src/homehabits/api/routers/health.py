"""GET /health: is the service well (open to all, no secrets)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from homehabits.api.deps import RunnerDep, SchedulerDep, SessionsDep
from homehabits.api.schemas import HealthOut, LastRunOut
from homehabits.store import repository

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
async def health(
    sessions: SessionsDep, scheduler: SchedulerDep, runner: RunnerDep, response: Response
) -> HealthOut:
    """Database reachable, schedule running, the last run and when the next one starts."""
    database = await repository.ping(sessions)
    last = await repository.latest_run(sessions) if database else None
    healthy = database and scheduler.running
    if not healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthOut(
        status="ok" if healthy else "degraded",
        database=database,
        scheduler_running=scheduler.running,
        analysis_running=runner.running,
        time_zone=str(scheduler.zone),
        next_run=scheduler.next_run_time(),
        last_run=(
            LastRunOut(
                id=last.id,
                status=last.status,
                trigger=last.trigger,
                started_at=last.started_at,
                finished_at=last.finished_at,
            )
            if last
            else None
        ),
    )
