"""Moving values between rows and records: each field by name, JSON values as fresh copies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["values_of"]


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
