"""Benchmark: read a month from a one-million-row SQLite recorder into an EventFrame.

Run: `python bench/recorder.py [rows]`. Prints figures; asserts nothing. The read runs in a
child process so its peak memory (RSS high-water mark from getrusage) is the read's alone.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ENTITIES = 200
DAYS = 35
OWNER = uuid.UUID(int=1).bytes
END = datetime(2025, 3, 1, tzinfo=UTC)

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


def read(path: Path) -> None:
    """Read the last 30 days (run in the child process) and print the figures."""
    from homehabits.context import HomeContext
    from homehabits.sources.recorder import RecorderSource

    source = RecorderSource(f"sqlite:///{path}")
    started = time.perf_counter()
    result = asyncio.run(
        source.read_events(END - timedelta(days=30), END, HomeContext(time_zone="UTC"))
    )
    seconds = time.perf_counter() - started
    frame = result.frame
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    origins = dict(frame.group_by("origin").len().rows())
    print(f"rows in window : {frame.height:,} (read {result.rows_read:,})")
    print(f"read seconds   : {seconds:.2f}")
    print(f"rows per second: {frame.height / seconds:,.0f}")
    print(f"frame size     : {frame.estimated_size('mb'):.0f} MB")
    print(f"peak RSS       : {peak_mb:.0f} MB (getrusage ru_maxrss of the reading process)")
    print(f"origins        : {origins}")
    print(f"SECONDS={seconds}")


def baseline(path: Path) -> None:
    """The floor: the same window's rows fetched as plain tuples, nothing joined or classified."""
    started = time.perf_counter()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    start, end = (END - timedelta(days=30)).timestamp(), END.timestamp()
    rows = connection.execute(
        "SELECT state_id, state, last_updated_ts, old_state_id, attributes_id, context_id_bin, "
        "context_user_id_bin, context_parent_id_bin, metadata_id FROM states "
        "WHERE last_updated_ts >= ? AND last_updated_ts < ?",
        (start, end),
    ).fetchall()
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"baseline       : {len(rows):,} rows as sqlite3 tuples in {seconds:.2f} s, {peak_mb:.0f} MB"
    )
    print(f"SECONDS={seconds}")


def main() -> None:
    """Build the database, then read it in fresh processes: the baseline, then homehabits."""
    if len(sys.argv) == 3 and sys.argv[1] in ("--read", "--baseline"):
        (read if sys.argv[1] == "--read" else baseline)(Path(sys.argv[2]))
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "home-assistant_v2.db"
        started = time.perf_counter()
        build(path, rows)
        size_mb = path.stat().st_size / 1e6
        print(
            f"built {rows * DAYS // 30:,} state rows ({size_mb:.0f} MB) in {time.perf_counter() - started:.1f} s"
        )
        seconds = {}
        for mode in ("--baseline", "--read"):
            done = subprocess.run(
                [sys.executable, __file__, mode, str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            for line in done.stdout.splitlines():
                if line.startswith("SECONDS="):
                    seconds[mode] = float(line.removeprefix("SECONDS="))
                else:
                    print(line)
        ratio = seconds["--read"] / seconds["--baseline"]
        print(f"ratio to baseline: {ratio:.2f}x (an EventFrame with origins vs bare tuples)")


if __name__ == "__main__":
    main()
