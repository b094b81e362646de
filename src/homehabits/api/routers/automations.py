"""The home's own automations with their evidence: fires, last fired, problems, in words."""

from __future__ import annotations

from fastapi import APIRouter

from homehabits.api.deps import SessionsDep
from homehabits.api.schemas import AutomationOut, AutomationsPage
from homehabits.store import repository

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["automations"])


@router.get("/automations", response_model=AutomationsPage)
async def list_automations(sessions: SessionsDep) -> AutomationsPage:
    """The owner's automations as the newest run watched them, those with problems first."""
    run_id, records = await repository.home_automations(sessions)
    return AutomationsPage(run_id=run_id, items=[AutomationOut.from_record(r) for r in records])
