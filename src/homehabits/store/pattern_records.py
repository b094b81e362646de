"""Stored habits: a run's patterns as the store hands them out, read back as Pattern."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homehabits.exceptions import StoreError
from homehabits.patterns.habit import HabitKind, Pattern, pattern_from_dict, pattern_schema

__all__ = ["StoredPattern", "check_readable", "read_habit"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredPattern:
    """One habit found by an analysis run; `data` is its pattern_to_dict form, `habit` its Pattern."""

    id: int
    run_id: int
    fingerprint: str
    kind: HabitKind
    target_entity: str
    trigger_entity: str | None
    area_id: str | None
    score: float
    confidence: float
    data: dict[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", HabitKind(self.kind))

    @property
    def habit(self) -> Pattern:
        """The habit read back as a Pattern (StoreError if it cannot be)."""
        return read_habit(
            self.data,
            where=f"pattern {self.id} of run {self.run_id}",
            kind=self.kind,
            fingerprint=self.fingerprint,
            target_entity=self.target_entity,
            trigger_entity=self.trigger_entity,
        )


def read_habit(data: Mapping[str, Any], *, where: str, **columns: Any) -> Pattern:
    """A stored habit as a Pattern, through pattern_from_dict; `where` names it in errors.

    The row's own columns (kind, fingerprint, entities) fill in what an old or partial record
    lacks, so rows written by earlier releases keep reading. A habit stored by a newer
    homehabits, or one that cannot be read, is a StoreError naming `where`.
    """
    known = {name: value for name, value in columns.items() if value is not None}
    try:
        # a habit whose action was never written down reads as no particular state
        return pattern_from_dict({"target_state": "", **known, **data})
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise StoreError(f"{where} cannot be read: {err}") from err


def check_readable(data: Mapping[str, Any], *, where: str) -> None:
    """Refuse, naming `where`, a stored habit of a schema newer than this homehabits reads."""
    try:
        pattern_schema(data)
    except ValueError as err:
        raise StoreError(f"{where} cannot be read: {err}") from err
