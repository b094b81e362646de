"""The homes of a fleet, as `--homes SPEC` lists them: a folder of homes, or a list of sources.

A folder (a local path or an fsspec URL such as s3://bucket/homes) holds one sub-folder
per home, partitioned by home id, as `homehabits simulate --homes N` writes them:

    DIR/home_id=H/events.parquet   the home's state changes (the EventFrame's columns)
    DIR/home_id=H/home.json        names, areas, device classes, persons, place, time zone

A text file lists one home a line, optionally after its home id (blank lines and lines
starting with # are skipped):

    flat-12 recorder:postgresql://ha@db.example/flat12
    recorder:sqlite:////srv/homes/anna/home-assistant_v2.db
    house-3 ha-api:http://10.0.0.3:8123 tokens/house-3.token
    events:/srv/exports/ben.parquet

Without an id, a home is named after its source (the database or file name, the host).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final
from urllib.parse import urlsplit

from homehabits.exceptions import ConfigError
from homehabits.sources.factory import parse_source_spec

__all__ = ["EVENTS_NAME", "HOME_ID_PREFIX", "HomeSpec", "list_homes"]

#: The sub-folder of a home in a fleet folder is HOME_ID_PREFIX + its id.
HOME_ID_PREFIX: Final = "home_id="
#: The events file in each home's sub-folder.
EVENTS_NAME: Final = "events.parquet"
_KINDS: Final = ("recorder", "ha-api", "events")
_HOME_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,254}$")
_FLAG: Final = "--homes"


@dataclass(frozen=True, slots=True)
class HomeSpec:
    """One home of the fleet: its id, what kind of source it is, and where (no secrets)."""

    home_id: str
    kind: str  # "events" | "recorder" | "ha-api"
    location: str  # the events file (path or URL), the recorder URL, the Home Assistant URL
    token_file: str | None = None  # ha-api: the file holding its long-lived access token
    where: str = ""  # where the spec named it ("homes.txt line 3"), for messages


def list_homes(spec: str) -> list[HomeSpec]:
    """The homes `spec` names, sorted by home id; a bad spec is a ConfigError naming --homes."""
    spec = spec.strip()
    if not spec:
        raise ConfigError(f"{_FLAG} is empty: give a folder of homes or a text file of sources")
    local = Path(spec).expanduser()
    if "://" not in spec or spec.startswith("file://"):
        if spec.startswith("file://"):
            local = Path(urlsplit(spec).path)
        if local.is_dir():
            return _folder_homes(str(local))
        if local.is_file():
            return _listed_homes(local)
        raise ConfigError(f"{_FLAG} {spec}: no such folder or file")
    return _folder_homes(spec)


def _folder_homes(root: str) -> list[HomeSpec]:
    """The homes in a folder partitioned by home id (local or any fsspec file system)."""
    import fsspec  # dask's own dependency; imported here so a list of sources never needs it

    try:
        fs, path = fsspec.core.url_to_fs(root)
        found = sorted(fs.glob(f"{path.rstrip('/')}/{HOME_ID_PREFIX}*/{EVENTS_NAME}"))
    except (ImportError, ValueError, OSError) as err:
        raise ConfigError(f"{_FLAG} {root}: the folder cannot be listed ({err})") from err
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    homes = []
    for events in found:
        folder = PurePosixPath(events).parent.name
        home_id = folder.removeprefix(HOME_ID_PREFIX)
        location = events if protocol in ("file", "local") else fs.unstrip_protocol(events)
        homes.append(_home(home_id, "events", location, None, f"{root}/{folder}"))
    if not homes:
        raise ConfigError(
            f"{_FLAG} {root}: no homes in this folder; each home is a sub-folder "
            f"{HOME_ID_PREFIX}ID with {EVENTS_NAME} (homehabits simulate --homes N --out DIR "
            "writes one)"
        )
    return homes


def _listed_homes(path: Path) -> list[HomeSpec]:
    """The homes of a text file, one a line."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{_FLAG} {path}: cannot be read as UTF-8 text ({err})") from err
    homes: list[HomeSpec] = []
    seen: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path.name} line {number}"
        home = _listed_home(line, where, path.parent)
        if home.home_id in seen:
            raise ConfigError(
                f"{_FLAG} {where}: home id {home.home_id!r} is already {seen[home.home_id]}'s; "
                "write a distinct id before the source"
            )
        seen[home.home_id] = where
        homes.append(home)
    if not homes:
        raise ConfigError(f"{_FLAG} {path}: lists no home (one source a line, e.g. recorder:URL)")
    return sorted(homes, key=lambda home: home.home_id)


def _listed_home(line: str, where: str, folder: Path) -> HomeSpec:
    words = line.split()
    home_id: str | None = None
    if not _names_a_kind(words[0]):
        home_id, words = words[0], words[1:]
        if not words:
            raise ConfigError(f"{_FLAG} {where}: {home_id!r} is followed by no source")
    kind, _, argument = words[0].partition(":")
    kind = kind.lower()
    if not _names_a_kind(words[0]):
        raise ConfigError(
            f"{_FLAG} {where}: {words[0]!r} is no source; a line is [HOME_ID] recorder:URL, "
            "[HOME_ID] ha-api:URL TOKEN_FILE or [HOME_ID] events:FILE"
        )
    extra = words[2:] if kind == "ha-api" else words[1:]
    if extra:
        raise ConfigError(f"{_FLAG} {where}: unexpected {' '.join(extra)!r} after the source")
    token_file = None
    if kind == "ha-api":
        parts = urlsplit(argument)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"{_FLAG} {where}: ha-api needs the Home Assistant URL, e.g. "
                "ha-api:http://homeassistant.local:8123 TOKEN_FILE"
            )
        if len(words) < 2:
            raise ConfigError(
                f"{_FLAG} {where}: ha-api:{argument} needs the file of its access token after it"
            )
        token_file = str((folder / words[1]).expanduser())
        location = argument.rstrip("/")
    else:
        try:
            parse_source_spec(words[0])
        except ConfigError as err:
            raise ConfigError(f"{_FLAG} {where}: {err}") from err
        location = argument
        if kind == "events":
            location = str((folder / argument).expanduser())
    return _home(home_id or _id_of(kind, location), kind, location, token_file, where)


def _names_a_kind(word: str) -> bool:
    return any(word.lower().startswith(f"{kind}:") for kind in _KINDS)


def _home(home_id: str, kind: str, location: str, token: str | None, where: str) -> HomeSpec:
    if not _HOME_ID.match(home_id):
        raise ConfigError(
            f"{_FLAG} {where}: {home_id!r} is no home id (letters, digits, - _ . @, "
            "starting with a letter or digit)"
        )
    return HomeSpec(home_id, kind, location, token, where)


def _id_of(kind: str, location: str) -> str:
    """A home id from its source: the file or database name, or the host."""
    if kind == "ha-api":
        return _tidy(urlsplit(location).netloc.rpartition("@")[2])
    if kind == "events":
        return _tidy(Path(location).stem)
    parts = urlsplit(location)
    if parts.scheme.startswith("sqlite"):
        database = Path(parts.path.lstrip("/") if parts.path.startswith("//") else parts.path)
        # Home Assistant names every recorder file alike; the folder names the home
        name = database.parent.name if database.stem.startswith("home-assistant") else database.stem
        return _tidy(name or "home")
    host = parts.hostname or "localhost"
    return _tidy(f"{host}-{parts.path.strip('/') or 'home'}")


def _tidy(text: str) -> str:
    tidy = re.sub(r"[^A-Za-z0-9_.@-]+", "-", text).strip("-.")
    return tidy or "home"
