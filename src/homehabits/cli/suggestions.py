"""`homehabits suggestions …` and `homehabits export`: the owner's review from the terminal."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from homehabits.cli._common import (
    app,
    console,
    err_console,
    fail,
    open_store,
    run_async,
    settings_with,
    status_named,
    suggestions_app,
)
from homehabits.cli._display import show_one, show_suggestions, suggestion_json
from homehabits.config import Settings
from homehabits.store.records import SuggestionRecord, SuggestionStatus

__all__ = ["export"]


@suggestions_app.command("list")
def suggestions_list(
    status: Annotated[
        str | None, typer.Option(help="pending, approved, deployed, rejected, …")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="time_of_day, sun, sequence, auto_off, …")
    ] = None,
    area: Annotated[str | None, typer.Option(help="An area name or id.")] = None,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 50,
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the stored suggestions, best first."""
    settings = settings_with(**({"database_url": db} if db else {}))
    wanted = status_named(status)

    async def _list() -> list[SuggestionRecord]:
        from homehabits.store import repository

        async with open_store(settings) as sessions:
            return await repository.list_suggestions(
                sessions, status=wanted, kind=kind, area=area, limit=limit
            )

    found = run_async(_list())
    if as_json:
        sys.stdout.write(json.dumps([suggestion_json(s) for s in found], default=str) + "\n")
        return
    show_suggestions(found, title=f"{len(found)} suggestions")


@suggestions_app.command("show")
def suggestions_show(
    suggestion_id: Annotated[int, typer.Argument(metavar="ID", help="The suggestion's id.")],
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one suggestion: its words, evidence and the automation as YAML."""
    settings = settings_with(**({"database_url": db} if db else {}))

    async def _show() -> SuggestionRecord:
        from homehabits.store import repository

        async with open_store(settings) as sessions:
            return await repository.get_suggestion(sessions, suggestion_id)

    found = run_async(_show())
    if as_json:
        sys.stdout.write(json.dumps(suggestion_json(found), default=str) + "\n")
        return
    show_one(found)


def _review_command(
    help_text: str, call: Callable[[Any, Settings, int], Awaitable[SuggestionRecord]]
) -> Callable[..., None]:
    def command(
        suggestion_id: Annotated[int, typer.Argument(metavar="ID", help="The suggestion's id.")],
        db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
    ) -> None:
        settings = settings_with(**({"database_url": db} if db else {}))

        async def _act() -> SuggestionRecord:
            async with open_store(settings) as sessions:
                return await call(sessions, settings, suggestion_id)

        done = run_async(_act())
        console.print(f"Suggestion {done.id} is now [bold]{done.status.value}[/bold]: {done.title}")
        if done.deploy_message and done.status is SuggestionStatus.DEPLOY_FAILED:
            err_console.print(f"[red]Home Assistant said:[/red] {done.deploy_message}")
            raise typer.Exit(1)

    command.__doc__ = help_text
    return command


async def _deploy(sessions: Any, settings: Settings, suggestion_id: int) -> SuggestionRecord:
    from homehabits import review

    return await review.deploy(sessions, settings, suggestion_id)


async def _undeploy(sessions: Any, settings: Settings, suggestion_id: int) -> SuggestionRecord:
    from homehabits import review

    return await review.undeploy(sessions, settings, suggestion_id)


@suggestions_app.command("approve")
def suggestions_approve(
    suggestion_ids: Annotated[
        list[int] | None, typer.Argument(metavar="ID...", help="The suggestions' ids.")
    ] = None,
    all_pending: Annotated[
        bool, typer.Option("--all-pending", help="Approve every pending suggestion.")
    ] = False,
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
) -> None:
    """Approve suggestions; with several, sensitive ones are left to approve on their own."""
    settings = settings_with(**({"database_url": db} if db else {}))
    if not suggestion_ids and not all_pending:
        fail("name the suggestions to approve, or use --all-pending")

    async def _approve() -> tuple[list[SuggestionRecord], list[tuple[int, str]]]:
        from homehabits import review
        from homehabits.store import repository

        async with open_store(settings) as sessions:
            ids = list(suggestion_ids or [])
            if all_pending:
                pending = await repository.list_suggestions(
                    sessions, status=SuggestionStatus.PENDING, limit=100_000
                )
                ids += [s.id for s in pending]
            if len(ids) == 1:  # one suggestion, chosen by its id: the owner has looked at it
                return [await review.approve(sessions, ids[0])], []
            done = await review.approve_many(sessions, ids)
            return done.approved, done.skipped

    approved, skipped = run_async(_approve())
    for record in approved:
        console.print(f"Suggestion {record.id} is now [bold]approved[/bold]: {record.title}")
    for suggestion_id, why in skipped:
        err_console.print(f"[yellow]Suggestion {suggestion_id} not approved:[/yellow] {why}")


suggestions_app.command("deploy")(
    _review_command("Deploy an approved suggestion into Home Assistant.", _deploy)
)
suggestions_app.command("undeploy")(
    _review_command("Take a deployed suggestion out of Home Assistant again.", _undeploy)
)


@suggestions_app.command("reject")
def suggestions_reject(
    suggestion_id: Annotated[int, typer.Argument(metavar="ID", help="The suggestion's id.")],
    reason: Annotated[
        str, typer.Option(help="Why; kept, and the habit is not suggested again.")
    ] = "",
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
) -> None:
    """Reject a suggestion; the habit is not suggested again for a while."""
    settings = settings_with(**({"database_url": db} if db else {}))

    async def _reject() -> SuggestionRecord:
        from homehabits import review

        async with open_store(settings) as sessions:
            return await review.reject(sessions, suggestion_id, reason)

    done = run_async(_reject())
    console.print(f"Suggestion {done.id} is now [bold]{done.status.value}[/bold]: {done.title}")


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="The YAML file to write.")],
    approved: Annotated[
        bool, typer.Option("--approved", help="Export the approved suggestions.")
    ] = True,
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
) -> None:
    """Write the approved automations as a YAML file Home Assistant can include."""
    if not approved:
        fail("only --approved export is supported")
    settings = settings_with(**({"database_url": db} if db else {}))

    async def _export() -> int:
        from homehabits import review

        async with open_store(settings) as sessions:
            return await review.export_approved(sessions, settings, out)

    count = run_async(_export())
    console.print(f"Wrote {count} automations to {out}")
    console.print(
        f"Include it in configuration.yaml with:  automation homehabits: !include {out.name}"
    )
