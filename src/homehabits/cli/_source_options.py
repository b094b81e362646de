"""The flags that choose a home and its window, shared by `analyze` and `check`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Final

import typer

from homehabits.cli._common import fail
from homehabits.config import Settings

__all__ = [
    "NO_SOURCE_MESSAGE",
    "AssumeManualFlag",
    "DaysFlag",
    "DbFlag",
    "DemoFlag",
    "EventsFlag",
    "HaConfigFlag",
    "HaTokenFlag",
    "HaUrlFlag",
    "JsonFlag",
    "LatitudeFlag",
    "LongitudeFlag",
    "RandomizeFlag",
    "RecorderFlag",
    "SeedFlag",
    "TimeZoneFlag",
    "source_overrides",
    "source_spec",
]

#: What `analyze` and `check` say when no source is chosen.
NO_SOURCE_MESSAGE: Final = (
    "no source given; choose one:\n"
    "  --ha-config DIR     a Home Assistant config folder\n"
    "  --recorder URL      a recorder database (sqlite://, mysql://, postgresql://)\n"
    "  --ha-url URL        the live Home Assistant API (with --ha-token)\n"
    "  --events FILE       a CSV, JSON lines or Parquet file of state changes\n"
    "  --demo              the built-in simulated home\n"
    "or set HOMEHABITS_SOURCE (ha-config:DIR, recorder:URL, ha-api, events:FILE, demo)"
)

DemoFlag = Annotated[bool, typer.Option("--demo", help="The built-in simulated home.")]
HaConfigFlag = Annotated[
    Path | None, typer.Option("--ha-config", help="A Home Assistant configuration folder.")
]
RecorderFlag = Annotated[
    str | None,
    typer.Option("--recorder", help="A recorder database URL (sqlite, mysql, postgresql)."),
]
HaUrlFlag = Annotated[
    str | None, typer.Option("--ha-url", help="Home Assistant's URL, for the live API.")
]
HaTokenFlag = Annotated[
    str | None,
    typer.Option("--ha-token", help="A long-lived access token (or HOMEHABITS_HA_TOKEN)."),
]
EventsFlag = Annotated[
    Path | None, typer.Option("--events", help="An event file: CSV, JSON lines or Parquet.")
]
AssumeManualFlag = Annotated[
    bool,
    typer.Option(
        "--assume-manual",
        help="With --events: a file without an origin column holds changes made by hand.",
    ),
]
DaysFlag = Annotated[int | None, typer.Option(help="Days of history to look at (default 30).")]
SeedFlag = Annotated[int, typer.Option(help="Seed of the simulated home (--demo).")]
RandomizeFlag = Annotated[
    bool,
    typer.Option(help="With --demo: a random home, its habits and mess drawn from the seed."),
]
DbFlag = Annotated[str | None, typer.Option("--db", help="homehabits database URL.")]
TimeZoneFlag = Annotated[
    str | None,
    typer.Option(
        "--time-zone",
        help="The home's time zone (IANA, e.g. Europe/Berlin); needed when the source "
        "does not say it.",
    ),
]
LatitudeFlag = Annotated[
    float | None,
    typer.Option("--latitude", help="Where the home is, for sun habits (with --longitude)."),
]
LongitudeFlag = Annotated[
    float | None,
    typer.Option("--longitude", help="Where the home is, for sun habits (with --latitude)."),
]
JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")
]


def source_overrides(
    *,
    days: int | None,
    db: str | None,
    time_zone: str | None,
    ha_url: str | None,
    ha_token: str | None,
    latitude: float | None,
    longitude: float | None,
    assume_manual: bool = False,
) -> dict[str, Any]:
    """The settings these flags give, by setting name (for `settings_with`)."""
    overrides: dict[str, Any] = {}
    if days is not None:
        overrides["analysis_days"] = days
    for name, value in (
        ("database_url", db),
        ("time_zone", time_zone),
        ("ha_url", ha_url),
        ("ha_token", ha_token),
    ):
        if value:
            overrides[name] = value
    if assume_manual:
        overrides["events_assume_manual"] = True
    if (latitude is None) != (longitude is None):
        fail("give --latitude and --longitude together")
    if latitude is not None:
        overrides["latitude"] = latitude
        overrides["longitude"] = longitude
    return overrides


def source_spec(
    demo: bool,
    ha_config: Path | None,
    recorder: str | None,
    ha_url: str | None,
    events: Path | None,
    seed: int,
    settings: Settings,
    randomize: bool = False,
) -> str:
    """The source the flags choose, else the settings' own; exits when none or several."""
    chosen = [
        spec
        for given, spec in (
            (demo, f"demo:{seed}:random" if randomize else f"demo:{seed}"),
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
