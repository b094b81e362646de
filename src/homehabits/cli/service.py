"""`homehabits simulate` and `homehabits serve`: the demo home's data, and the service."""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Annotated, Any

import typer

from homehabits.cli._common import app, console, fail, settings_with, setup_logging
from homehabits.exceptions import HomeHabitsError

__all__ = ["serve", "simulate"]


@app.command()
def simulate(
    out: Annotated[
        Path, typer.Option("--out", help="events.parquet or events.csv; with --homes a folder")
    ],
    days: Annotated[int, typer.Option(help="Days to simulate.")] = 30,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same home.")] = 42,
    size: Annotated[float, typer.Option(help="Scale the noise, up to millions of events.")] = 1.0,
    noise: Annotated[str, typer.Option(help="low, default or high.")] = "default",
    randomize: Annotated[
        bool, typer.Option(help="Draw the planted habits' parameters at random.")
    ] = False,
    homes: Annotated[
        int | None,
        typer.Option(
            "--homes",
            help="Write N random homes (seeds SEED…SEED+N-1) into the folder --out, one "
            "home_id=H/ sub-folder each with events.parquet and home.json (homehabits fleet).",
        ),
    ] = None,
) -> None:
    """Write the demo home's events and the habits planted in it (<name>.truth.json).

    With --homes N: N random homes in the folder layout `homehabits fleet analyze` reads.
    """
    from homehabits.sources.simulator import SimulationConfig, simulate_home, write_simulation

    if homes is not None:
        _simulate_fleet(out, homes, days=days, seed=seed, size=size, noise=noise)
        return

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


def _simulate_fleet(
    out: Path, homes: int, *, days: int, seed: int, size: float, noise: str
) -> None:
    """N random homes in the fleet layout; the options that do not fit are refused."""
    from homehabits.fleet.simulate import write_fleet_home

    if homes < 1:
        fail(f"--homes must be at least 1, not {homes}")
    if out.suffix.lower() in (".parquet", ".csv") or out.is_file():
        fail(f"--out {out}: with --homes, --out is a folder (one home_id=H/ sub-folder a home)")
    events = 0
    try:
        for index in range(homes):
            written = write_fleet_home(out, index, seed=seed, days=days, size=size, noise=noise)
            events += written.events
    except HomeHabitsError as err:
        fail(str(err))
    console.print(f"Wrote {homes:,} homes ({events:,} events) to {out}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8018).")] = None,
    db: Annotated[str | None, typer.Option("--db", help="homehabits database URL.")] = None,
) -> None:
    """Run the service: the API, the review page and the daily analysis."""
    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
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
    # before the URL is printed or the schedule starts: a second `serve` must only say why not
    taken = _why_port_cannot_be_bound(settings.host, settings.port)
    if taken is not None:
        fail(taken)
    setup_logging(quiet=False)
    from homehabits.api.server import serve as serve_app

    try:
        serve_app(settings)
    except HomeHabitsError as err:
        fail(str(err))


def _why_port_cannot_be_bound(host: str, port: int) -> str | None:
    """Why the service could not listen on host:port (taken, not ours to use), or None."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        return f"cannot serve on {host}:{port}: the address is unknown ({err.strerror})"
    family, kind, protocol, _, address = addresses[0]
    with socket.socket(family, kind, protocol) as probe:
        # as uvicorn binds: a port left in TIME_WAIT by an earlier run is free to use
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (another homehabits serve?); "
                    "stop it or choose another with --port or HOMEHABITS_PORT"
                )
            return f"cannot serve on {host}:{port}: {err.strerror or err}"
    return None
