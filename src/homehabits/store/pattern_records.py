"""A pattern as the store hands it out (the run's habits, for the API and the review page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["StoredPattern"]


@dataclass(frozen=True, slots=True)
class StoredPattern:
    """One habit found by an analysis run; `data` is its pattern_to_dict form."""

    id: int
    run_id: int
    fingerprint: str
    kind: str
    target_entity: str
    trigger_entity: str | None
    area_id: str | None
    score: float
    confidence: float
    data: dict[str, Any]
