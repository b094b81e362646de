"""The source of one fleet home, opened on the worker that analyses it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from homehabits.config import Settings
from homehabits.exceptions import SourceError, SourceNotFoundError
from homehabits.fleet.homes import HomeSpec
from homehabits.sources.base import Source
from homehabits.sources.factory import location_from_settings
from homehabits.sources.home_file import HOME_FILE_NAME

__all__ = ["open_home_source"]


@contextmanager
def open_home_source(home: HomeSpec, settings: Settings) -> Iterator[Source]:
    """The home's source; an object-store home is fetched into a folder removed afterwards."""
    service_users = tuple(settings.service_users)
    if home.kind == "recorder":
        from homehabits.sources.recorder import RecorderSource

        yield RecorderSource(
            home.location,
            service_users=service_users,
            time_zone=settings.time_zone,
            location=location_from_settings(settings),
        )
        return
    if home.kind == "ha-api":
        from homehabits.sources.ha_api import HomeAssistantApiSource

        yield HomeAssistantApiSource(
            home.location,
            _token(home),
            service_users=service_users,
            timeout=settings.ha_timeout_seconds,
        )
        return
    if "://" not in home.location:
        yield _event_file(Path(home.location), settings)
        return
    folder = Path(tempfile.mkdtemp(prefix=f"homehabits-{home.home_id}-"))
    try:
        yield _event_file(_fetched(home.location, folder), settings)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _event_file(path: Path, settings: Settings) -> Source:
    from homehabits.sources.event_file import EventFileSource

    if not path.is_file():
        raise SourceNotFoundError(f"{path}: no such events file")
    return EventFileSource(
        path,
        time_zone=settings.time_zone,
        location=location_from_settings(settings),
        assume_manual=settings.events_assume_manual,
    )


def _fetched(url: str, folder: Path) -> Path:
    """The events file at `url` and the home file beside it, copied into `folder`."""
    import fsspec

    events = folder / url.rstrip("/").rpartition("/")[2]
    home_url = f"{url.rpartition('/')[0]}/{HOME_FILE_NAME}"
    try:
        fs, path = fsspec.core.url_to_fs(url)
        fs.get_file(path, str(events))
        _, home_path = fsspec.core.url_to_fs(home_url)
        if fs.exists(home_path):
            fs.get_file(home_path, str(folder / HOME_FILE_NAME))
    except (OSError, ValueError) as err:
        raise SourceError(f"{url}: cannot be fetched ({err})") from err
    return events


def _token(home: HomeSpec) -> str:
    """The access token in the home's token file (its first non-empty line)."""
    if home.token_file is None:
        raise SourceNotFoundError(f"{home.where}: ha-api needs a token file")
    try:
        text = Path(home.token_file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise SourceNotFoundError(f"token file {home.token_file} cannot be read ({err})") from err
    token = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not token:
        raise SourceNotFoundError(f"token file {home.token_file} is empty")
    return token
