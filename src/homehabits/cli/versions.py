"""`homehabits suggestions versions` and `… rollback`: an automation's history, and going back."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from homehabits.cli._common import (
    console,
    err_console,
    open_store,
    run_async,
    settings_with,
    suggestions_app,
)
from homehabits.store.records import SuggestionRecord
from homehabits.store.versions import VersionRecord

__all__ = ["suggestions_rollback", "suggestions_versions"]

_DB = typer.Option("--db", help="homehabits database URL.")


@suggestions_app.command("versions")
def suggestions_versions(
    suggestion_id: Annotated[int, typer.Argument(metavar="ID", help="The suggestion's id.")],
    db: Annotated[str | None, _DB] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every version of a suggestion's automation, newest first: when, who and why."""
    settings = settings_with(**({"database_url": db} if db else {}))

    async def _versions() -> list[VersionRecord]:
        from homehabits.store import versions

        async with open_store(settings) as sessions:
            return await versions.list_versions(sessions, suggestion_id)

    found = run_async(_versions())
    if as_json:
        sys.stdout.write(json.dumps([_version_json(v) for v in found], default=str) + "\n")
        return
    table = Table(title=f"Suggestion {suggestion_id}: {_plural(len(found), 'version')}")
    for column in ("version", "when", "who", "why", ""):
        table.add_column(column)
    for version in found:
        marks = [
            word
            for word, on in (("current", version.current), ("deployed", version.deployed))
            if on
        ]
        table.add_row(
            str(version.number),
            version.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            escape(version.actor or "—"),
            escape(version.reason),
            ", ".join(marks),
        )
    console.print(table)


@suggestions_app.command("rollback")
def suggestions_rollback(
    suggestion_id: Annotated[int, typer.Argument(metavar="ID", help="The suggestion's id.")],
    version: Annotated[
        int, typer.Option("--version", min=1, help="The version to go back to (see `versions`).")
    ],
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Redeploy although Home Assistant lacks an entity it names (warned)."
        ),
    ] = False,
    ha_url: Annotated[
        str | None,
        typer.Option("--ha-url", help="Home Assistant URL (overrides HOMEHABITS_HA_URL)."),
    ] = None,
    ha_token: Annotated[
        str | None,
        typer.Option("--ha-token", help="Long-lived admin token (overrides HOMEHABITS_HA_TOKEN)."),
    ] = None,
    db: Annotated[str | None, _DB] = None,
) -> None:
    """Set a suggestion's automation back to an earlier version; redeployed when it is deployed."""
    overrides: dict[str, Any] = {"database_url": db, "ha_url": ha_url, "ha_token": ha_token}
    settings = settings_with(**{name: value for name, value in overrides.items() if value})

    async def _rollback() -> SuggestionRecord:
        from homehabits import review

        async with open_store(settings) as sessions:
            return await review.rollback(sessions, settings, suggestion_id, version, force=force)

    done = run_async(_rollback())
    console.print(
        f"Suggestion {done.id} is back at version {version} ({done.status.value}): "
        f"{escape(done.title)}"
    )
    if done.deploy_message and "warning:" in done.deploy_message:
        err_console.print(f"[yellow]{escape(done.deploy_message)}[/yellow]")


def _version_json(version: VersionRecord) -> dict[str, Any]:
    return {
        "number": version.number,
        "created_at": version.created_at.isoformat(),
        "actor": version.actor,
        "reason": version.reason,
        "automation": version.automation,
        "yaml": version.yaml,
        "dialect": version.dialect.value,
        "current": version.current,
        "deployed": version.deployed,
    }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
