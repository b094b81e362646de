"""`homehabits automations`: the home's own automations as the newest run watched them."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape

from homehabits.cli._common import app, console, open_store, run_async, settings_with
from homehabits.store.watch import TrackRecord

__all__ = ["automations"]


@app.command()
def automations(
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The home's own automations: how often each fired, and its problems first."""
    settings = settings_with(**({"database_url": db} if db else {}))

    async def _read() -> tuple[int | None, list[TrackRecord]]:
        from homehabits.store import repository

        async with open_store(settings) as sessions:
            return await repository.home_automations(sessions)

    run_id, records = run_async(_read())
    if as_json:
        items = [record.as_dict() for record in records]
        sys.stdout.write(json.dumps({"run_id": run_id, "items": items}) + "\n")
        return
    if run_id is None:
        console.print("No run has watched the home's automations yet: run `homehabits analyze`.")
        return
    troubled = sum(1 for record in records if record.problems)
    console.print(
        f"[bold]{len(records)} automations of the home[/bold] as run {run_id} saw them, "
        f"{troubled} with problems"
    )
    for record in records:
        mark = "[yellow]![/yellow]" if record.problems else " "
        who = f" ({escape(record.automation_entity)})" if record.automation_entity else ""
        console.print(f"{mark} [bold]{escape(record.alias)}[/bold]{who}: {escape(record.words)}")
        for problem in record.problems:
            console.print(f"    [yellow]{escape(problem)}[/yellow]")
