"""The homehabits command line: thin commands over the same functions the API calls."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from homehabits.config import Settings, load_settings
from homehabits.exceptions import HomeHabitsError, SourceError
from homehabits.store.records import RunRecord, SuggestionRecord, SuggestionStatus

__all__ = ["app", "main"]

_T = TypeVar("_T")

app = typer.Typer(
    name="homehabits",
    help="Learn the habits of a Home Assistant home and propose them as automations.",
    no_args_is_help=True,
    add_completion=False,
)
suggestions_app = typer.Typer(help="Review the stored suggestions.", no_args_is_help=True)
app.add_typer(suggestions_app, name="suggestions")

_err = Console(stderr=True)
_out = Console()


def main() -> None:
    """Entry point of the `homehabits` script."""
    app()


# ---------------------------------------------------------------------------- analyze


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
        str | None, typer.Option("--time-zone", help="Override the home's time zone.")
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
    settings = _settings(**overrides)
    spec = _source_spec(demo, ha_config, recorder, ha_url or None, events, seed, settings)
    _setup_logging(quiet=as_json, job_speaks_for_itself=True)

    async def _analyse() -> tuple[RunRecord, list[SuggestionRecord]]:
        from homehabits.job import AnalysisRunner
        from homehabits.sources.factory import source_from_spec

        async with _store(settings) as sessions:
            runner = AnalysisRunner(settings, sessions, lambda: source_from_spec(spec, settings))
            result = await runner.run("cli", progress=None if as_json else _show_progress)
            return result.run, result.suggestions

    run, stored = _run_async(_analyse())
    if as_json:
        document = {
            "run": _run_json(run),
            "suggestions": [_suggestion_json(s) for s in stored],
        }
        sys.stdout.write(json.dumps(document, default=str) + "\n")
        return
    _show_run(run)
    _show_suggestions(stored, title=f"{len(stored)} new suggestions")
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
        _fail("choose one source: --demo, --ha-config, --recorder, --ha-url or --events")
    if chosen:
        return chosen[0]
    return settings.source


# ---------------------------------------------------------------------------- suggestions


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
    settings = _settings(**({"database_url": db} if db else {}))
    wanted = _status(status)

    async def _list() -> list[SuggestionRecord]:
        from homehabits.store import repository

        async with _store(settings) as sessions:
            return await repository.list_suggestions(
                sessions, status=wanted, kind=kind, area=area, limit=limit
            )

    found = _run_async(_list())
    if as_json:
        sys.stdout.write(json.dumps([_suggestion_json(s) for s in found], default=str) + "\n")
        return
    _show_suggestions(found, title=f"{len(found)} suggestions")


@suggestions_app.command("show")
def suggestions_show(
    suggestion_id: Annotated[int, typer.Argument(metavar="ID", help="The suggestion's id.")],
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one suggestion: its words, evidence and the automation as YAML."""
    settings = _settings(**({"database_url": db} if db else {}))

    async def _show() -> SuggestionRecord:
        from homehabits.store import repository

        async with _store(settings) as sessions:
            return await repository.get_suggestion(sessions, suggestion_id)

    found = _run_async(_show())
    if as_json:
        sys.stdout.write(json.dumps(_suggestion_json(found), default=str) + "\n")
        return
    _show_one(found)


def _review_command(
    help_text: str, call: Callable[[Any, Settings, int], Awaitable[SuggestionRecord]]
) -> Callable[..., None]:
    def command(
        suggestion_id: Annotated[int, typer.Argument(metavar="ID", help="The suggestion's id.")],
        db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
    ) -> None:
        settings = _settings(**({"database_url": db} if db else {}))

        async def _act() -> SuggestionRecord:
            async with _store(settings) as sessions:
                return await call(sessions, settings, suggestion_id)

        done = _run_async(_act())
        _out.print(f"Suggestion {done.id} is now [bold]{done.status.value}[/bold]: {done.title}")
        if done.deploy_message and done.status is SuggestionStatus.DEPLOY_FAILED:
            _err.print(f"[red]Home Assistant said:[/red] {done.deploy_message}")
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
    settings = _settings(**({"database_url": db} if db else {}))
    if not suggestion_ids and not all_pending:
        _fail("name the suggestions to approve, or use --all-pending")

    async def _approve() -> tuple[list[SuggestionRecord], list[tuple[int, str]]]:
        from homehabits import review
        from homehabits.store import repository

        async with _store(settings) as sessions:
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

    approved, skipped = _run_async(_approve())
    for record in approved:
        _out.print(f"Suggestion {record.id} is now [bold]approved[/bold]: {record.title}")
    for suggestion_id, why in skipped:
        _err.print(f"[yellow]Suggestion {suggestion_id} not approved:[/yellow] {why}")


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
    settings = _settings(**({"database_url": db} if db else {}))

    async def _reject() -> SuggestionRecord:
        from homehabits import review

        async with _store(settings) as sessions:
            return await review.reject(sessions, suggestion_id, reason)

    done = _run_async(_reject())
    _out.print(f"Suggestion {done.id} is now [bold]{done.status.value}[/bold]: {done.title}")


