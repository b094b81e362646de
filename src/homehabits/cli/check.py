"""`homehabits check`: the effective settings, what the source can see, who would write the
words (the model, Home Assistant's AI Task or the template), and every warning."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import typer
from rich.markup import escape

from homehabits.cli._common import app, console, err_console, flags_of, setup_logging
from homehabits.cli._source_options import (
    DaysFlag,
    DbFlag,
    DemoFlag,
    EventsFlag,
    HaConfigFlag,
    HaTokenFlag,
    HaUrlFlag,
    JsonFlag,
    LatitudeFlag,
    LongitudeFlag,
    RandomizeFlag,
    RecorderFlag,
    SeedFlag,
    TimeZoneFlag,
    source_overrides,
    source_spec,
)
from homehabits.config import Settings, load_settings, settings_for_display
from homehabits.context import HomeContext
from homehabits.exceptions import HomeHabitsError

__all__ = ["check"]

_ASK_SECONDS = 10.0  # a check should not hang on a Home Assistant that does not answer


@dataclass(slots=True)
class _Report:
    """What `check` found: the settings, the home as the source sees it, warnings, errors."""

    settings: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    home: dict[str, Any] = field(default_factory=dict)
    service_accounts: list[dict[str, str]] = field(default_factory=list)
    writer: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.errors,
            "settings": self.settings,
            "source": self.source,
            "home": self.home,
            "service_account_proposals": self.service_accounts,
            "writer": self.writer,
            "warnings": self.warnings,
            "errors": self.errors,
        }


@app.command()
def check(
    demo: DemoFlag = False,
    ha_config: HaConfigFlag = None,
    recorder: RecorderFlag = None,
    ha_url: HaUrlFlag = None,
    ha_token: HaTokenFlag = None,
    events: EventsFlag = None,
    days: DaysFlag = None,
    seed: SeedFlag = 42,
    randomize: RandomizeFlag = False,
    db: DbFlag = None,
    time_zone: TimeZoneFlag = None,
    latitude: LatitudeFlag = None,
    longitude: LongitudeFlag = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the settings in effect, what the source can see, and every warning; 1 on an error."""
    overrides = source_overrides(
        days=days,
        db=db,
        time_zone=time_zone,
        ha_url=ha_url,
        ha_token=ha_token,
        latitude=latitude,
        longitude=longitude,
    )
    setup_logging(quiet=True)
    report = _Report()
    try:
        settings = load_settings(flags=flags_of(overrides), **overrides)
    except HomeHabitsError as err:
        report.errors.append(str(err))
        _finish(report, as_json)
    report.settings = settings_for_display(settings)
    try:
        report.source = source_spec(
            demo, ha_config, recorder, ha_url, events, seed, settings, randomize
        )
    except typer.Exit:
        # the source options were refused; the reason is already printed on stderr
        report.errors.append("the source options are not valid (see the message above)")
        _finish(report, as_json)
    try:
        _look_at_source(report, settings)
    except HomeHabitsError as err:
        report.errors.append(f"could not read the home: {err}")
    except OSError as err:
        report.errors.append(f"could not read the home: {err}")
    asyncio.run(_look_at_writer(report, settings))
    _finish(report, as_json)


def _look_at_source(report: _Report, settings: Settings) -> None:
    asyncio.run(_read_home(report, settings))


async def _read_home(report: _Report, settings: Settings) -> None:
    from homehabits.patterns.service_accounts import count_as_service, propose_service_accounts
    from homehabits.sources.factory import source_from_spec
    from homehabits.sources.registries import unmatched_service_users

    assert report.source is not None
    source = source_from_spec(report.source, settings)
    context = await source.read_context()
    if settings.time_zone:
        context = replace(context, time_zone=settings.time_zone)
    confirmed = await _confirmed_service_accounts(settings, report)
    context = replace(
        context,
        service_user_ids=context.service_user_ids
        | confirmed
        | ({context.dedicated_own_user_id} if context.dedicated_own_user_id else set()),
    )
    report.home = _home(context)
    schema = getattr(source, "read_schema_version", None)
    if schema is not None:
        report.home["recorder_schema_version"] = await schema()
    if context.users:
        report.warnings += [
            f"service user '{name}' is not a user of this Home Assistant: its actions are "
            "counted as a person's"
            for name in unmatched_service_users(settings.service_users, context.users)
        ]
    end = await asyncio.to_thread(source.default_window_end) or datetime.now(UTC)
    read = await source.read_events(end - timedelta(days=settings.analysis_days), end, context)
    report.warnings += list(read.warnings)
    report.home["state_changes_in_window"] = read.frame.height
    frame = count_as_service(read.frame, context.service_user_ids)
    proposals = propose_service_accounts(frame, context)
    report.service_accounts = [p.as_dict() for p in proposals]
    report.warnings += [p.warning() for p in proposals]


