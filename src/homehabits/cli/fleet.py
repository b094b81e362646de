"""`homehabits fleet analyze`: many homes' analyses on a Dask cluster, into one database."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from homehabits.cli._common import app, console, err_console, fail, settings_with, setup_logging
from homehabits.cli._source_options import DaysFlag, DbFlag, JsonFlag, TimeZoneFlag
from homehabits.exceptions import HomeHabitsError

__all__ = ["analyze", "fleet_app"]

fleet_app = typer.Typer(
    help="Analyse many homes on a Dask cluster, the results in one database.",
    no_args_is_help=True,
)
app.add_typer(fleet_app, name="fleet")

#: Rows of homes that did not fail shown in the summary table (failed ones are all shown).
_SHOWN = 30


@fleet_app.command()
def analyze(
    homes: Annotated[
        str,
        typer.Option(
            "--homes",
            help="A folder (or fsspec URL) of home_id=H/events.parquet + home.json, or a "
            "text file of lines [HOME_ID] recorder:URL / ha-api:URL TOKEN_FILE / events:FILE.",
        ),
    ],
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="An existing Dask scheduler, e.g. tcp://10.0.0.5:8786."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Workers of the local cluster (default: one per core)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Analyse homes already done for the same night again.")
    ] = False,
    model_calls: Annotated[
        int,
        typer.Option(
            "--model-calls",
            help="Homes writing with a language model at once, fleet-wide (when one is set).",
        ),
    ] = 4,
    days: DaysFlag = None,
    db: DbFlag = None,
    time_zone: TimeZoneFlag = None,
    as_json: JsonFlag = False,
) -> None:
    """Analyse every home of SPEC, one Dask task each; a failed home stops no other."""
    from homehabits.fleet.homes import list_homes
    from homehabits.fleet.run import open_cluster

    overrides: dict[str, Any] = {}
    if days is not None:
        overrides["analysis_days"] = days
    if db:
        overrides["database_url"] = db
    if time_zone:
        overrides["time_zone"] = time_zone
    settings = settings_with(**overrides)
    setup_logging(quiet=True)
    try:
        listed = list_homes(homes)
        with open_cluster(scheduler, workers) as client:
            if not as_json:
                where = scheduler or f"a local cluster of {len(client.nthreads())} workers"
                link = getattr(client, "dashboard_link", None) if client.cluster else None
                err_console.print(
                    f"{len(listed):,} homes on {where}"
                    + (f" (dashboard {link})" if link and client.cluster.dashboard_link else "")
                )
            report = _run(client, listed, settings, force, model_calls, quiet=as_json)
    except HomeHabitsError as err:
        fail(str(err))
    if as_json:
        sys.stdout.write(json.dumps(_report_json(report), default=str) + "\n")
    else:
        _show(report)
    if report.count("failed"):
        raise typer.Exit(1)


def _run(
    client: Any, listed: Any, settings: Any, force: bool, model_calls: int, *, quiet: bool
) -> Any:
    from homehabits.fleet.run import run_fleet

    if quiet:
        return run_fleet(client, listed, settings, force=force, model_calls=model_calls)
    with err_console.status("starting…") as status:

        def _tell(outcome: Any, progress: Any) -> None:
            if outcome.status == "failed":
                err_console.print(
                    f"[red]{escape(outcome.home_id)} failed:[/red] {escape(outcome.error or '')}"
                )
            status.update(
                f"{progress.done + progress.failed + progress.skipped:,}/{progress.total:,} homes"
                f" · done {progress.done:,} · failed {progress.failed:,} · skipped "
                f"{progress.skipped:,} · running {progress.running:,} · "
                f"{progress.events_per_second:,.0f} events/s"
            )

        return run_fleet(
            client, listed, settings, force=force, model_calls=model_calls, on_outcome=_tell
        )


def _show(report: Any) -> None:
    table = Table(title=f"{len(report.outcomes):,} homes in {report.seconds:.1f} s")
    for column in ("home", "status", "run", "events", "habits", "new", "seconds", "why"):
        table.add_column(column)
    failed = [o for o in report.outcomes if o.status == "failed"]
    others = [o for o in report.outcomes if o.status != "failed"]
    for outcome in [*failed, *others[:_SHOWN]]:
        table.add_row(
            outcome.home_id,
            outcome.status,
            str(outcome.run_id or ""),
            f"{outcome.events:,}",
            str(outcome.habits),
            str(outcome.suggestions),
            f"{outcome.seconds:.1f}",
            escape((outcome.error or "")[:120]),
        )
    if len(others) > _SHOWN:
        table.add_row(f"… {len(others) - _SHOWN:,} more", "", "", "", "", "", "", "")
    console.print(table)
    seconds = report.seconds or 1e-9
    analysed = len(report.outcomes) - report.count("skipped") - report.count("failed")
    console.print(
        f"done {analysed:,} · failed {report.count('failed'):,} · skipped "
        f"{report.count('skipped'):,} · {analysed / seconds:.2f} homes/s · "
        f"{report.events / seconds:,.0f} events/s on {report.workers} workers"
    )


def _report_json(report: Any) -> dict[str, Any]:
    return {
        "homes": [asdict(outcome) for outcome in report.outcomes],
        "summary": {
            "homes": len(report.outcomes),
            "succeeded": report.count("succeeded"),
            "partial": report.count("partial"),
            "failed": report.count("failed"),
            "skipped": report.count("skipped"),
            "events": report.events,
            "seconds": report.seconds,
            "workers": report.workers,
        },
    }
