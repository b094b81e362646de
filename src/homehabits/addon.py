"""homehabits as a Home Assistant add-on, or in its container beside Home Assistant Container.

Inside the add-on nothing needs configuring: the home is read from the mapped config folder,
Home Assistant is reached through the Supervisor's proxy with the add-on's own token, the
database lives in /data, the owner's choices come from /data/options.json, and the page is
served behind ingress. Outside the Supervisor the same image reads HOMEHABITS_* as usual, with
the container's folders as defaults.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from homehabits.config import ENV_PREFIX, RetentionSettings, Settings, load_settings
from homehabits.exceptions import ConfigError

__all__ = [
    "ADDON_PORT",
    "SUPERVISOR_URL",
    "AddonPlaces",
    "addon_settings",
    "container_settings",
    "find_config_folder",
    "options_to_settings",
    "settings_here",
]

#: The port the add-on serves on, inside the hassio network (config.yaml's ingress_port).
ADDON_PORT = 8018
#: Home Assistant's API as the Supervisor proxies it for an add-on with homeassistant_api.
SUPERVISOR_URL = "http://supervisor/core"

# what the add-on decides itself: the owner never has to (and may not) choose these
_ADDON_OWNED = frozenset(
    {
        "database_url",
        "source",
        "ha_url",
        "ha_token",
        "host",
        "port",
        "api_token",
        "ingress",
        "ingress_proxy",
    }
)
# options of one field of a nested setting: the add-on's form lists flat options only
_NESTED_OPTIONS: dict[str, tuple[str, str, type[BaseModel]]] = {
    "retention_keep_days": ("retention", "keep_days", RetentionSettings),
    "retention_keep_runs": ("retention", "keep_runs", RetentionSettings),
}
# the mount points of Home Assistant's config folder: homeassistant_config (Supervisor 2023.11
# and later) mounts at /homeassistant; the older `config` map and the container image at /config
_CONFIG_FOLDERS = (Path("/homeassistant"), Path("/config"))


@dataclass(frozen=True, slots=True)
class AddonPlaces:
    """Where the add-on finds things; the defaults are the Supervisor's, tests move them."""

    options_file: Path = Path("/data/options.json")
    data_folder: Path = Path("/data")
    config_folder: Path | None = None  # None: the first of /homeassistant, /config that exists
    supervisor_url: str = SUPERVISOR_URL


def find_config_folder(candidates: tuple[Path, ...] = _CONFIG_FOLDERS) -> Path:
    """Home Assistant's config folder as mapped into the container."""
    for folder in candidates:
        if (folder / ".storage").is_dir() or (folder / "configuration.yaml").is_file():
            return folder
    raise ConfigError(
        "Home Assistant's config folder is not mapped: looked in "
        + ", ".join(str(folder) for folder in candidates)
        + " (the add-on maps it read-only; in a container, mount it with -v …:/config:ro)"
    )


def options_to_settings(
    options: Mapping[str, Any],
    *,
    config_folder: Path,
    data_folder: Path,
    supervisor_token: str,
    supervisor_url: str = SUPERVISOR_URL,
) -> Settings:
    """The settings of the add-on: the owner's options, and what the add-on decides itself.

    Each option is the setting of the same name (`analysis_days` is HOMEHABITS_ANALYSIS_DAYS)
    and is checked as strictly; an option that is no setting is refused, naming it. A few
    options are one field of a nested setting (`retention_keep_days` is
    HOMEHABITS_RETENTION__KEEP_DAYS), each checked on its own so a bad value names its option.
    """
    problems = [_why_not_an_option(key) for key in options]
    refused = [problem for problem in problems if problem]
    if refused:
        raise ConfigError("bad add-on option: " + "; ".join(refused))
    # Home Assistant keeps an optional option the owner cleared as null or ""
    chosen = {key: value for key, value in options.items() if value is not None and value != ""}
    chosen = _nest(chosen)
    return load_settings(
        flags={key: f"add-on option {key!r}" for key in chosen},
        _env_file=None,
        **chosen,
        source=f"ha-config:{config_folder}",
        database_url=f"sqlite+aiosqlite:///{data_folder / 'homehabits.db'}",
        ha_url=supervisor_url,
        ha_token=supervisor_token,
        host="0.0.0.0",  # the hassio network; ingress lets only the proxy in
        port=ADDON_PORT,
        ingress=True,
    )