async def _look_at_writer(report: _Report, settings: Settings) -> None:
    from homehabits.homeassistant import HomeAssistantClient
    from homehabits.writers.outlook import writer_outlook

    if not (settings.ha_url and settings.ha_token):
        outlook = await writer_outlook(settings, None)
    else:
        timeout = min(settings.ha_timeout_seconds, _ASK_SECONDS)
        async with HomeAssistantClient(
            settings.ha_url, settings.ha_token, timeout=timeout, retries=1
        ) as client:
            outlook = await writer_outlook(settings, client)
    report.writer = outlook.as_dict()
    report.warnings += outlook.warnings


async def _confirmed_service_accounts(settings: Settings, report: _Report) -> set[str]:
    from homehabits.cli._common import open_store
    from homehabits.store import repository

    try:
        async with open_store(settings) as sessions:
            return set(await repository.confirmed_service_accounts(sessions))
    except HomeHabitsError as err:
        report.warnings.append(f"the homehabits database could not be read: {err}")
        return set()


def _home(context: HomeContext) -> dict[str, Any]:
    users = [
        {
            "user_id": user.user_id,
            "name": user.name,
            "person": user.person,
            "owner": user.is_owner,
            "system_generated": user.system_generated,
            "service_account": user.user_id in context.service_user_ids,
        }
        for user in context.user_details.values()
    ] or [
        {"user_id": user_id, "name": name, "service_account": user_id in context.service_user_ids}
        for user_id, name in context.users.items()
    ]
    location = context.location
    return {
        "name": context.name,
        "ha_version": context.ha_version,
        "time_zone": context.time_zone,
        "location": None
        if location is None
        else {"latitude": location.latitude, "longitude": location.longitude},
        "entities": len(context.entities),
        "automations": len(context.automations),
        "users": users,
        "persons": list(context.persons),
    }


def _finish(report: _Report, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), default=str) + "\n")
    else:
        _show(report)
    raise typer.Exit(1 if report.errors else 0)


def _show(report: _Report) -> None:
    if report.settings:
        console.print("[bold]Settings[/bold]")
        for name, value in report.settings.items():
            console.print(f"  {name} = {escape(value)}", highlight=False, soft_wrap=True)
    if report.source:
        console.print(f"[bold]Source[/bold] {escape(report.source)}")
    home = report.home
    if home:
        console.print("[bold]Home Assistant[/bold]")
        for name in ("name", "ha_version", "recorder_schema_version", "time_zone", "entities"):
            if name in home:
                console.print(f"  {name.replace('_', ' ')}: {escape(str(home[name]))}")
        location = home.get("location")
        where = f"{location['latitude']}, {location['longitude']}" if location else "unknown"
        console.print(f"  location: {where}")
        console.print(f"  state changes in the window: {home.get('state_changes_in_window', 0)}")
        console.print(f"  persons: {escape(', '.join(home['persons']) or 'none known')}")
        console.print("  users:")
        for user in home["users"]:
            notes = [
                f"person {user['person']}" if user.get("person") else "",
                "owner" if user.get("owner") else "",
                "system" if user.get("system_generated") else "",
                "service account" if user.get("service_account") else "",
            ]
            note = ", ".join(n for n in notes if n)
            console.print(
                f"    {escape(user['name'])} ({user['user_id']}){' — ' + escape(note) if note else ''}"
            )
    if report.writer:
        _show_writer(report.writer)
    for proposal in report.service_accounts:
        console.print(
            f"[bold]Service account?[/bold] {escape(proposal['name'])} "
            f"({proposal['user_id']}): {escape(proposal['evidence'])}"
        )
    for warning in report.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    for error in report.errors:
        err_console.print(f"[bold red]Error:[/bold red] {escape(error)}")
    if not report.errors:
        console.print(
            "[green]ok[/green]" + (f" ({len(report.warnings)} warnings)" if report.warnings else "")
        )


def _show_writer(writer: dict[str, Any]) -> None:
    writes, auto, ai_task = writer["writes"], writer["auto_would_pick"], writer["ai_task"]
    console.print(f"[bold]Words[/bold] (HOMEHABITS_WRITER={writer['setting']})")
    console.print(f"  written by: {escape(_who(writes))} — {escape(writes['reason'])}")
    if writer["setting"] != "auto":
        console.print(f"  auto would pick: {escape(_who(auto))} — {escape(auto['reason'])}")
    else:
        console.print(f"  auto picks: {escape(_who(auto))}")
    if not ai_task["asked"]:
        console.print(f"  AI Task: not known ({escape(ai_task['why_not_asked'] or '')})")
        return
    entities = ", ".join(ai_task["entities"]) or "none"
    console.print(f"  AI Task entities: {escape(entities)}")
    console.print(
        f"  AI Task preferred in Home Assistant: {escape(ai_task['preferred'] or 'none')}"
    )
    if ai_task["would_write"]:
        console.print(f"  AI Task would write with: {escape(ai_task['would_write'])}")
    else:
        console.print(f"  AI Task cannot write: {escape(ai_task['problem'] or '')}")


def _who(pick: dict[str, Any]) -> str:
    return f"{pick['writer']} ({pick['author']})" if pick["author"] else str(pick["writer"])
