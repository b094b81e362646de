"""Habit mining: pure functions from an EventFrame and a HomeContext to Patterns."""

from __future__ import annotations

from homehabits.patterns.habit import ALL_DAYS, WEEKDAYS, WEEKENDS, HabitKind, Pattern, day_type
from homehabits.patterns.mining import MINERS, mine

__all__ = ["ALL_DAYS", "MINERS", "WEEKDAYS", "WEEKENDS", "HabitKind", "Pattern", "day_type", "mine"]