def _nest(chosen: dict[str, Any]) -> dict[str, Any]:
    """The flat options of nested settings gathered into them, each value checked alone."""
    flat = {key: value for key, value in chosen.items() if key not in _NESTED_OPTIONS}
    problems: list[str] = []
    for option, (setting, name, model) in _NESTED_OPTIONS.items():
        if option not in chosen:
            continue
        value = chosen[option]
        try:
            model.model_validate({name: value})
        except ValidationError as err:
            reason = "; ".join(str(error["msg"]) for error in err.errors(include_url=False))
            problems.append(f"add-on option {option!r} {value!r}: {reason}")
            continue
        given = flat.get(setting)
        nested = dict(given) if isinstance(given, Mapping) else {}
        flat[setting] = {**nested, name: value}
    if problems:
        raise ConfigError("bad setting: " + "; ".join(problems))
    return flat


def _why_not_an_option(key: str) -> str:
    if key in _ADDON_OWNED:
        return f"{key!r} is chosen by the add-on itself; remove it from the options"
    if key in Settings.model_fields or key in _NESTED_OPTIONS:
        return ""
    known = sorted((set(Settings.model_fields) | set(_NESTED_OPTIONS)) - _ADDON_OWNED)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{key!r} is not an option of this homehabits version{hint}"


def addon_settings(places: AddonPlaces, environ: Mapping[str, str]) -> Settings:
    """The settings inside the add-on: /data/options.json and the Supervisor's token."""
    token = environ.get("SUPERVISOR_TOKEN", "").strip()
    if not token:
        raise ConfigError("SUPERVISOR_TOKEN is not set: the add-on must run under the Supervisor")
    try:
        options = json.loads(places.options_file.read_text(encoding="utf-8") or "{}")
    except FileNotFoundError:
        options = {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(f"{places.options_file}: cannot read the add-on options ({err})") from err
    if not isinstance(options, dict):
        raise ConfigError(f"{places.options_file}: the add-on options are not a JSON object")
    return options_to_settings(
        options,
        config_folder=places.config_folder or find_config_folder(),
        data_folder=places.data_folder,
        supervisor_token=token,
        supervisor_url=places.supervisor_url,
    )


def container_settings(places: AddonPlaces, environ: Mapping[str, str]) -> Settings:
    """The settings of the image run on its own: HOMEHABITS_*, with the container's defaults.

    The home is the config folder mounted at /config, the database is in /data, and the
    service listens on every address of the container (so HOMEHABITS_API_TOKEN is needed).
    """
    defaults: dict[str, Any] = {}
    if f"{ENV_PREFIX}SOURCE" not in environ:
        defaults["source"] = f"ha-config:{places.config_folder or find_config_folder()}"
    if f"{ENV_PREFIX}DATABASE_URL" not in environ:
        defaults["database_url"] = f"sqlite+aiosqlite:///{places.data_folder / 'homehabits.db'}"
    if f"{ENV_PREFIX}HOST" not in environ:
        defaults["host"] = "0.0.0.0"  # reached through the container port
    return load_settings(**defaults)


def settings_here(
    places: AddonPlaces | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """The add-on's settings under the Supervisor, else the standalone container's."""
    places = places or AddonPlaces()
    environ = os.environ if environ is None else environ
    if environ.get("SUPERVISOR_TOKEN"):
        return addon_settings(places, environ)
    return container_settings(places, environ)
