"""A Home Assistant config folder: recorder database, `.storage` registries, automations.yaml."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy.engine import make_url

from homehabits.context import Entity, HomeContext, Location
from homehabits.exceptions import SourceError, SourceFormatError, SourceNotFoundError
from homehabits.sources.base import EventRead
from homehabits.sources.recorder import RecorderSource
from homehabits.sources.registries import (
    areas_from_registry,
    automations_from_configs,
    devices_from_registry,
    entities_from_registry,
    home_users,
    service_user_ids,
    tidy_entity_name,
    users_from_auth,
)

__all__ = ["DEFAULT_DATABASE_FILE", "HaConfigSource", "load_yaml"]

_LOGGER = logging.getLogger(__name__)

DEFAULT_DATABASE_FILE: Final = "home-assistant_v2.db"
# Where the Home Assistant container mounts its config folder.
_CONTAINER_CONFIG: Final = PurePosixPath("/config")


def load_yaml(
    path: Path, *, secrets: Mapping[str, Any] | None = None, warnings: list[str] | None = None
) -> Any:
    """A Home Assistant YAML file; `!secret` resolved, `!include…` not followed, other tags skipped with a warning."""
    found = warnings if warnings is not None else []
    known_secrets = secrets or {}

    class _Loader(yaml.SafeLoader):
        """A safe loader that knows Home Assistant's tags."""

    def secret(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        name = str(loader.construct_scalar(node))  # type: ignore[arg-type]
        if name not in known_secrets:
            found.append(f"{path.name}, line {node.start_mark.line + 1}: secret {name!r} not found")
            return None
        return known_secrets[name]

    def skipped(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> None:
        # includes are Home Assistant's own and what they pull in (automations.yaml) is read
        # directly; only tags we do not know are worth a warning
        if not tag_suffix.startswith("include"):
            found.append(f"{path.name}, line {node.start_mark.line + 1}: !{tag_suffix} skipped")

    _Loader.add_constructor("!secret", secret)
    _Loader.add_multi_constructor("!", skipped)
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        raise SourceFormatError(
            f"not valid YAML: {problem}",
            path=str(path),
            line=mark.line + 1 if mark is not None else None,
        ) from err
    except UnicodeDecodeError as err:
        raise SourceFormatError("not UTF-8 text", path=str(path)) from err


class HaConfigSource:
    """A Home Assistant config folder, read and never written to."""

    def __init__(
        self,
        folder: Path,
        *,
        service_users: Sequence[str] = (),
        time_zone_override: str | None = None,
    ) -> None:
        self._folder = Path(folder).expanduser()
        if not self._folder.is_dir():
            raise SourceNotFoundError(f"Home Assistant config folder {self._folder} does not exist")
        self._service_users = tuple(service_users)
        self._time_zone_override = time_zone_override
        self._warnings: list[str] = []
        self._configuration = self._read_configuration()
        self._recorder = RecorderSource(self._database_url(), service_users=service_users)
        if not (self._folder / ".storage").is_dir() and not self._has_database():
            raise SourceError(
                f"{self._folder} does not look like a Home Assistant config folder: "
                f"it has no .storage folder and no {DEFAULT_DATABASE_FILE}"
            )
        self._context: HomeContext | None = None

    @property
    def description(self) -> str:
        """The folder and the recorder database read."""
        return f"ha-config {self._folder} ({self._recorder.description})"

    @property
    def warnings(self) -> tuple[str, ...]:
        """What was skipped while reading the folder (unknown YAML tags, missing files)."""
        return tuple(self._warnings)

    async def read_context(self) -> HomeContext:
        """Entities, devices, areas, automations, time zone and version from the folder."""
        if self._context is None:
            names = await self._recorder.read_friendly_names() if self._has_database() else {}
            self._context = await asyncio.to_thread(self._build_context, names)
        return self._context

    async def read_events(self, start: datetime, end: datetime, context: HomeContext) -> EventRead:
        """The state changes of the window, from the folder's recorder database."""
        read = await self._recorder.read_events(start, end, context)
        return replace(read, warnings=(*read.warnings, *self._warnings))

    async def read_schema_version(self) -> int:
        """The schema version of the folder's recorder database."""
        return await self._recorder.read_schema_version()

    def default_window_end(self) -> datetime | None:
        """The time of the newest state row in the folder's recorder database."""
        return self._recorder.default_window_end()

    # --- reading the folder (blocking; run in a worker thread) -------------------------------

    def _read_configuration(self) -> dict[str, Any]:
        path = self._folder / "configuration.yaml"
        if not path.is_file():
            return {}
        secrets_path = self._folder / "secrets.yaml"
        secrets = (
            load_yaml(secrets_path, warnings=self._warnings) if secrets_path.is_file() else None
        )
        loaded = load_yaml(
            path,
            secrets=secrets if isinstance(secrets, Mapping) else {},
            warnings=self._warnings,
        )
        for warning in self._warnings:
            _LOGGER.warning("%s", warning)
        return loaded if isinstance(loaded, dict) else {}

    def _database_url(self) -> str:
        recorder = self._configuration.get("recorder")
        db_url = recorder.get("db_url") if isinstance(recorder, Mapping) else None
        if not isinstance(db_url, str) or not db_url.strip():
            return f"sqlite:///{self._folder.resolve() / DEFAULT_DATABASE_FILE}"
        url = make_url(db_url.strip())
        if url.get_backend_name() != "sqlite" or not url.database:
            return db_url.strip()
        return url.set(database=str(self._local_path(url.database))).render_as_string(
            hide_password=False
        )

    def _local_path(self, database: str) -> Path:
        """A recorder path as Home Assistant sees it, mapped into the folder given here."""
        path = PurePosixPath(database)
        if path.is_relative_to(_CONTAINER_CONFIG):
            return self._folder.resolve().joinpath(*path.relative_to(_CONTAINER_CONFIG).parts)
        if not path.is_absolute():
            return self._folder.resolve() / database
        return Path(database)

    def _has_database(self) -> bool:
        url = self._recorder.url
        if url.get_backend_name() != "sqlite":
            return True
        return bool(url.database) and Path(str(url.database)).is_file()

    def _build_context(self, recorder_names: Mapping[str, str]) -> HomeContext:
        entity_entries = self._storage_list("core.entity_registry", "entities")
        device_entries = self._storage_list("core.device_registry", "devices")
        entities = entities_from_registry(entity_entries, device_entries)
        entities = _with_recorder_names(entities, recorder_names)
        auth_users = self._storage_list("auth", "users")
        person_items = self._storage_list("person", "items")
        users = users_from_auth(auth_users)
        for person in person_items:
            user_id, name = person.get("user_id"), person.get("name")
            if isinstance(user_id, str) and isinstance(name, str):
                users.setdefault(user_id, name)
        core = self._storage_data("core.config")
        home = self._configuration.get("homeassistant")
        home = home if isinstance(home, Mapping) else {}
        return HomeContext(
            time_zone=self._time_zone(core, home),
            location=_location(core) or _location(home),
            ha_version=self._ha_version(),
            name=_text(core.get("location_name")) or _text(home.get("name")),
            entities=entities,
            devices=devices_from_registry(device_entries),
            areas=areas_from_registry(self._storage_list("core.area_registry", "areas")),
            automations=automations_from_configs(self._automation_configs(), entity_entries),
            users=users,
            service_user_ids=service_user_ids(self._service_users, users),
            user_details=home_users(auth_users, person_items),
            persons=tuple(str(p["name"]) for p in person_items if isinstance(p.get("name"), str)),
            temperature_unit=_temperature_unit(core, home),
        )

    def _time_zone(self, core: Mapping[str, Any], home: Mapping[str, Any]) -> str:
        for candidate in (self._time_zone_override, core.get("time_zone"), home.get("time_zone")):
            if isinstance(candidate, str) and candidate:
                try:
                    ZoneInfo(candidate)
                except (ZoneInfoNotFoundError, ValueError):
                    self._warnings.append(f"unknown time zone {candidate!r} skipped")
                    continue
                return candidate
        self._warnings.append("no time zone in .storage/core.config or configuration.yaml: UTC")
        return "UTC"

    def _ha_version(self) -> str | None:
        path = self._folder / ".HA_VERSION"
        return path.read_text(encoding="utf-8").strip() or None if path.is_file() else None

    def _storage_data(self, key: str) -> dict[str, Any]:
        """The `data` of a `.storage` file ({} when the file is absent)."""
        path = self._folder / ".storage" / key
        if not path.is_file():
            return {}
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise SourceFormatError(
                f"not valid JSON: {err.msg} (column {err.colno})", path=str(path), line=err.lineno
            ) from err
        if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
            raise SourceFormatError(
                "not a Home Assistant storage file (no 'data' object)", path=str(path), field="data"
            )
        data: dict[str, Any] = document["data"]
        return data

    def _storage_list(self, key: str, field: str) -> list[dict[str, Any]]:
        items = self._storage_data(key).get(field, [])
        if not isinstance(items, list):
            raise SourceFormatError(
                "expected a list", path=str(self._folder / ".storage" / key), field=f"data.{field}"
            )
        return [item for item in items if isinstance(item, dict)]

    def _automation_configs(self) -> list[dict[str, Any]]:
        """automations.yaml, plus automations written inline in configuration.yaml."""
        configs: list[Any] = []
        path = self._folder / "automations.yaml"
        if path.is_file():
            loaded = load_yaml(path, warnings=self._warnings)
            configs.extend(loaded if isinstance(loaded, list) else [])
        for key, value in self._configuration.items():
            if (key == "automation" or str(key).startswith("automation ")) and isinstance(
                value, list
            ):
                configs.extend(value)
        return [config for config in configs if isinstance(config, dict)]


def _with_recorder_names(
    entities: Mapping[str, Entity], recorder_names: Mapping[str, str]
) -> dict[str, Entity]:
    """Registry entities named from the recorder where the registry has no name, plus the rest."""
    named = {
        entity_id: entity
        if entity.name
        else replace(entity, name=recorder_names.get(entity_id) or tidy_entity_name(entity_id))
        for entity_id, entity in entities.items()
    }
    for entity_id, name in recorder_names.items():
        # Entities set up in YAML without a unique id are in the recorder only.
        if entity_id not in named and "." in entity_id:
            named[entity_id] = Entity(entity_id=entity_id, name=name or tidy_entity_name(entity_id))
    return named


def _location(section: Mapping[str, Any]) -> Location | None:
    latitude, longitude = section.get("latitude"), section.get("longitude")
    if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
        return None
    elevation = section.get("elevation")
    return Location(
        latitude=float(latitude),
        longitude=float(longitude),
        elevation=float(elevation) if isinstance(elevation, int | float) else 0.0,
    )


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _temperature_unit(core: Mapping[str, Any], home: Mapping[str, Any]) -> str:
    """°F for US customary units (core.config `unit_system_v2`, or configuration.yaml)."""
    for system in (core.get("unit_system_v2"), core.get("unit_system"), home.get("unit_system")):
        if isinstance(system, str) and system:
            return "°F" if system in ("us_customary", "imperial") else "°C"
    return "°C"
