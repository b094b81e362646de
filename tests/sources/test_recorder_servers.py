"""The same recorder rows in MariaDB and PostgreSQL give the same EventFrame as in SQLite."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from homehabits.context import HomeContext
from homehabits.sources.recorder import RecorderSource
from tests.required_services import missing_service

from .recorder_builder import RecorderBuilder, new_context_id

OWNER = "18bbd69a38024c1db6cdb2eaf5bbc03b"
T0 = datetime(2024, 3, 4, 18, 0, tzinfo=UTC)
WINDOW = (T0 - timedelta(hours=1), T0 + timedelta(hours=1))


def _a_short_evening() -> RecorderBuilder:
    home = RecorderBuilder()
    home.state("light.sofa", "off", T0 - timedelta(hours=2), attributes={"friendly_name": "Sofa"})
    home.state("light.sofa", "on", T0, user_id=OWNER, attributes={"brightness": 180})
    home.state("light.hall", "on", T0 + timedelta(seconds=1), parent_id=new_context_id())
    firing = home.event("automation_triggered", T0 + timedelta(minutes=2))
    home.state("light.porch", "on", T0 + timedelta(minutes=2, microseconds=123), context_id=firing)
    home.state("switch.kettle", "on", T0 + timedelta(minutes=3))
    home.state("switch.kettle", "off", T0 + timedelta(minutes=6), attributes={"icon": "mdi:kettle"})
    home.state(
        "climate.living", "heat", T0 + timedelta(minutes=7), attributes={"temperature": 21.5}
    )
    return home


@pytest.fixture(scope="module")
def sqlite_frame(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    path: Path = tmp_path_factory.mktemp("recorder") / "home-assistant_v2.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    _a_short_evening().write(engine)
    engine.dispose()
    return _read_frame(f"sqlite:///{path}")


def _read_frame(url: str) -> pl.DataFrame:
    async def read() -> pl.DataFrame:
        source = RecorderSource(url)
        return (await source.read_events(*WINDOW, HomeContext(time_zone="UTC"))).frame

    return asyncio.run(read())


def _server_database(server_url: str, create: str, drop: str) -> Iterator[str]:
    """A database of its own for this test session on a local server; dropped afterwards."""
    name = f"hh_recorder_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(create.format(name=name)))
    except sa.exc.OperationalError as err:
        admin.dispose()
        missing_service(f"local database server not available: {err.orig}")
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(drop.format(name=name)))
        admin.dispose()


@pytest.fixture(scope="module")
def mariadb_url() -> Iterator[str]:
    server = "mysql+pymysql://root@127.0.0.1:3306/test"
    for name in _server_database(
        server, "CREATE DATABASE {name} CHARACTER SET utf8mb4", "DROP DATABASE {name}"
    ):
        url = f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4"
        engine = sa.create_engine(url)
        _a_short_evening().write(engine)
        engine.dispose()
        yield f"mysql://root@127.0.0.1:3306/{name}"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    server = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    for name in _server_database(
        server, "CREATE DATABASE {name}", "DROP DATABASE {name} WITH (FORCE)"
    ):
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        engine = sa.create_engine(url)
        _a_short_evening().write(engine)
        engine.dispose()
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"


def test_the_sqlite_reference_frame_has_every_origin(sqlite_frame: pl.DataFrame) -> None:
    origins = dict(sqlite_frame.select("entity_id", "origin").cast(pl.String).rows())
    assert origins == {
        "light.sofa": "user",
        "light.hall": "automation",
        "light.porch": "automation",
        "switch.kettle": "device",
        "climate.living": "device",
    }


@pytest.mark.mariadb
def test_mariadb_gives_the_same_events_as_sqlite(
    mariadb_url: str, sqlite_frame: pl.DataFrame
) -> None:
    assert_frame_equal(_read_frame(mariadb_url), sqlite_frame)


@pytest.mark.postgres
def test_postgresql_gives_the_same_events_as_sqlite(
    postgres_url: str, sqlite_frame: pl.DataFrame
) -> None:
    assert_frame_equal(_read_frame(postgres_url), sqlite_frame)


@pytest.mark.mariadb
def test_mariadb_is_read_in_a_read_only_session(mariadb_url: str) -> None:
    source = RecorderSource(mariadb_url)
    engine = source._engine()  # the engine homehabits reads with
    try:
        with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError, match="READ ONLY"):
            connection.execute(sa.text("DELETE FROM states"))
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_is_read_in_a_read_only_transaction(postgres_url: str) -> None:
    source = RecorderSource(postgres_url)
    engine = source._engine()
    try:
        with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError, match="read-only"):
            connection.execute(sa.text("DELETE FROM states"))
    finally:
        engine.dispose()