# ---------------------------------------------------------------------------- runs


@app.command()
def runs(
    limit: Annotated[int, typer.Option(help="How many of the latest runs to show.")] = 10,
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The latest analysis runs: when, what they read and found, and how long each phase took."""
    settings = _settings(**({"database_url": db} if db else {}))

    async def _runs() -> list[RunRecord]:
        from homehabits.store import repository

        async with _store(settings) as sessions:
            return await repository.list_runs(sessions, limit=limit)

    found = _run_async(_runs())
    if as_json:
        sys.stdout.write(json.dumps([_run_json(run) for run in found], default=str) + "\n")
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
    _out.print(table)
    for run in found:
        for error in run.summary.errors[:3]:
            _err.print(f"[yellow]run {run.id}:[/yellow] {error}")


# ---------------------------------------------------------------------------- export, simulate, serve


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
        _fail("only --approved export is supported")
    settings = _settings(**({"database_url": db} if db else {}))

    async def _export() -> int:
        from homehabits import review

        async with _store(settings) as sessions:
            return await review.export_approved(sessions, settings, out)

    count = _run_async(_export())
    _out.print(f"Wrote {count} automations to {out}")
    _out.print(
        f"Include it in configuration.yaml with:  automation homehabits: !include {out.name}"
    )


@app.command()
def simulate(
    out: Annotated[Path, typer.Option("--out", help="events.parquet or events.csv")],
    days: Annotated[int, typer.Option(help="Days to simulate.")] = 30,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same home.")] = 42,
    size: Annotated[float, typer.Option(help="Scale the noise, up to millions of events.")] = 1.0,
    noise: Annotated[str, typer.Option(help="low, default or high.")] = "default",
    randomize: Annotated[
        bool, typer.Option(help="Draw the planted habits' parameters at random.")
    ] = False,
) -> None:
    """Write the demo home's events and the habits planted in it (<name>.truth.json)."""
    from homehabits.sources.simulator import SimulationConfig, simulate_home, write_simulation

    try:
        home = simulate_home(
            SimulationConfig(days=days, seed=seed, size=size, noise=noise, randomize=randomize)
        )
        events_path, truth_path = write_simulation(home, out)
    except HomeHabitsError as err:
        _fail(str(err))
    _out.print(
        f"Wrote {home.frame.height:,} events to {events_path} and "
        f"{len(home.truth)} planted habits to {truth_path}"
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8018).")] = None,
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
) -> None:
    """Run the service: the API, the review page and the daily analysis."""
    overrides: dict[str, Any] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    if db:
        overrides["database_url"] = db
    settings = _settings(**overrides)
    _setup_logging(quiet=False)
    from homehabits.api.server import serve as serve_app

    serve_app(settings)


# ---------------------------------------------------------------------------- helpers


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except HomeHabitsError as err:
        _fail(str(err))


def _status(status: str | None) -> SuggestionStatus | None:
    if status is None:
        return None
    try:
        return SuggestionStatus(status)
    except ValueError:
        known = ", ".join(s.value for s in SuggestionStatus)
        _fail(f"unknown status {status!r}; use one of {known}")


