"""Moving values between rows and records (each field by name), and filtering rows by kind."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, false
from sqlalchemy.orm import InstrumentedAttribute

from homehabits.patterns.habit import HabitKind

__all__ = ["kind_is", "values_of"]


def values_of(source: object, names: Iterable[str]) -> dict[str, Any]:
    """The named attributes of a row or record, with dicts and lists copied.

    A fresh copy keeps a record from sharing a JSON column's object with the ORM (a change to
    one would otherwise go unnoticed by, or leak into, the other).
    """
    values: dict[str, Any] = {}
    for name in names:
        value = getattr(source, name)
        if isinstance(value, dict):
            value = dict(value)
        elif isinstance(value, list):
            value = list(value)
        values[name] = value
    return values


def kind_is(column: InstrumentedAttribute[HabitKind], kind: HabitKind | str) -> ColumnElement[bool]:
    """The rows of that kind of habit; a name no kind has matches nothing (it is not an error)."""
    try:
        return column == HabitKind(kind)
    except ValueError:
        return false()
