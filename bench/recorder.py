"""Benchmark: read a month from a one-million-row recorder (SQLite, PostgreSQL) into an EventFrame.

Run: `python bench/recorder.py [rows] [--rounds=3] [--sqlite-only]`. Prints figures; asserts
nothing. Each read runs in a child process so its peak memory (RSS high-water mark from getrusage)
is the read's alone. The baseline is the floor: the same window's rows fetched as bare tuples (sqlite3,
psycopg) in the same run. PostgreSQL is the local server (`HOMEHABITS_BENCH_POSTGRES`, default
postgresql://postgres@127.0.0.1:5432/test); the rows go into a database of the bench's own,
bulk-loaded with COPY and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ENTITIES = 200
DAYS = 35
OWNER = uuid.UUID(int=1).bytes
END = datetime(2025, 3, 1, tzinfo=UTC)
POSTGRES_SERVER = os.environ.get(
    "HOMEHABITS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)

_SCHEMA = """
CREATE TABLE schema_changes (change_id INTEGER PRIMARY KEY, schema_version INTEGER,
    changed DATETIME NOT NULL);
CREATE TABLE states_meta (metadata_id INTEGER PRIMARY KEY, entity_id VARCHAR(255));
CREATE UNIQUE INDEX ix_states_meta_entity_id ON states_meta (entity_id);
CREATE TABLE state_attributes (attributes_id INTEGER PRIMARY KEY, hash BIGINT, shared_attrs TEXT);
CREATE TABLE event_types (event_type_id INTEGER PRIMARY KEY, event_type VARCHAR(64));
CREATE TABLE event_data (data_id INTEGER PRIMARY KEY, hash BIGINT, shared_data TEXT);
CREATE TABLE events (event_id INTEGER PRIMARY KEY, event_type CHAR(0), event_data CHAR(0),
    origin CHAR(0), origin_idx SMALLINT, time_fired CHAR(0), time_fired_ts FLOAT,
    context_id CHAR(0), context_user_id CHAR(0), context_parent_id CHAR(0), data_id INTEGER,
    context_id_bin BLOB, context_user_id_bin BLOB, context_parent_id_bin BLOB,
    event_type_id INTEGER);
CREATE INDEX ix_events_event_type_id_time_fired_ts ON events (event_type_id, time_fired_ts);
CREATE TABLE states (state_id INTEGER PRIMARY KEY, entity_id CHAR(0), state VARCHAR(255),
    attributes CHAR(0), event_id SMALLINT, last_changed CHAR(0), last_changed_ts FLOAT,
    last_updated CHAR(0), last_updated_ts FLOAT, old_state_id INTEGER, attributes_id INTEGER,
    context_id CHAR(0), context_user_id CHAR(0), context_parent_id CHAR(0), origin_idx SMALLINT,
    context_id_bin BLOB, context_user_id_bin BLOB, context_parent_id_bin BLOB,
    metadata_id INTEGER);
CREATE INDEX ix_states_metadata_id_last_updated_ts ON states (metadata_id, last_updated_ts);
CREATE INDEX ix_states_last_updated_ts ON states (last_updated_ts);
CREATE INDEX ix_states_context_id_bin ON states (context_id_bin);
"""

# The same tables with the column types Home Assistant's db_schema.py gives PostgreSQL; the
# indexes come after the rows (see _POSTGRES_INDEXES), as a bulk load does.
_POSTGRES_SCHEMA = """
CREATE TABLE schema_changes (change_id SERIAL PRIMARY KEY, schema_version INTEGER,
    changed TIMESTAMP WITH TIME ZONE NOT NULL);
CREATE TABLE states_meta (metadata_id SERIAL PRIMARY KEY, entity_id VARCHAR(255));
CREATE TABLE state_attributes (attributes_id SERIAL PRIMARY KEY, hash BIGINT, shared_attrs TEXT);
CREATE TABLE event_types (event_type_id SERIAL PRIMARY KEY, event_type VARCHAR(64));
CREATE TABLE event_data (data_id SERIAL PRIMARY KEY, hash BIGINT, shared_data TEXT);
CREATE TABLE events (event_id SERIAL PRIMARY KEY, origin_idx SMALLINT,
    time_fired_ts DOUBLE PRECISION, data_id INTEGER, context_id_bin BYTEA,
    context_user_id_bin BYTEA, context_parent_id_bin BYTEA, event_type_id INTEGER);
CREATE TABLE states (state_id SERIAL PRIMARY KEY, state VARCHAR(255),
    last_changed_ts DOUBLE PRECISION, last_updated_ts DOUBLE PRECISION, old_state_id INTEGER,
    attributes_id INTEGER, origin_idx SMALLINT, context_id_bin BYTEA, context_user_id_bin BYTEA,
    context_parent_id_bin BYTEA, metadata_id INTEGER);
