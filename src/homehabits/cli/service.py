"""`homehabits simulate` and `homehabits serve`: the demo home's data, and the service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from homehabits.cli._common import app, console, fail, settings_with, setup_logging
from homehabits.exceptions import HomeHabitsError

__all__ = ["serve", "simulate"]


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
        fail(str(err))
    console.print(
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
    settings = settings_with(**overrides)
    if not settings.source:
        # no default home: the daily run would otherwise analyse nothing (or the demo home)
        fail(
            "serve needs a home to analyse: set HOMEHABITS_SOURCE to ha-config:DIR, "
            "recorder:URL, ha-api (with HOMEHABITS_HA_URL and HOMEHABITS_HA_TOKEN), "
            "events:FILE or demo"
        )
    setup_logging(quiet=False)
    from homehabits.api.server import serve as serve_app

    serve_app(settings)
