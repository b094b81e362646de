"""Home Assistant's recorder database (SQLite, MariaDB/MySQL, PostgreSQL), read-only."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from homehabits.context import Entity, HomeContext, Location
from homehabits.events import check_events
from homehabits.exceptions import (
    ConfigError,
    RecorderError,
    RecorderSchemaError,
    SourceNotFoundError,
)
from homehabits.sources.base import EventRead
from homehabits.sources.event_file import GIVE_TIME_ZONE
from homehabits.sources.recorder_tables import (
    ADBC_ERRORS,
    SQLITE_OPEN,
    RowTables,
    Tables,
    arrow_postgresql,
    arrow_sqlite,
    postgresql_read_only_uri,
)
from homehabits.sources.recorder_window import attributes_that_matter, raw_events, read_window
from homehabits.sources.registries import service_user_ids

__all__ = [
    "MIN_SCHEMA_VERSION",
    "NEWEST_KNOWN_SCHEMA_VERSION",
    "HomeSettings",
    "RecorderSource",
    "attributes_that_matter",
    "is_known_time_zone",
]

_LOGGER = logging.getLogger(__name__)

#: The oldest recorder schema read (Home Assistant 2023.4; binary context ids, states_meta).
MIN_SCHEMA_VERSION: Final = 41
#: The newest recorder schema homehabits was checked against (Home Assistant 2026.2).
NEWEST_KNOWN_SCHEMA_VERSION: Final = 53
# A row dated later than this after now (a broken clock) must not set the window's end.
_FUTURE_SLACK: Final = timedelta(days=1)

_REQUIRED_TABLES: Final = (
    "schema_changes",
    "states",
    "states_meta",
    "state_attributes",
    "events",
    "event_types",
)


@dataclass(frozen=True, slots=True)
class HomeSettings:
    """The time zone and location Home Assistant left in its recorder, where it left them."""

    time_zone: str | None = None  # from a `core_config_updated` event (set in the UI)
    location: Location | None = None  # from zone.home's attributes, else that event


class RecorderSource:
    """A recorder database by SQLAlchemy URL; never written to (SQLite is opened `mode=ro`)."""

    def __init__(
        self,
        url: str,
        *,
        service_users: Sequence[str] = (),
        auth_users: Mapping[str, str] | None = None,
        context: HomeContext | None = None,
        time_zone: str | None = None,
        location: Location | None = None,
    ) -> None:
        self._url = _reading_url(url)
        self._service_users = tuple(service_users)
        self._auth_users = dict(auth_users or {})
        self._context = context
        self._time_zone = time_zone
        self._location = location
        self._latest: datetime | None = None
        self._latest_known = False
        self._warnings: list[str] = []

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the owner should know about the database (a schema newer than known)."""
        return tuple(self._warnings)

    @property
    def description(self) -> str:
        """The recorder URL, password hidden."""
        return f"recorder {self._url.render_as_string(hide_password=True)}"

    @property
    def url(self) -> URL:
        """The SQLAlchemy URL actually used to read (driver chosen by homehabits)."""
        return self._url

    async def read_context(self) -> HomeContext:
        """The context given by the config folder, else a minimal one from the database.

        The time zone is the one given, else the one Home Assistant left in the recorder or
        in the config folder beside an SQLite file; without one, reading is refused rather
        than mining in UTC.
        """
        if self._context is not None:
            await asyncio.to_thread(self._remember_latest)
            return self._context
        names = await self.read_friendly_names()
        found = await asyncio.to_thread(self._home_settings_anywhere)
        time_zone = self._time_zone or found.time_zone
        if time_zone is None:
            raise ConfigError(
                f"{self.description}: the recorder does not say the home's time zone (Home "
                "Assistant keeps it in .storage/core.config or configuration.yaml); "
                f"{GIVE_TIME_ZONE}"
            )
        location = self._location or found.location
        if location is None:
            self._warn(
                "the recorder does not say where the home is: habits that follow the sun "
                "(sunset + offset) are not looked for; give --latitude/--longitude"
            )
        entities = {
            entity_id: Entity(entity_id=entity_id, name=name) for entity_id, name in names.items()
        }
        users = dict(self._auth_users)
        return HomeContext(
            time_zone=time_zone,
            location=location,
            entities=entities,
            users=users,
            service_user_ids=service_user_ids(self._service_users, users),
        )

    async def read_home_settings(self) -> HomeSettings:
        """The time zone and location Home Assistant left in the database, if any."""
        return await asyncio.to_thread(self._home_settings)

    async def read_friendly_names(self) -> dict[str, str]:
        """Every entity id in the database with its latest `friendly_name` ("" when none)."""
        return await asyncio.to_thread(self._friendly_names)

    async def read_events(self, start: datetime, end: datetime, context: HomeContext) -> EventRead:
        """The state changes with start <= last_updated < end, with their origin."""
        users = {**self._auth_users, **context.users}
        service_ids = service_user_ids(self._service_users, users) | {
            _user_id(user) for user in context.service_user_ids
        }
        read = await asyncio.to_thread(self._read_events, start, end, frozenset(service_ids))
        return replace(read, warnings=(*read.warnings, *self._warnings))

    def default_window_end(self) -> datetime | None:
        """Just after the newest state row, so an old recorder file still gives a full window.

        Windows are half-open (start <= time < end): ending one microsecond after the newest
        row keeps that row in, and a later window starting at this end cannot count it twice.
        Rows dated after tomorrow (a broken clock) do not move the end.
        """
        if not self._latest_known:
            self._remember_latest()
        return self._latest

    async def read_schema_version(self) -> int:
        """The recorder's schema version (`schema_changes`), as `homehabits check` shows it."""
        return await asyncio.to_thread(self._schema_version)

    # --- the blocking part, run in a worker thread ------------------------------------------

    def _schema_version(self) -> int:
        with self._connection() as connection:
            return _check_schema(RowTables(connection), self.description)

    def _warn(self, message: str) -> None:
        if message not in self._warnings:
            _LOGGER.warning("%s", message)
            self._warnings.append(message)

    def _remember_latest(self) -> None:
        limit = (datetime.now(UTC) + _FUTURE_SLACK).timestamp()
        with self._connection() as connection:
            newest = connection.execute(
                sa.text("SELECT MAX(last_updated_ts) FROM states WHERE last_updated_ts <= :limit"),
                {"limit": limit},
            ).scalar()
        self._latest = (
            None
            if newest is None
            # fromtimestamp rounds to the nearest microsecond: one more keeps the row inside
            else datetime.fromtimestamp(float(newest), tz=UTC) + timedelta(microseconds=1)
        )
        self._latest_known = True

    def _home_settings_anywhere(self) -> HomeSettings:
        """The recorder's own settings, completed from a config folder beside an SQLite file."""
        found = self._home_settings()
        if found.time_zone is not None and found.location is not None:
            return found
        if self._url.get_backend_name() != "sqlite" or not self._url.database:
            return found
        # the lazy import keeps the config-folder reader (which uses this module) out of the
        # recorder's own import
        from homehabits.sources.ha_config import home_settings_in_folder

        time_zone, location = home_settings_in_folder(Path(self._url.database).expanduser().parent)
        return HomeSettings(
            time_zone=found.time_zone or time_zone, location=found.location or location
        )

    def _home_settings(self) -> HomeSettings:
        with self._connection() as connection:
            zone_home = connection.execute(
                sa.text(
                    "SELECT a.shared_attrs FROM states s "
                    "JOIN states_meta m ON m.metadata_id = s.metadata_id "
                    "JOIN state_attributes a ON a.attributes_id = s.attributes_id "
                    "WHERE m.entity_id = 'zone.home' AND a.shared_attrs IS NOT NULL "
                    "ORDER BY s.last_updated_ts DESC LIMIT 1"
                )
            ).scalar()
            # Home Assistant fires core_config_updated with what changed when the owner sets
            # the time zone or location in the UI (onboarding included)
            updates = connection.execute(
                sa.text(
                    "SELECT d.shared_data FROM events e "
                    "JOIN event_types t ON t.event_type_id = e.event_type_id "
                    "JOIN event_data d ON d.data_id = e.data_id "
                    "WHERE t.event_type = 'core_config_updated' AND d.shared_data IS NOT NULL "
                    "ORDER BY e.time_fired_ts DESC"
                )
            ).scalars()
            changes = [_json_object(data) for data in updates]
        time_zone = next(
            (c["time_zone"] for c in changes if is_known_time_zone(c.get("time_zone"))), None
        )
        location = _location_of(_json_object(zone_home)) or next(
            (found for c in changes if (found := _location_of(c)) is not None), None
        )
        return HomeSettings(time_zone=time_zone, location=location)

    def _friendly_names(self) -> dict[str, str]:
        latest_rows = sa.text(
            "SELECT m.entity_id, a.shared_attrs FROM states_meta m "
            "LEFT JOIN (SELECT metadata_id, MAX(last_updated_ts) AS newest FROM states "
            "GROUP BY metadata_id) n ON n.metadata_id = m.metadata_id "
            "LEFT JOIN states s ON s.metadata_id = n.metadata_id AND s.last_updated_ts = n.newest "
            "LEFT JOIN state_attributes a ON a.attributes_id = s.attributes_id"
        )
        names: dict[str, str] = {}
        with self._connection() as connection:
            for entity_id, shared_attrs in connection.execute(latest_rows):
                if not entity_id:
                    continue
                name = _friendly_name(shared_attrs)
                if name or entity_id not in names:
                    names[entity_id] = name
        return names

    def _read_events(
        self, start: datetime, end: datetime, service_ids: frozenset[str]
    ) -> EventRead:
        raw, rows_read = self._raw_events(start, end, service_ids)
        checked = check_events(raw.drop("state_id"))
        # Rejected rows are named by their state_id, the row's place in the recorder.
        state_ids = raw["state_id"]
        rejected = tuple(
            replace(row, row=int(state_ids[row.row]), reason=f"{row.reason} (state_id)")
            for row in checked.rejected
        )
        return EventRead(
            frame=checked.frame,
            rows_read=rows_read,
            rejected=rejected,
            rejected_by_reason=checked.rejected_by_reason,
        )

    def _raw_events(
        self, start: datetime, end: datetime, service_ids: frozenset[str]
    ) -> tuple[pl.DataFrame, int]:
        """The window's rows with origins, and how many were read.

        The frames as read are let go on return: only the raw events stay in memory while
        they are checked.
        """
        start_ts, end_ts = _epoch(start), _epoch(end)
        with self._tables() as tables:
            rows = read_window(tables, start_ts, end_ts)
        return raw_events(rows, service_ids), rows.states.height

    @contextmanager
    def _tables(self) -> Iterator[Tables]:
        """The recorder's tables, read-only and checked; Arrow-native where a driver allows."""
        backend = self._url.get_backend_name()
        if backend not in {"sqlite", "postgresql"}:
            with self._connection() as connection:
                yield RowTables(connection)
            return
        opened = (
            arrow_sqlite(_sqlite_uri(self._url))
            if backend == "sqlite"
            else arrow_postgresql(postgresql_read_only_uri(self._url))
        )
        try:
            with opened as tables:
                self._check(tables)
                yield tables
        except ADBC_ERRORS as err:
            raise self._database_error(err) from err

    def _check(self, tables: Tables) -> None:
        version = _check_schema(tables, self.description)
        if version > NEWEST_KNOWN_SCHEMA_VERSION:
            self._warn(
                f"recorder schema version {version} is newer than homehabits knows "
                f"({NEWEST_KNOWN_SCHEMA_VERSION}, Home Assistant 2026.2): it is read as "
                "that one, and what changed may be missed; update homehabits"
            )

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A read-only connection; database errors become RecorderError with a clear reason."""
        engine = self._engine()
        # the ADBC reader must not have the same SQLite file open meanwhile (see SQLITE_OPEN)
        one_sqlite: AbstractContextManager[Any] = (
            SQLITE_OPEN if self._url.get_backend_name() == "sqlite" else nullcontext()
        )
        try:
            with one_sqlite, engine.connect() as connection:
                self._check(RowTables(connection))
                yield connection
        except sqlite3.DatabaseError as err:
            raise self._database_error(err) from err
        except DBAPIError as err:
            raise self._database_error(err) from err
        except SQLAlchemyError as err:
            raise RecorderError(f"{self.description}: {err}") from err
        finally:
            engine.dispose()

    def _engine(self) -> Engine:
        try:
            if self._url.get_backend_name() == "sqlite":
                return _sqlite_engine(self._url)
            return _server_engine(self._url)
        except (NoSuchModuleError, ModuleNotFoundError) as err:
            raise ConfigError(f"{self.description}: no database driver for this URL") from err

    def _database_error(self, err: Exception) -> RecorderError | SourceNotFoundError:
        message = str(getattr(err, "orig", None) or err)
        lowered = message.lower()
        if "not a database" in lowered or "malformed" in lowered:
            return RecorderError(f"{self.description} is not an SQLite database ({message})")
        if "unknown database" in lowered or "does not exist" in lowered:
            return SourceNotFoundError(f"{self.description}: the database does not exist")
        return RecorderError(f"{self.description}: {message}")


def _reading_url(url: str) -> URL:
    """The URL with the synchronous driver homehabits reads with."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise ConfigError(f"{url!r} is not a database URL (e.g. sqlite:////config/…db)") from err
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    if backend in {"mysql", "mariadb"}:
        return parsed.set(drivername="mysql+pymysql")
    if backend in {"postgresql", "postgres"}:
        return parsed.set(drivername="postgresql+psycopg")
    raise ConfigError(
        f"recorder URL {parsed.render_as_string(hide_password=True)!r}: use sqlite://, "
        "mysql://, mariadb:// or postgresql://"
    )


def _sqlite_uri(url: URL) -> str:
    """The SQLite URI that opens the recorder file read-only (`mode=ro`), never creating it."""
    if not url.database or url.database == ":memory:":
        raise ConfigError("the recorder URL names no SQLite file")
    path = Path(url.database).expanduser()
    if not path.is_file():
        raise SourceNotFoundError(f"recorder database {path} does not exist")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    if _is_wal_without_writer(path):
        # A WAL database with no -wal file has no writer; `immutable` keeps SQLite from
        # creating -wal/-shm files next to it, which a read-only reader must not do.
        uri += "&immutable=1"
    return uri


def _sqlite_engine(url: URL) -> Engine:
    uri = _sqlite_uri(url)

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    return sa.create_engine("sqlite://", creator=connect, poolclass=NullPool)


def _is_wal_without_writer(path: Path) -> bool:
    with path.open("rb") as file:
        header = file.read(20)
    # Bytes 18 and 19 of the SQLite header are 2 in WAL mode.
    wal_mode = len(header) == 20 and header[18] == 2 and header[19] == 2
    return wal_mode and not path.with_name(path.name + "-wal").exists()


def _server_engine(url: URL) -> Engine:
    if url.get_backend_name() == "postgresql":
        return sa.create_engine(
            url,
            poolclass=NullPool,
            connect_args={"options": "-c default_transaction_read_only=on"},
        )
    engine = sa.create_engine(url.update_query_dict({"charset": "utf8mb4"}), poolclass=NullPool)

    @sa.event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET SESSION TRANSACTION READ ONLY")

    return engine


def _check_schema(tables: Tables, where: str) -> int:
    names = tables.table_names()
    missing = [table for table in _REQUIRED_TABLES if table not in names]
    if missing:
        raise RecorderError(
            f"{where} is not a Home Assistant recorder database: "
            f"table(s) {', '.join(missing)} missing"
        )
    version = tables.frame(
        "SELECT MAX(schema_version) AS version FROM schema_changes", {"version": pl.Int64()}
    )["version"][0]
    if version is None:
        raise RecorderSchemaError(f"{where}: no recorder schema version found in schema_changes")
    if int(version) < MIN_SCHEMA_VERSION:
        raise RecorderSchemaError(
            f"{where}: recorder schema version {version} is too old; homehabits reads "
            f"{MIN_SCHEMA_VERSION} and later (Home Assistant 2023.4+). Update Home Assistant."
        )
    return int(version)


def _user_id(user: str) -> str:
    return user.strip().replace("-", "").lower()


def _friendly_name(shared_attrs: str | None) -> str:
    if not shared_attrs:
        return ""
    try:
        attributes = json.loads(shared_attrs)
    except ValueError:
        return ""
    name = attributes.get("friendly_name") if isinstance(attributes, dict) else None
    return name.strip() if isinstance(name, str) else ""


def _json_object(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def is_known_time_zone(name: Any) -> bool:
    """Whether a value Home Assistant stored is a time zone name this machine knows."""
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _location_of(values: Mapping[str, Any]) -> Location | None:
    latitude, longitude = values.get("latitude"), values.get("longitude")
    if isinstance(latitude, bool) or isinstance(longitude, bool):
        return None
    if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
        return None
    elevation = values.get("elevation")
    return Location(
        float(latitude),
        float(longitude),
        float(elevation) if isinstance(elevation, int | float) else 0.0,
    )


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; pass an aware datetime")
    return moment.timestamp()
