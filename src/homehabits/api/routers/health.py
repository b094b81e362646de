"""GET /health: is the service well (open to all, no secrets)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from homehabits.api.deps import RunnerDep, SchedulerDep, SessionsDep, service_of
from homehabits.api.home_assistant_status import HomeAssistantState, HomeAssistantStatus
from homehabits.api.schemas import HealthOut, LastRunOut
from homehabits.store import repository

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "Something is not well; see the fields."}},
)
async def health(
    request: Request,
    sessions: SessionsDep,
    scheduler: SchedulerDep,
    runner: RunnerDep,
    response: Response,
) -> HealthOut:
    """Database, schedule, Home Assistant (does it take the token?), MQTT, the last and next run."""
    service = service_of(request)
    database = await repository.ping(sessions)
    last = await repository.latest_run(sessions) if database else None
    home_assistant = (
        await service.home_assistant.status()
        if service.home_assistant is not None
        else HomeAssistantStatus(HomeAssistantState.NOT_CONFIGURED)
    )
    # the MQTT entities are a convenience: a broker that is away is a warning, not ill health
    mqtt = service.mqtt.status if service.mqtt is not None else None
    healthy = database and scheduler.running and home_assistant.healthy
    if not healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthOut(
        status="ok" if healthy else "degraded",
        database=database,
        scheduler_running=scheduler.running,
        analysis_running=runner.running,
        time_zone=str(scheduler.zone),
        time_zone_fallback=service.time_zone_fallback,
        home_assistant=home_assistant.state.value,
        home_assistant_detail=home_assistant.detail,
        mqtt=mqtt.state.value if mqtt else "not_configured",
        mqtt_detail=mqtt.detail if mqtt else None,
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
