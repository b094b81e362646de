"""Rows as an older homehabits wrote them: written by today's code, copied into an older schema."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import TypeVar

from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate

__all__ = ["write_as_before"]

_T = TypeVar("_T")
# parents before children, so every foreign key finds its row
_TABLES = ("analysis_runs", "patterns", "suggestions", "feedback", "automation_watch")


async def write_as_before(old: Path, write: Callable[[Sessions], Awaitable[_T]]) -> _T:
    """Run `write` on a current SQLite database, then copy its rows into the older one at `old`.

    Only the tables and columns the older schema has are copied: what a migration adds is
    left to the migration, as in a database an earlier release wrote.
    """
    current_path = old.with_name(f"{old.stem}-current.db")
    current = make_engine(f"sqlite:///{current_path}")
    try:
        await migrate(current)
        result = await write(make_sessionmaker(current))
    finally:
        await current.dispose()
    with closing(sqlite3.connect(old)) as connection:
        connection.execute("ATTACH DATABASE ? AS current", (str(current_path),))
        names = {row[0] for row in connection.execute("SELECT name FROM main.sqlite_master")}
        for table in (name for name in _TABLES if name in names):
            columns = ", ".join(
                f'"{row[1]}"' for row in connection.execute(f"PRAGMA main.table_info({table})")
            )
            connection.execute(
                f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM current.{table}"
            )
        connection.commit()
    return result
