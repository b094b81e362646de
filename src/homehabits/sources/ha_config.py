"""A Home Assistant config folder: recorder database, `.storage` registries, automations.yaml."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Final

import yaml
from sqlalchemy.engine import make_url

from homehabits.automations.yaml_text import yaml_error_where
from homehabits.context import Entity, HomeContext, Location
from homehabits.exceptions import ConfigError, SourceError, SourceFormatError, SourceNotFoundError
from homehabits.sources.base import EventRead
from homehabits.sources.event_file import GIVE_TIME_ZONE
from homehabits.sources.recorder import HomeSettings, RecorderSource, is_known_time_zone
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

__all__ = ["DEFAULT_DATABASE_FILE", "HaConfigSource", "home_settings_in_folder", "load_yaml"]

_LOGGER = logging.getLogger(__name__)

DEFAULT_DATABASE_FILE: Final = "home-assistant_v2.db"
# Where the Home Assistant container mounts its config folder.
_CONTAINER_CONFIG: Final = PurePosixPath("/config")
# Home Assistant's include tags, each with how it gathers a folder's files.
_INCLUDE_TAGS: Final = (
    "!include",
    "!include_dir_list",
    "!include_dir_merge_list",
    "!include_dir_named",
    "!include_dir_merge_named",
)
_MISSED_AUTOMATIONS: Final = (
    "the automations in it are not known, and what they do may be suggested back"
)
# Includes nested deeper than this are a loop (a file that includes itself).
_MAX_INCLUDE_DEPTH: Final = 16


@dataclass(frozen=True, slots=True)
class _Include:
    """An `!include…` tag as written, followed only where homehabits needs what it names."""

    tag: str
    target: str
    base: Path  # the folder of the file the tag is in: Home Assistant resolves from there
    where: str  # "configuration.yaml, line 12"


def load_yaml(
    path: Path, *, secrets: Mapping[str, Any] | None = None, warnings: list[str] | None = None
) -> Any:
    """A Home Assistant YAML file; `!secret` resolved, `!include…` kept as placeholders, other tags skipped with a warning."""
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

    def include(loader: yaml.SafeLoader, node: yaml.Node) -> _Include | None:
        where = f"{path.name}, line {node.start_mark.line + 1}"
        if not isinstance(node, yaml.ScalarNode):
            found.append(f"{where}: {node.tag} needs a file or folder name; skipped")
            return None
        target = str(loader.construct_scalar(node)).strip()
        return _Include(node.tag, target, path.parent, where)

    def skipped(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> None:
        found.append(f"{path.name}, line {node.start_mark.line + 1}: !{tag_suffix} skipped")

    _Loader.add_constructor("!secret", secret)
    for tag in _INCLUDE_TAGS:
        _Loader.add_constructor(tag, include)
    _Loader.add_multi_constructor("!", skipped)
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        line, problem = yaml_error_where(text, err)
        raise SourceFormatError(f"not valid YAML: {problem}", path=str(path), line=line) from err
    except yaml.YAMLError as err:
        raise SourceFormatError(f"not valid YAML: {err}", path=str(path)) from err
    except UnicodeDecodeError as err:
        raise SourceFormatError("not UTF-8 text", path=str(path)) from err


def home_settings_in_folder(folder: Path) -> tuple[str | None, Location | None]:
    """The time zone and location a config folder keeps (.storage/core.config, configuration.yaml).

    Used for a recorder file found in its config folder; anything unreadable counts as absent.
    """
    core: Mapping[str, Any] = {}
    home: Mapping[str, Any] = {}
    try:
        document = json.loads((folder / ".storage" / "core.config").read_text(encoding="utf-8"))
        if isinstance(document, dict) and isinstance(document.get("data"), dict):
            core = document["data"]
    except (OSError, ValueError):
        pass
    configuration = folder / "configuration.yaml"
    if configuration.is_file():
        try:
            loaded = load_yaml(configuration)
        except SourceFormatError:
            loaded = None
        section = loaded.get("homeassistant") if isinstance(loaded, dict) else None
        home = section if isinstance(section, Mapping) else {}
    time_zone = next(
        (
            zone
            for zone in (core.get("time_zone"), home.get("time_zone"))
            if is_known_time_zone(zone)
        ),
        None,
    )
    return time_zone, _location(core) or _location(home)


class HaConfigSource:
    """A Home Assistant config folder, read and never written to.

    The folder's YAML and registries are read in a worker thread when first needed (by
    `default_window_end` or `read_context`), never on the event loop.
    """

    def __init__(
        self,
        folder: Path,
        *,
        service_users: Sequence[str] = (),
        time_zone_override: str | None = None,
        location_override: Location | None = None,
    ) -> None:
        self._folder = Path(folder).expanduser()
        if not self._folder.is_dir():
            raise SourceNotFoundError(f"Home Assistant config folder {self._folder} does not exist")
        if not any(
            (self._folder / name).exists()
            for name in (".storage", "configuration.yaml", DEFAULT_DATABASE_FILE)
        ):
            raise SourceError(
                f"{self._folder} does not look like a Home Assistant config folder: it has no "
                f".storage folder, no configuration.yaml and no {DEFAULT_DATABASE_FILE}"
            )
        self._service_users = tuple(service_users)
        self._time_zone_override = time_zone_override
        self._location_override = location_override
        self._warnings: list[str] = []
        self._included: set[Path] = set()  # every YAML file read through an include
        self._secrets: Mapping[str, Any] = {}
        self._prepared = threading.Lock()
        self._configuration: dict[str, Any] | None = None
        self._recorder_source: RecorderSource | None = None
        self._context: HomeContext | None = None

    @property
    def description(self) -> str:
        """The folder and the recorder database read."""
        database = self._recorder.url.render_as_string(hide_password=True)
        return f"ha-config {self._folder} (recorder database {database})"

    @property
    def warnings(self) -> tuple[str, ...]:
        """What was skipped while reading the folder (unknown YAML tags, missing files)."""
        self._prepare()
        return tuple(self._warnings)

    async def read_context(self) -> HomeContext:
        """Entities, devices, areas, automations, time zone and version from the folder."""
        if self._context is None:
            # the folder's files are read, and looked for, in a worker thread: never on the loop
            has_database = await asyncio.to_thread(self._prepared_has_database)
            names = await self._recorder.read_friendly_names() if has_database else {}
            recorder_home = await self._recorder.read_home_settings() if has_database else None
            self._context = await asyncio.to_thread(self._build_context, names, recorder_home)
        return self._context

    async def read_events(self, start: datetime, end: datetime, context: HomeContext) -> EventRead:
        """The state changes of the window, from the folder's recorder database."""
        await asyncio.to_thread(self._prepare)
        read = await self._recorder.read_events(start, end, context)
        return replace(read, warnings=(*read.warnings, *self._warnings))

    async def read_schema_version(self) -> int:
        """The schema version of the folder's recorder database."""
        await asyncio.to_thread(self._prepare)  # configuration.yaml names the database
        return await self._recorder.read_schema_version()

    def default_window_end(self) -> datetime | None:
        """The time of the newest state row in the folder's recorder database."""
        return self._recorder.default_window_end()

    # --- reading the folder (blocking; run in a worker thread) -------------------------------

    @property
    def _recorder(self) -> RecorderSource:
        self._prepare()
        assert self._recorder_source is not None
        return self._recorder_source

    def _prepare(self) -> None:
        """Read configuration.yaml and choose the recorder database, once."""
        with self._prepared:
            if self._recorder_source is not None:
                return
            self._configuration = self._read_configuration()
            url = self._database_url()
            self._recorder_source = RecorderSource(url, service_users=self._service_users)
            _LOGGER.info(
                "%s: reading the recorder database %s",
                self._folder,
                self._recorder_source.description,
            )
            for warning in self._warnings:
                _LOGGER.warning("%s", warning)

    def _prepared_has_database(self) -> bool:
        self._prepare()
        return self._has_database()

    def _read_configuration(self) -> dict[str, Any]:
        path = self._folder / "configuration.yaml"
        if not path.is_file():
            return {}
        secrets_path = self._folder / "secrets.yaml"
        secrets = (
            load_yaml(secrets_path, warnings=self._warnings) if secrets_path.is_file() else None
        )
        self._secrets = secrets if isinstance(secrets, Mapping) else {}
        loaded = load_yaml(path, secrets=self._secrets, warnings=self._warnings)
        return loaded if isinstance(loaded, dict) else {}

    def _section(self, key: str, missed: str) -> Any:
        """A top-level section of configuration.yaml, its includes followed."""
        return self._followed((self._configuration or {}).get(key), missed)

    def _followed(self, value: Any, missed: str, depth: int = 0) -> Any:
        """The value with every include in it read; what cannot be read is a warning.

        `missed` says what the owner loses when an include cannot be read.
        """
        if isinstance(value, _Include):
            if depth > _MAX_INCLUDE_DEPTH:
                self._warn(f"{value.where}: includes nest too deep (a loop?); skipped")
                return None
            return self._followed(self._include(value, missed), missed, depth + 1)
        if isinstance(value, dict):
            return {key: self._followed(item, missed, depth) for key, item in value.items()}
        if isinstance(value, list):
            return [self._followed(item, missed, depth) for item in value]
        return value

    def _include(self, include: _Include, missed: str) -> Any:
        target = include.base / include.target
        what = f"{include.where}: {include.tag} {include.target}"
        if include.tag == "!include":
            if not target.is_file():
                self._warn(f"{what}: no such file; {missed}")
                return None
            return self._included_file(target, what, missed)
        if not target.is_dir():
            self._warn(f"{what}: no such folder; {missed}")
            return None
        files = _yaml_files(target)
        if include.tag == "!include_dir_list":
            return [self._included_file(file, what, missed) for file in files]
        if include.tag == "!include_dir_named":
            return {file.stem: self._included_file(file, what, missed) for file in files}
        if include.tag == "!include_dir_merge_list":
            merged: list[Any] = []
            for file in files:
                loaded = self._included_file(file, what, missed)
                merged.extend(loaded if isinstance(loaded, list) else [])
            return merged
        merged_named: dict[str, Any] = {}
        for file in files:
            loaded = self._included_file(file, what, missed)
            merged_named.update(loaded if isinstance(loaded, dict) else {})
        return merged_named

    def _included_file(self, path: Path, what: str, missed: str) -> Any:
        self._included.add(path.resolve())
        try:
            return load_yaml(path, secrets=self._secrets, warnings=self._warnings)
        except SourceFormatError as err:
            self._warn(f"{what}: not read ({err}); {missed}")
            return None
        except OSError as err:
            self._warn(f"{what}: {path.name} not read ({err.strerror or err}); {missed}")
            return None

    def _warn(self, message: str) -> None:
        if message not in self._warnings:
            self._warnings.append(message)

    def _database_url(self) -> str:
        recorder = self._section("recorder", "the default recorder database is read")
        db_url = recorder.get("db_url") if isinstance(recorder, Mapping) else None
        if not isinstance(db_url, str) or not db_url.strip():
            return f"sqlite:///{self._folder.resolve() / DEFAULT_DATABASE_FILE}"
        url = make_url(db_url.strip())
        if url.get_backend_name() != "sqlite" or not url.database:
            _LOGGER.info(
                "%s: recorder: db_url names the database server %s",
                self._folder,
                url.render_as_string(hide_password=True),
            )
            return db_url.strip()
        local = self._local_path(url.database)
        if not local.resolve().is_relative_to(self._folder.resolve()):
            # a copied folder whose db_url names an absolute path reads the live database
            self._warnings.append(
                f"configuration.yaml's recorder: db_url names {local}, outside "
                f"{self._folder}: that database is the one read, not a copy in the folder"
            )
        return url.set(database=str(local)).render_as_string(hide_password=False)

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

    def _build_context(
        self, recorder_names: Mapping[str, str], recorder_home: HomeSettings | None
    ) -> HomeContext:
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
        home = self._section("homeassistant", "the home's settings there are not known")
        home = home if isinstance(home, Mapping) else {}
        recorder_home = recorder_home or HomeSettings()
        location = (
            self._location_override or _location(core) or _location(home) or recorder_home.location
        )
        if location is None:
            self._warnings.append(
                f"{self._folder} does not say where the home is (.storage/core.config, "
                "configuration.yaml, zone.home): habits that follow the sun (sunset + offset) "
                "are not looked for; give --latitude/--longitude"
            )
        return HomeContext(
            time_zone=self._time_zone(core, home, recorder_home.time_zone),
            location=location,
            ha_version=self._ha_version(),
            name=_text(core.get("location_name")) or _text(home.get("name")),
            entities=entities,
            devices=devices_from_registry(device_entries),
            areas=areas_from_registry(self._storage_list("core.area_registry", "areas")),
            automations=automations_from_configs(self._automation_configs(home), entity_entries),
            users=users,
            service_user_ids=service_user_ids(self._service_users, users),
            user_details=home_users(auth_users, person_items),
            persons=tuple(str(p["name"]) for p in person_items if isinstance(p.get("name"), str)),
            temperature_unit=_temperature_unit(core, home),
        )

    def _time_zone(
        self, core: Mapping[str, Any], home: Mapping[str, Any], recorded: str | None
    ) -> str:
        candidates = (
            self._time_zone_override,
            core.get("time_zone"),
            home.get("time_zone"),
            recorded,
        )
        for candidate in candidates:
            if isinstance(candidate, str) and candidate:
                if not is_known_time_zone(candidate):
                    self._warnings.append(f"unknown time zone {candidate!r} skipped")
                    continue
                return candidate
        raise ConfigError(
            f"{self._folder}: no time zone in .storage/core.config, configuration.yaml or the "
            f"recorder; {GIVE_TIME_ZONE}"
        )

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

    def _automation_configs(self, home: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Automations from configuration.yaml (includes followed, packages too), and automations.yaml."""
        configs: list[Any] = []
        sections: list[Mapping[Any, Any]] = [self._configuration or {}]
        packages = home.get("packages")
        if isinstance(packages, Mapping):
            sections += [package for package in packages.values() if isinstance(package, Mapping)]
        for section in sections:
            for key, value in section.items():
                if key == "automation" or str(key).startswith("automation "):
                    configs.extend(_automation_items(self._followed(value, _MISSED_AUTOMATIONS)))
        path = self._folder / "automations.yaml"
        if path.is_file() and path.resolve() not in self._included:
            # the UI's file, read even when configuration.yaml does not include it: an
            # automation it holds is one the owner made, and must not be suggested back
            loaded = self._included_file(path, "automations.yaml", _MISSED_AUTOMATIONS)
            configs.extend(loaded if isinstance(loaded, list) else [])
        return [config for config in configs if isinstance(config, dict)]


def _yaml_files(folder: Path) -> list[Path]:
    """A folder's YAML files as Home Assistant includes them: sorted, recursive, none hidden."""
    found: list[Path] = []
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        found.extend(
            Path(root) / name
            for name in sorted(files)
            if name.endswith(".yaml") and not name.startswith(".") and name != "secrets.yaml"
        )
    return found


def _automation_items(value: Any) -> list[Any]:
    """Automation configs from what an `automation` key holds: a list, one, or a named mapping."""
    if isinstance(value, list):
        return [item for entry in value for item in _automation_items(entry)]
    if isinstance(value, dict):
        if any(key in value for key in ("trigger", "triggers", "action", "actions", "alias")):
            return [value]
        # !include_dir_named: one automation (or a list of them) per file name
        return [item for entry in value.values() for item in _automation_items(entry)]
    return []


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
