"""`homehabits analyze` and `homehabits runs`: run the daily analysis, and look back at runs."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from homehabits.cli._common import (
    app,
    console,
    err_console,
    open_store,
    run_async,
    settings_with,
    setup_logging,
)
from homehabits.cli._display import (
    calibration_lines,
    run_json,
    show_progress,
    show_run,
    show_suggestions,
    suggestion_json,
)
from homehabits.cli._source_options import (
    AssumeManualFlag,
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
from homehabits.store.records import RunRecord, SuggestionRecord

__all__ = ["analyze", "runs"]


@app.command()
def analyze(
    demo: DemoFlag = False,
    ha_config: HaConfigFlag = None,
    recorder: RecorderFlag = None,
    ha_url: HaUrlFlag = None,
    ha_token: HaTokenFlag = None,
    events: EventsFlag = None,
    assume_manual: AssumeManualFlag = False,
    days: DaysFlag = None,
    seed: SeedFlag = 42,
    randomize: RandomizeFlag = False,
    db: DbFlag = None,
    time_zone: TimeZoneFlag = None,
    latitude: LatitudeFlag = None,
    longitude: LongitudeFlag = None,
    as_json: JsonFlag = False,
) -> None:
    """Read a home's history, find its habits and store them as suggestions."""
    overrides = source_overrides(
        days=days,
        db=db,
        time_zone=time_zone,
        ha_url=ha_url,
        ha_token=ha_token,
        latitude=latitude,
        longitude=longitude,
        assume_manual=assume_manual,
    )
    settings = settings_with(**overrides)
    spec = source_spec(demo, ha_config, recorder, ha_url or None, events, seed, settings, randomize)
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
        for line in calibration_lines(run):
            err_console.print(f"[cyan]run {run.id} learned:[/cyan] {escape(line)}")
        for error in run.summary.errors[:3]:
            err_console.print(f"[yellow]run {run.id}:[/yellow] {escape(error)}")
