"""`homehabits analyze` and `homehabits runs`: run the daily analysis, and look back at runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from homehabits.cli._common import (
    app,
    console,
    err_console,
    fail,
    open_store,
    run_async,
    settings_with,
    setup_logging,
)
from homehabits.cli._display import (
    run_json,
    show_progress,
    show_run,
    show_suggestions,
    suggestion_json,
)
from homehabits.config import Settings
from homehabits.store.records import RunRecord, SuggestionRecord

__all__ = ["NO_SOURCE_MESSAGE", "analyze", "runs"]

#: What `analyze` (and `serve`) say when no source is chosen.
NO_SOURCE_MESSAGE = (
    "no source given; choose one:\n"
    "  --ha-config DIR     a Home Assistant config folder\n"
    "  --recorder URL      a recorder database (sqlite://, mysql://, postgresql://)\n"
    "  --ha-url URL        the live Home Assistant API (with --ha-token)\n"
    "  --events FILE       a CSV, JSON lines or Parquet file of state changes\n"
    "  --demo              the built-in simulated home\n"
    "or set HOMEHABITS_SOURCE (ha-config:DIR, recorder:URL, ha-api, events:FILE, demo)"
)


@app.command()
def analyze(
    demo: Annotated[
        bool, typer.Option("--demo", help="Analyse the built-in simulated home.")
    ] = False,
    ha_config: Annotated[
        Path | None, typer.Option("--ha-config", help="A Home Assistant configuration folder.")
    ] = None,
    recorder: Annotated[
        str | None,
        typer.Option("--recorder", help="A recorder database URL (sqlite, mysql, postgresql)."),
    ] = None,
    ha_url: Annotated[
        str | None, typer.Option("--ha-url", help="Home Assistant's URL, for the live API.")
    ] = None,
    ha_token: Annotated[
        str | None,
        typer.Option("--ha-token", help="A long-lived access token (or HOMEHABITS_HA_TOKEN)."),
    ] = None,
    events: Annotated[
        Path | None, typer.Option("--events", help="An event file: CSV, JSON lines or Parquet.")
    ] = None,
    assume_manual: Annotated[
        bool,
        typer.Option(
            "--assume-manual",
            help="With --events: a file without an origin column holds changes made by hand.",
        ),
    ] = False,
    days: Annotated[
        int | None, typer.Option(help="Days of history to analyse (default 30).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulated home (--demo).")] = 42,
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
    time_zone: Annotated[
        str | None,
        typer.Option(
            "--time-zone",
            help="The home's time zone (IANA, e.g. Europe/Berlin); needed when the source "
            "does not say it.",
        ),
    ] = None,
    latitude: Annotated[
        float | None,
        typer.Option("--latitude", help="Where the home is, for sun habits (with --longitude)."),
    ] = None,
    longitude: Annotated[
        float | None,
        typer.Option("--longitude", help="Where the home is, for sun habits (with --latitude)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")
    ] = False,
) -> None:
    """Read a home's history, find its habits and store them as suggestions."""
    overrides: dict[str, Any] = {}
    if days is not None:
        overrides["analysis_days"] = days
    if db:
        overrides["database_url"] = db
    if time_zone:
        overrides["time_zone"] = time_zone
    if ha_url:
        overrides["ha_url"] = ha_url
    if ha_token:
        overrides["ha_token"] = ha_token
    if assume_manual:
        overrides["events_assume_manual"] = True
    if (latitude is None) != (longitude is None):
        fail("give --latitude and --longitude together")
    if latitude is not None:
        overrides["latitude"] = latitude
        overrides["longitude"] = longitude
    settings = settings_with(**overrides)
    spec = _source_spec(demo, ha_config, recorder, ha_url or None, events, seed, settings)
    setup_logging(quiet=as_json, job_speaks_for_itself=True)

    async def _analyse() -> tuple[RunRecord, list[SuggestionRecord]]:
        from homehabits.job import AnalysisRunner
        from homehabits.sources.factory import source_from_spec

        async with open_store(settings) as sessions:
            runner = AnalysisRunner(settings, sessions, lambda: source_from_spec(spec, settings))
            result = await runner.run("cli", progress=None if as_json else show_progress)
            return result.run, result.suggestions

    run, stored = run_async(_analyse())
    if as_json:
        document = {
            "run": run_json(run),
            "suggestions": [suggestion_json(s) for s in stored],
        }
        sys.stdout.write(json.dumps(document, default=str) + "\n")
        return
    show_run(run)
    show_suggestions(stored, title=f"{len(stored)} new suggestion{'' if len(stored) == 1 else 's'}")
    if run.summary.status.value == "failed":
        raise typer.Exit(1)


def _source_spec(
    demo: bool,
    ha_config: Path | None,
    recorder: str | None,
    ha_url: str | None,
    events: Path | None,
    seed: int,
    settings: Settings,
) -> str:
    chosen = [
        spec
        for given, spec in (
            (demo, f"demo:{seed}"),
            (ha_config, f"ha-config:{ha_config}"),
            (recorder, f"recorder:{recorder}"),
            (ha_url, "ha-api"),
            (events, f"events:{events}"),
        )
        if given
    ]
    if len(chosen) > 1:
        fail("choose one source: --demo, --ha-config, --recorder, --ha-url or --events")
    if chosen:
        return chosen[0]
    if not settings.source:
        # the demo home is never analysed unasked: its suggestions would be stored among the
        # owner's and could be deployed to a real Home Assistant
        fail(NO_SOURCE_MESSAGE)
    return settings.source


@app.command()
def runs(
    limit: Annotated[int, typer.Option(help="How many of the latest runs to show.")] = 10,
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The latest analysis runs: when, what they read and found, and how long each phase took."""
    settings = settings_with(**({"database_url": db} if db else {}))

    async def _runs() -> list[RunRecord]:
        from homehabits.store import repository

        async with open_store(settings) as sessions:
            return await repository.list_runs(sessions, limit=limit)

    found = run_async(_runs())
    if as_json:
        sys.stdout.write(json.dumps([run_json(run) for run in found], default=str) + "\n")
        return
    table = Table(title=f"{len(found)} latest runs")
    for column in ("id", "started", "trigger", "status", "events", "habits", "new", "seconds"):
        table.add_column(column)
    for run in found:
        summary = run.summary
        table.add_row(
            str(run.id),
            run.started_at.strftime("%Y-%m-%d %H:%M UTC"),
            run.trigger,
            summary.status.value,
            f"{summary.events_read:,}",
            str(summary.patterns_found),
            str(summary.suggestions_created),
            f"{sum(summary.phase_seconds.values()):.1f}",
        )
    console.print(table)
    for run in found:
        for error in run.summary.errors[:3]:
            err_console.print(f"[yellow]run {run.id}:[/yellow] {escape(error)}")
