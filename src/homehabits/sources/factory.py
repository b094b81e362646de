"""The source named by a spec such as `ha-config:/config` or `recorder:postgresql://…`."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Final

from homehabits.context import Location
from homehabits.exceptions import ConfigError

if TYPE_CHECKING:  # the settings check specs with parse_source_spec, so no import cycle here
    from homehabits.config import Settings
    from homehabits.sources.base import Source

__all__ = ["SOURCE_KINDS", "location_from_settings", "parse_source_spec", "source_from_spec"]

#: Every kind of source, as written in a spec, with what follows the colon.
SOURCE_KINDS: Final = {
    "demo": "demo, demo:SEED or demo:SEED:random — the simulated home (random: habits drawn from the seed)",
    "ha-config": "ha-config:DIR — a Home Assistant config folder",
    "recorder": "recorder:URL — a recorder database (sqlite://, mysql://, postgresql://)",
    "ha-api": "ha-api — the live Home Assistant API (HOMEHABITS_HA_URL, HOMEHABITS_HA_TOKEN)",
    "events": "events:FILE — a CSV, JSON lines or Parquet file of state changes",
}


#: What a recorder URL may start with (the drivers homehabits reads with).
_RECORDER_BACKENDS: Final = frozenset({"sqlite", "mysql", "mariadb", "postgresql", "postgres"})


def parse_source_spec(spec: str) -> tuple[str, str]:
    """The kind and argument of a spec, checked without opening anything (a ConfigError if bad)."""
    kind, _, argument = spec.strip().partition(":")
    kind, argument = kind.strip().lower(), argument.strip()
    if kind not in SOURCE_KINDS:
        raise ConfigError(_unknown_kind(spec, kind))
    if kind == "demo" and argument:
        _demo_seed(argument)
    elif kind == "ha-api" and argument:
        raise ConfigError(f"source {spec!r}: ha-api takes no value ({SOURCE_KINDS[kind]})")
    elif kind in {"ha-config", "recorder", "events"} and not argument:
        raise ConfigError(f"source {spec!r} needs a value: {SOURCE_KINDS[kind]}")
    elif kind == "recorder":
        backend = argument.partition("://")[0].split("+", 1)[0].lower()
        if "://" not in argument or backend not in _RECORDER_BACKENDS:
            shown = f"{backend}://…" if "://" in argument else argument  # no password shown
            raise ConfigError(
                f"source recorder:{shown}: the recorder needs a database URL "
                "that starts with sqlite://, mysql://, mariadb:// or postgresql://"
            )
    return kind, argument


def source_from_spec(spec: str | None, settings: Settings) -> Source:
    """The source a spec names; none, an unknown kind or a missing part is a ConfigError."""
    if spec is None or not spec.strip():
        # never a default home: analysing the demo home by mistake stores its suggestions
        # among the owner's, and they deploy to the real Home Assistant
        kinds = "; ".join(SOURCE_KINDS.values())
        raise ConfigError(f"no source given (HOMEHABITS_SOURCE); use one of: {kinds}")
    kind, argument = parse_source_spec(spec)
    location = location_from_settings(settings)
    service_users = tuple(settings.service_users)
    if kind == "demo":
        return _demo(argument, settings.analysis_days)
    if kind == "ha-api":
        return _live_api(settings)
    if not argument:
        if kind in SOURCE_KINDS:
            raise ConfigError(f"source {spec!r} needs a value: {SOURCE_KINDS[kind]}")
        raise ConfigError(_unknown_kind(spec))
    if kind == "ha-config":
        from homehabits.sources.ha_config import HaConfigSource

        return HaConfigSource(
            Path(argument),
            service_users=service_users,
            time_zone_override=settings.time_zone,
            location_override=location,
        )
    if kind == "recorder":
        from homehabits.sources.recorder import RecorderSource

        return RecorderSource(
            argument,
            service_users=service_users,
            time_zone=settings.time_zone,
            location=location,
        )
    if kind == "events":
        from homehabits.sources.event_file import EventFileSource

        return EventFileSource(
            Path(argument),
            time_zone=settings.time_zone,
            location=location,
            assume_manual=settings.events_assume_manual,
        )
    raise ConfigError(_unknown_kind(spec))


def location_from_settings(settings: Settings) -> Location | None:
    """Where the settings put the home; latitude and longitude go together."""
    latitude, longitude = settings.latitude, settings.longitude
    if latitude is None and longitude is None:
        return None
    if latitude is None or longitude is None:
        raise ConfigError(
            "give the home's latitude and longitude together (--latitude and --longitude, "
            "or HOMEHABITS_LATITUDE and HOMEHABITS_LONGITUDE)"
        )
    return Location(latitude=latitude, longitude=longitude)


def _demo_seed(argument: str) -> tuple[int, bool]:
    """The seed of `demo:SEED[:random]`, and whether its habits are drawn at random."""
    seed, _, flag = argument.partition(":")
    if flag.strip().lower() not in ("", "random"):
        raise ConfigError(f"demo:{argument}: after the seed only ':random' may follow")
    try:
        return int(seed), bool(flag)
    except ValueError as err:
        raise ConfigError(f"demo:{argument}: the seed must be a whole number") from err


def _demo(argument: str, days: int) -> Source:
    # The simulated home is its own module; imported here so the other sources never load it.
    from homehabits.sources.simulator import DemoSource, SimulationConfig

    if not argument:
        return DemoSource(SimulationConfig(days=days))
    seed, randomize = _demo_seed(argument)
    return DemoSource(SimulationConfig(seed=seed, days=days, randomize=randomize))


def _live_api(settings: Settings) -> Source:
    if not settings.ha_url or not settings.ha_token:
        raise ConfigError(
            "source ha-api needs HOMEHABITS_HA_URL and HOMEHABITS_HA_TOKEN "
            "(a long-lived access token from your Home Assistant profile)"
        )
    from homehabits.sources.ha_api import HomeAssistantApiSource

    return HomeAssistantApiSource(
        settings.ha_url,
        settings.ha_token,
        service_users=tuple(settings.service_users),
        timeout=settings.ha_timeout_seconds,
    )


def _unknown_kind(spec: str, kind: str = "") -> str:
    kinds = "; ".join(SOURCE_KINDS.values())
    close = difflib.get_close_matches(kind, SOURCE_KINDS, n=1, cutoff=0.6) if kind else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown source {spec!r}{hint}; use one of: {kinds}"
