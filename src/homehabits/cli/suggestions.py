"""`homehabits suggestions …` and `homehabits export`: the owner's review from the terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

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
from homehabits.store.watch import TrackRecord

__all__ = ["export"]


@suggestions_app.command("list")
def suggestions_list(
    status: Annotated[
        str | None, typer.Option(help="pending, approved, deployed, rejected, retired, …")
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
    show_suggestions(found, title=_plural(len(found), "suggestion"))


@suggestions_app.command("show")
def suggestions_show(
    suggestion_id: Annotated[int, typer.Argument(metavar="ID", help="The suggestion's id.")],
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one suggestion: its words, evidence and the automation as YAML."""
    settings = settings_with(**({"database_url": db} if db else {}))

    async def _show() -> tuple[SuggestionRecord, TrackRecord | None]:
        from homehabits.store import repository

        async with open_store(settings) as sessions:
            found = await repository.get_suggestion(sessions, suggestion_id)
            return found, await repository.track_record(sessions, suggestion_id)

    found, track = run_async(_show())
    if as_json:
        shown = {**suggestion_json(found), "track_record": track.as_dict() if track else None}
        sys.stdout.write(json.dumps(shown, default=str) + "\n")
        return
    show_one(found, track.words if track else None)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _print_done(done: SuggestionRecord) -> None:
    console.print(
        f"Suggestion {done.id} is now [bold]{done.status.value}[/bold]: {escape(done.title)}"
    )


_HA_URL = typer.Option("--ha-url", help="Home Assistant URL (overrides HOMEHABITS_HA_URL).")
_HA_TOKEN = typer.Option(
    "--ha-token", help="Long-lived admin token (overrides HOMEHABITS_HA_TOKEN)."
)


def _home_assistant_settings(db: str | None, ha_url: str | None, ha_token: str | None) -> Settings:
    overrides: dict[str, Any] = {"database_url": db, "ha_url": ha_url, "ha_token": ha_token}
    return settings_with(**{name: value for name, value in overrides.items() if value})


@suggestions_app.command("deploy")
def suggestions_deploy(
    suggestion_id: Annotated[int, typer.Argument(metavar="ID", help="The suggestion's id.")],
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Deploy although Home Assistant lacks an entity it names (warned)."
        ),
    ] = False,
    ha_url: Annotated[str | None, _HA_URL] = None,
    ha_token: Annotated[str | None, _HA_TOKEN] = None,
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
) -> None:
    """Deploy an approved suggestion into Home Assistant (checked again right before)."""
    settings = _home_assistant_settings(db, ha_url, ha_token)

    async def _deploy() -> SuggestionRecord:
        from homehabits import review

        async with open_store(settings) as sessions:
            return await review.deploy(sessions, settings, suggestion_id, force=force)

    done = run_async(_deploy())
    _print_done(done)
    if done.deploy_message and done.status is SuggestionStatus.DEPLOY_FAILED:
        err_console.print(f"[red]Home Assistant said:[/red] {escape(done.deploy_message)}")
        raise typer.Exit(1)
    if done.deploy_message and "warning:" in done.deploy_message:
        err_console.print(f"[yellow]{escape(done.deploy_message)}[/yellow]")


@suggestions_app.command("undeploy")
def suggestions_undeploy(
    suggestion_id: Annotated[int, typer.Argument(metavar="ID", help="The suggestion's id.")],
    ha_url: Annotated[str | None, _HA_URL] = None,
    ha_token: Annotated[str | None, _HA_TOKEN] = None,
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
) -> None:
    """Take a deployed suggestion out of Home Assistant again."""
    settings = _home_assistant_settings(db, ha_url, ha_token)

    async def _undeploy() -> SuggestionRecord:
        from homehabits import review

        async with open_store(settings) as sessions:
            return await review.undeploy(sessions, settings, suggestion_id)

    _print_done(run_async(_undeploy()))


