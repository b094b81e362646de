"""Alembic migrations of the homehabits database, shipped inside the package."""

from __future__ import annotations

from homehabits.store.migrate import migrate

__all__ = ["migrate"]