"""
_POSTGRES_INDEXES = """
CREATE UNIQUE INDEX ix_states_meta_entity_id ON states_meta (entity_id);
CREATE INDEX ix_events_event_type_id_time_fired_ts ON events (event_type_id, time_fired_ts);
CREATE INDEX ix_states_metadata_id_last_updated_ts ON states (metadata_id, last_updated_ts);
CREATE INDEX ix_states_last_updated_ts ON states (last_updated_ts);
CREATE INDEX ix_states_context_id_bin ON states (context_id_bin);
ANALYZE;
"""
# Table -> the columns copied from the SQLite recorder into PostgreSQL.
_COPIED = {
    "schema_changes": "change_id, schema_version, changed",
    "states_meta": "metadata_id, entity_id",
    "state_attributes": "attributes_id, hash, shared_attrs",
    "event_types": "event_type_id, event_type",
    "events": "event_id, time_fired_ts, context_id_bin, event_type_id",
    "states": "state_id, state, last_updated_ts, old_state_id, attributes_id, context_id_bin, "
    "context_user_id_bin, context_parent_id_bin, metadata_id",
}
# The floor both databases are measured against: the window's rows, nothing joined.
_BASELINE_SQL = (
    "SELECT state_id, state, last_updated_ts, old_state_id, attributes_id, context_id_bin, "
    "context_user_id_bin, context_parent_id_bin, metadata_id FROM states "
    "WHERE last_updated_ts >= {start} AND last_updated_ts < {end}"
)


def build(path: Path, rows: int) -> None:
    """A recorder in the real schema: ~200 entities, mixed contexts; `rows` in the last 30 days.

    Five more days of rows come before the window, so the read has to skip them.
    """
    rows = rows * DAYS // 30
    random.seed(7)
    connection = sqlite3.connect(path)
    connection.executescript(_SCHEMA)
    connection.execute("INSERT INTO schema_changes VALUES (1, 48, '2025-01-01 00:00:00')")
    domains = ["light", "switch", "sensor", "binary_sensor", "climate", "cover"]
    entities = [f"{domains[i % len(domains)]}.thing_{i}" for i in range(ENTITIES)]
    connection.executemany(
        "INSERT INTO states_meta VALUES (?, ?)", [(i + 1, e) for i, e in enumerate(entities)]
    )
    attributes = [
        json.dumps({"friendly_name": f"Thing {i}", "brightness": i % 255, "icon": "mdi:x"})
        for i in range(2_000)
    ]
    connection.executemany(
        "INSERT INTO state_attributes VALUES (?, ?, ?)",
        [(i + 1, i, text) for i, text in enumerate(attributes)],
    )
    connection.execute("INSERT INTO event_types VALUES (1, 'automation_triggered')")
    start_ts = (END - timedelta(days=DAYS)).timestamp()
    step = DAYS * 86_400 / rows
    last: dict[int, int] = {}
    batch: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []
    for state_id in range(1, rows + 1):
        metadata_id = random.randrange(1, ENTITIES + 1)
        context = uuid.uuid4().bytes
        kind = random.random()
        user = OWNER if kind < 0.3 else None
        parent = uuid.uuid4().bytes if 0.3 <= kind < 0.4 else None
        when = start_ts + state_id * step
        if 0.4 <= kind < 0.45:
            events.append((len(events) + 1, when, context, 1))
        batch.append(
            (
                state_id,
                "on" if state_id % 2 else "off",
                when,
                last.get(metadata_id),
                random.randrange(1, 2_001) if kind < 0.5 else None,
                context,
                user,
                parent,
                metadata_id,
            )
        )
        last[metadata_id] = state_id
        if len(batch) == 200_000:
            _insert_states(connection, batch)
            batch = []
    _insert_states(connection, batch)
    connection.executemany(
        "INSERT INTO events (event_id, time_fired_ts, context_id_bin, event_type_id) "
        "VALUES (?, ?, ?, ?)",
        events,
    )
    connection.commit()
    connection.close()


def _insert_states(connection: sqlite3.Connection, batch: list[tuple[object, ...]]) -> None:
    connection.executemany(
        "INSERT INTO states (state_id, state, last_updated_ts, old_state_id, attributes_id, "
        "context_id_bin, context_user_id_bin, context_parent_id_bin, metadata_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        batch,
    )


@contextmanager
def postgres_copy(sqlite_path: Path) -> Iterator[str]:
    """The SQLite recorder's rows in a PostgreSQL database of their own (COPY); its URL.

    The database is dropped afterwards, whatever happened.
    """
    import psycopg

    name = f"hh_bench_recorder_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_SERVER, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{name}"
    try:
        source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
        with psycopg.connect(url) as target:
            target.execute(_POSTGRES_SCHEMA)
            for table, columns in _COPIED.items():
                with target.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in source.execute(f"SELECT {columns} FROM {table}"):
                        copy.write_row(row)
            target.execute(_POSTGRES_INDEXES)
        source.close()
        yield url
    finally:
        with psycopg.connect(POSTGRES_SERVER, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def read(url: str) -> None:
    """Read the last 30 days (run in the child process) and print the figures."""
    from homehabits.context import HomeContext
    from homehabits.sources.recorder import RecorderSource

    source = RecorderSource(url)
    started = time.perf_counter()
    result = asyncio.run(
        source.read_events(END - timedelta(days=30), END, HomeContext(time_zone="UTC"))
    )
    seconds = time.perf_counter() - started
    frame = result.frame
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    origins = dict(frame.group_by("origin").len().sort("origin").rows())
    print(f"  rows in window : {frame.height:,} (read {result.rows_read:,})")
    print(f"  read seconds   : {seconds:.2f}")
    print(f"  rows per second: {frame.height / seconds:,.0f}")
    print(f"  frame size     : {frame.estimated_size('mb'):.0f} MB")
    print(f"  peak RSS       : {peak_mb:.0f} MB (getrusage ru_maxrss of the reading process)")
    print(f"  origins        : {origins}")
    print(f"SECONDS={seconds}")
    print(f"PEAK_MB={peak_mb:.0f}")


def baseline(url: str) -> None:
    """The floor: the same window's rows fetched as plain tuples, nothing joined or classified."""
    start, end = (END - timedelta(days=30)).timestamp(), END.timestamp()
    started = time.perf_counter()
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        rows = connection.execute(_BASELINE_SQL.format(start="?", end="?"), (start, end)).fetchall()
        driver = "sqlite3"
    else:
        import psycopg

        with psycopg.connect(url) as connection:
            rows = connection.execute(
                _BASELINE_SQL.format(start="%s", end="%s"), (start, end)
            ).fetchall()
        driver = "psycopg"
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  baseline       : {len(rows):,} rows as {driver} tuples in {seconds:.2f} s, "
        f"{peak_mb:.0f} MB"
    )
    print(f"SECONDS={seconds}")
    print(f"PEAK_MB={peak_mb:.0f}")


