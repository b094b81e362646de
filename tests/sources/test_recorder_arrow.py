"""The recorder's Arrow read: never writes, types every column, reads PostgreSQL read-only."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import adbc_driver_manager
import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import URL

from homehabits.context import HomeContext
from homehabits.exceptions import SourceNotFoundError
from homehabits.sources import recorder_tables, recorder_window
from homehabits.sources.recorder import RecorderSource
from homehabits.sources.recorder_tables import arrow_postgresql, postgresql_read_only_uri

from .recorder_builder import RecorderBuilder, new_context_id
from .test_recorder_servers import postgres_url

__all__ = ["postgres_url"]  # the module-scoped fixture, shared with the server tests

OWNER = "18bbd69a38024c1db6cdb2eaf5bbc03b"
T0 = datetime(2024, 3, 4, 18, 0, tzinfo=UTC)
WINDOW = (T0 - timedelta(days=1), T0 + timedelta(days=1))


def _write_sqlite(builder: RecorderBuilder, path: Path) -> str:
    engine = sa.create_engine(f"sqlite:///{path}")
    builder.write(engine)
    engine.dispose()
    return f"sqlite:///{path}"


def _fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file in the folder with its content hash and modification time."""
    return {
        path.name: (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for path in sorted(folder.iterdir())
    }


async def _read(url: str) -> pl.DataFrame:
    source = RecorderSource(url)
    return (await source.read_events(*WINDOW, HomeContext(time_zone="UTC"))).frame


def _a_quiet_start_then_people() -> RecorderBuilder:
    """Rows without user or parent first, then ones with them; an old state that was removed."""
    home = RecorderBuilder()
    home.state("light.gone", None, T0 - timedelta(days=3))  # removed, before the window
    home.state("light.gone", "on", T0 - timedelta(minutes=30))
    for minute in range(6):
        home.state("sensor.door", "on" if minute % 2 else "off", T0 + timedelta(minutes=minute))
    home.state("light.sofa", "on", T0 + timedelta(minutes=10), user_id=OWNER)
    home.state("light.hall", "on", T0 + timedelta(minutes=11), parent_id=new_context_id())
    firing = home.event("automation_triggered", T0 + timedelta(minutes=12))
    home.state("light.porch", "on", T0 + timedelta(minutes=12), context_id=firing)
    return home


@pytest.mark.parametrize("journal", ["delete", "wal"])
async def test_reading_leaves_the_recorder_file_byte_for_byte_as_it_was(
    tmp_path: Path, journal: str
) -> None:
    path = tmp_path / "home-assistant_v2.db"
    url = _write_sqlite(_a_quiet_start_then_people(), path)
    setup = sqlite3.connect(path)
    setup.execute(f"PRAGMA journal_mode={journal}")
    setup.close()
    before = _fingerprint(tmp_path)

    frame = await _read(url)
    await RecorderSource(url, time_zone="UTC").read_context()

    assert frame.height == 10
    assert _fingerprint(tmp_path) == before


async def test_columns_empty_through_the_first_batch_are_still_read_with_their_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _write_sqlite(_a_quiet_start_then_people(), tmp_path / "home-assistant_v2.db")
    # SQLite's driver types columns from the first batch: make it shorter than the quiet start
    monkeypatch.setattr(recorder_tables, "_BATCH_ROWS", 2)

    frame = await _read(url)

    origins = dict(frame.select("entity_id", "origin").cast(pl.String).unique().rows())
    assert origins == {
        "light.gone": "device",
        "sensor.door": "device",
        "light.sofa": "user",
        "light.hall": "automation",
        "light.porch": "automation",
    }
    assert frame.filter(pl.col("entity_id") == "light.sofa")["user_id"].to_list() == [OWNER]
    gone = frame.filter(pl.col("entity_id") == "light.gone")
    assert gone["old_state"].to_list() == [None]  # the removed entity's row had no state


async def test_a_window_with_nothing_in_it_reads_as_an_empty_typed_frame(tmp_path: Path) -> None:
    url = _write_sqlite(RecorderBuilder(), tmp_path / "home-assistant_v2.db")

    frame = await _read(url)

    assert frame.is_empty()
    assert frame.schema["time"] == pl.Datetime("us", "UTC")


def test_the_postgresql_uri_keeps_the_server_and_makes_sessions_read_only() -> None:
    url = URL.create(
        "postgresql+psycopg",
        username="ha",
        password="p@ss w/rd+%",
        host="db.local",
        port=5433,
        database="recorder",
        query={"sslmode": "require", "options": "-c search_path=elsewhere"},
    )

    # libpq's own parser (psycopg asks it) reads the URI back
    read = conninfo_to_dict(postgresql_read_only_uri(url))

    assert read == {
        "user": "ha",
        "password": "p@ss w/rd+%",
        "host": "db.local",
        "port": "5433",
        "dbname": "recorder",
        "sslmode": "require",
        # as SQLAlchemy's connect_args do for the other reads, read-only replaces given options
        "options": "-c default_transaction_read_only=on",
    }


@pytest.mark.postgres
def test_postgresql_is_read_through_arrow_in_read_only_transactions(postgres_url: str) -> None:
    source = RecorderSource(postgres_url)

    with (
        arrow_postgresql(postgresql_read_only_uri(source.url)) as tables,
        pytest.raises(adbc_driver_manager.Error, match="read-only"),
    ):
        tables.frame("DELETE FROM states RETURNING state_id", {"state_id": pl.Int64()})


@pytest.fixture
def sqlite_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each SQLite open, failing if the two SQLite libraries ever overlap."""
    opened: list[str] = []
    lock = recorder_tables.SQLITE_OPEN

    class Watched:
        def __enter__(self) -> None:
            assert lock.acquire(blocking=False), "two SQLite libraries opened the recorder at once"
            opened.append("open")

        def __exit__(self, *_exc: object) -> None:
            lock.release()

    monkeypatch.setattr(recorder_tables, "SQLITE_OPEN", Watched())
    monkeypatch.setattr("homehabits.sources.recorder.SQLITE_OPEN", Watched())
    return opened


async def test_the_two_sqlite_libraries_never_hold_the_recorder_open_together(
    tmp_path: Path, sqlite_opens: list[str]
) -> None:
    url = _write_sqlite(_a_quiet_start_then_people(), tmp_path / "home-assistant_v2.db")
    source = RecorderSource(url, time_zone="UTC")

    context = await source.read_context()
    await source.read_events(*WINDOW, context)
    source.default_window_end()

    assert len(sqlite_opens) >= 3


async def test_large_lookup_tables_give_the_same_events_as_small_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _write_sqlite(_a_quiet_start_then_people(), tmp_path / "home-assistant_v2.db")
    as_maps = await _read(url)
    # every lookup (entity ids, old states, attributes) as a binary search instead
    monkeypatch.setattr(recorder_window, "_SMALL_TABLE", 0)

    as_searches = await _read(url)

    assert_frame_equal(as_searches, as_maps)


def test_rows_come_in_home_assistants_write_order_whatever_order_they_were_read_in() -> None:
    read = pl.DataFrame({"time": [3.0, 1.0, 2.0, 2.0], "state_id": [1, 4, 3, 2]})
    in_order = pl.DataFrame({"time": [1.0, 2.0, 2.0, 3.0], "state_id": [4, 2, 3, 1]})

    assert_frame_equal(recorder_window._in_write_order(read), in_order)
    assert recorder_window._in_write_order(in_order) is in_order  # already in order: not copied


@pytest.mark.postgres
async def test_a_postgresql_database_that_does_not_exist_is_not_found(postgres_url: str) -> None:
    missing = postgres_url.rsplit("/", 1)[0] + "/hh_no_such_recorder"

    with pytest.raises(SourceNotFoundError, match="the database does not exist"):
        await _read(missing)