class _store:  # noqa: N801 - used as `async with _store(settings)`
    """The homehabits database, migrated, for one command."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engine: Any = None

    async def __aenter__(self) -> Any:
        from homehabits.store.engine import make_engine, make_sessionmaker
        from homehabits.store.migrations import migrate

        self._engine = make_engine(self._settings.database_url)
        await migrate(self._engine)
        return make_sessionmaker(self._engine)

    async def __aexit__(self, *exc: object) -> None:
        if self._engine is not None:
            await self._engine.dispose()


def _run_async(work: Coroutine[Any, Any, _T]) -> _T:
    try:
        return asyncio.run(work)
    except SourceError as err:
        _fail(f"could not read the home: {err}")
    except HomeHabitsError as err:
        _fail(str(err))


def _fail(message: str) -> NoReturn:
    _err.print(f"[bold red]Error:[/bold red] {message}")
    raise typer.Exit(2)


def _setup_logging(*, quiet: bool, job_speaks_for_itself: bool = False) -> None:
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if job_speaks_for_itself:
        # `analyze` shows the progress and says what went wrong; the job's log would repeat it
        logging.getLogger("homehabits.job").setLevel(logging.CRITICAL)
    for noisy in ("httpx", "httpcore", "alembic", "aiosqlite", "openai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _show_progress(phase: str, message: str) -> None:
    _err.print(f"[cyan]{phase:>8}[/cyan]  {message}")


def _show_run(run: RunRecord) -> None:
    summary = run.summary
    phases = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in summary.phase_seconds.items())
    _err.print(
        f"Run {run.id} [bold]{summary.status.value}[/bold]: {summary.events_read:,} events read, "
        f"{summary.events_rejected:,} skipped, {summary.patterns_found} habits, "
        f"{summary.suggestions_created} new suggestions, {summary.suggestions_refreshed} "
        f"waiting for review brought up to date ({phases})"
    )
    if summary.model_calls:
        _err.print(
            f"Model: {summary.model_calls} calls, {summary.tokens_in + summary.tokens_out:,} tokens, "
            f"cost {summary.cost:.4f}"
        )
    for error in summary.errors[:10]:
        _err.print(f"[yellow]note:[/yellow] {error}")


def _show_suggestions(found: list[SuggestionRecord], *, title: str) -> None:
    table = Table(title=title)
    for column in ("id", "status", "kind", "confidence", "title", "area"):
        table.add_column(column)
    for s in found:
        warning = " ⚠" if s.sensitive else ""
        table.add_row(
            str(s.id),
            s.status.value,
            s.kind,
            f"{s.confidence:.2f}",
            s.title + warning,
            s.area_name or "",
        )
    _out.print(table)


def _show_one(s: SuggestionRecord) -> None:
    _out.print(
        f"[bold]{s.title}[/bold]  ({s.status.value}, {s.kind}, confidence {s.confidence:.2f})"
    )
    _out.print(s.description)
    _out.print(f"[italic]{s.rationale}[/italic]")
    if s.sensitive:
        _out.print(f"[yellow]Sensitive:[/yellow] {s.sensitive_reason}")
    if s.diff:
        _out.print(s.diff)
    _out.print(s.yaml, markup=False, highlight=False)


def _run_json(run: RunRecord) -> dict[str, Any]:
    summary = run.summary
    return {
        "id": run.id,
        "trigger": run.trigger,
        "source": run.source,
        "status": summary.status.value,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "window_start": run.window_start.isoformat(),
        "window_end": run.window_end.isoformat(),
        "time_zone": summary.time_zone,
        "ha_version": summary.ha_version,
        "events_read": summary.events_read,
        "events_rejected": summary.events_rejected,
        "patterns_found": summary.patterns_found,
        "suggestions_created": summary.suggestions_created,
        "suggestions_dropped": summary.suggestions_dropped,
        "suggestions_refreshed": summary.suggestions_refreshed,
        "phase_seconds": summary.phase_seconds,
        "model_calls": summary.model_calls,
        "cache_hits": summary.cache_hits,
        "tokens_in": summary.tokens_in,
        "tokens_out": summary.tokens_out,
        "cost": summary.cost,
        "errors": summary.errors,
    }


def _suggestion_json(s: SuggestionRecord) -> dict[str, Any]:
    return {
        "id": s.id,
        "run_id": s.run_id,
        "title": s.title,
        "description": s.description,
        "rationale": s.rationale,
        "category": s.category,
        "confidence": s.confidence,
        "score": s.score,
        "status": s.status.value,
        "sensitive": s.sensitive,
        "sensitive_reason": s.sensitive_reason,
        "area": s.area_name,
        "author": s.author,
        "pattern": s.pattern,
        "automation": s.automation,
        "yaml": s.yaml,
        "dialect": s.dialect,
        "diff": s.diff,
        "ha_automation_id": s.ha_automation_id,
    }
