"""`homehabits prune`: remove old runs, their habits, finished-with suggestions, old versions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from homehabits.cli._common import app, console, open_store, run_async, settings_with
from homehabits.store.retention import PruneReport

__all__ = ["prune"]


@app.command()
def prune(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be removed; remove nothing.")
    ] = False,
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
) -> None:
    """Remove what is older than HOMEHABITS_RETENTION__KEEP_DAYS / _KEEP_RUNS (never a suggestion you kept)."""
    settings = settings_with(**({"database_url": db} if db else {}))

    async def _prune() -> PruneReport:
        from homehabits.store.retention import prune as prune_store

        async with open_store(settings) as sessions:
            return await prune_store(
                sessions,
                settings.retention,
                rejected_days=settings.rejected_days,
                dry_run=dry_run,
            )

    report = run_async(_prune())
    sentence = report.sentence
    console.print(escape(sentence[0].upper() + sentence[1:]) + ".")