@suggestions_app.command("approve")
def suggestions_approve(
    suggestion_ids: Annotated[
        list[int] | None, typer.Argument(metavar="ID...", help="The suggestions' ids.")
    ] = None,
    all_pending: Annotated[
        bool,
        typer.Option(
            "--all-pending", help="Approve every pending suggestion that is not sensitive."
        ),
    ] = False,
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
) -> None:
    """Approve suggestions; in bulk (several, or --all-pending) sensitive ones are left alone."""
    settings = settings_with(**({"database_url": db} if db else {}))
    if not suggestion_ids and not all_pending:
        fail("name the suggestions to approve, or use --all-pending")
    if suggestion_ids and all_pending:
        fail("name the suggestions to approve, or use --all-pending, not both")

    async def _approve() -> tuple[list[SuggestionRecord], list[tuple[int, str]]]:
        from homehabits import review
        from homehabits.automations.safety import limits_from

        limits = limits_from(settings)
        async with open_store(settings) as sessions:
            if all_pending:
                done = await review.approve_all_pending(sessions, limits=limits)
            elif suggestion_ids and len(suggestion_ids) == 1:
                # one suggestion chosen by its id: the owner has looked at it
                return [await review.approve(sessions, suggestion_ids[0], limits=limits)], []
            else:
                done = await review.approve_many(sessions, suggestion_ids or [], limits=limits)
            return done.approved, done.skipped

    approved, skipped = run_async(_approve())
    for record in approved:
        console.print(
            f"Suggestion {record.id} is now [bold]approved[/bold]: {escape(record.title)}"
        )
    for suggestion_id, why in skipped:
        err_console.print(
            f"[yellow]Suggestion {suggestion_id} not approved:[/yellow] {escape(why)}"
        )
    if all_pending and not approved and not skipped:
        console.print("No suggestion is pending.")


@suggestions_app.command("edit")
def suggestions_edit(
    suggestion_id: Annotated[int, typer.Argument(metavar="ID", help="The suggestion's id.")],
    yaml_file: Annotated[
        Path, typer.Argument(metavar="FILE", help="The edited automation as YAML ('-': stdin).")
    ],
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
) -> None:
    """Replace a suggestion's automation by edited YAML, checked and judged by the safety rules."""
    settings = settings_with(**({"database_url": db} if db else {}))
    try:
        text = sys.stdin.read() if str(yaml_file) == "-" else yaml_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        fail(f"cannot read {escape(str(yaml_file))}: {escape(str(err))}")

    async def _edit() -> SuggestionRecord:
        from homehabits import review
        from homehabits.automations.safety import limits_from

        async with open_store(settings) as sessions:
            return await review.edit(sessions, suggestion_id, text, limits=limits_from(settings))

    done = run_async(_edit())
    console.print(f"Suggestion {done.id} edited: {escape(done.title)}")
    if done.sensitive:
        err_console.print(
            f"[yellow]Sensitive, approve it on its own:[/yellow] {escape(done.sensitive_reason or '')}"
        )


@suggestions_app.command("reopen")
def suggestions_reopen(
    suggestion_id: Annotated[int, typer.Argument(metavar="ID", help="The suggestion's id.")],
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
) -> None:
    """Bring a rejected suggestion back to pending, to review it again."""
    settings = settings_with(**({"database_url": db} if db else {}))

    async def _reopen() -> SuggestionRecord:
        from homehabits import review

        async with open_store(settings) as sessions:
            return await review.reopen(sessions, suggestion_id)

    _print_done(run_async(_reopen()))


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

    _print_done(run_async(_reject()))


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="The YAML file to write.")],
    approved: Annotated[
        bool,
        typer.Option(
            "--approved/--no-approved", help="Include the approved suggestions (default: yes)."
        ),
    ] = True,
    deployed: Annotated[
        bool,
        typer.Option(
            "--deployed/--no-deployed",
            help="Include the deployed ones too (default: no; Home Assistant has them already).",
        ),
    ] = False,
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
) -> None:
    """Write the approved (and, with --deployed, deployed) automations as an includable YAML file."""
    if not approved and not deployed:
        fail("nothing to export: --no-approved needs --deployed")
    settings = settings_with(**({"database_url": db} if db else {}))

    async def _export() -> int:
        from homehabits import review

        async with open_store(settings) as sessions:
            return await review.export_approved(
                sessions, settings, out, include_approved=approved, include_deployed=deployed
            )

    count = run_async(_export())
    console.print(f"Wrote {_plural(count, 'automation')} to {escape(str(out))}")
    console.print(
        f"Include it in configuration.yaml with:  automation homehabits: !include {escape(out.name)}"
    )
