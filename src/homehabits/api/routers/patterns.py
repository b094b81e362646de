"""The habits found by the latest analysis."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from homehabits.api.deps import OffsetQuery, RowIdQuery, SessionsDep
from homehabits.api.schemas import PatternOut
from homehabits.store import repository

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["patterns"])


@router.get("/patterns", response_model=list[PatternOut])
async def list_patterns(
    sessions: SessionsDep,
    kind: Annotated[str | None, Query(description="time_of_day, sun, sequence, …")] = None,
    entity: Annotated[str | None, Query(description="an entity id, as target or trigger")] = None,
    area: Annotated[str | None, Query(description="an area id")] = None,
    run_id: RowIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: OffsetQuery = 0,
) -> list[PatternOut]:
    """The habits found, best first, with their parameters and evidence."""
    found = await repository.list_patterns(
        sessions, kind=kind, entity=entity, area=area, run_id=run_id, limit=limit, offset=offset
    )
    return [PatternOut.from_stored(pattern) for pattern in found]