def measure(kind: str, url: str, rounds: int) -> None:
    """The baseline, then homehabits, each in a fresh process, `rounds` times in turn.

    Other work on the machine slows some runs: the medians and the ratio of the medians are
    the figures, the first round's lines show the details (peak RSS is each run's own).
    """
    print(f"{kind}:")
    seconds: dict[str, list[float]] = {"--baseline": [], "--read": []}
    peaks: dict[str, list[str]] = {"--baseline": [], "--read": []}
    for round_number in range(rounds):
        for mode in seconds:
            done = subprocess.run(
                [sys.executable, __file__, mode, url], check=True, capture_output=True, text=True
            )
            for line in done.stdout.splitlines():
                if line.startswith("SECONDS="):
                    seconds[mode].append(float(line.removeprefix("SECONDS=")))
                elif line.startswith("PEAK_MB="):
                    peaks[mode].append(line.removeprefix("PEAK_MB="))
                elif round_number == 0:
                    print(line)
    for mode, label in (("--baseline", "baseline"), ("--read", "homehabits")):
        runs = ", ".join(f"{value:.2f}" for value in seconds[mode])
        print(
            f"  {label:10s} seconds, median of {rounds}: {statistics.median(seconds[mode]):.2f} "
            f"({runs}); peak RSS MB: {', '.join(peaks[mode])}"
        )
    ratio = statistics.median(seconds["--read"]) / statistics.median(seconds["--baseline"])
    print(f"  ratio to baseline: {ratio:.2f}x (an EventFrame with origins vs bare tuples)")


def main() -> None:
    """Build the databases, then read each in fresh processes: the baseline, then homehabits."""
    if len(sys.argv) == 3 and sys.argv[1] in ("--read", "--baseline"):
        (read if sys.argv[1] == "--read" else baseline)(sys.argv[2])
        return
    arguments = [argument for argument in sys.argv[1:] if not argument.startswith("--")]
    rows = int(arguments[0]) if arguments else 1_000_000
    rounds = next(
        (int(a.removeprefix("--rounds=")) for a in sys.argv if a.startswith("--rounds=")), 3
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "home-assistant_v2.db"
        started = time.perf_counter()
        build(path, rows)
        size_mb = path.stat().st_size / 1e6
        print(
            f"built {rows * DAYS // 30:,} state rows ({size_mb:.0f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        measure("SQLite", f"sqlite:///{path}", rounds)
        if "--sqlite-only" in sys.argv:
            return
        import psycopg

        try:
            started = time.perf_counter()
            with postgres_copy(path) as url:
                print(f"copied into PostgreSQL in {time.perf_counter() - started:.1f} s")
                measure("PostgreSQL", url, rounds)
        except psycopg.OperationalError as err:  # no server to measure
            print(f"PostgreSQL: not measured ({err})")


if __name__ == "__main__":
    main()
