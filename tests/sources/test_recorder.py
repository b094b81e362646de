"""Reading a recorder database: origins, old states, attributes, windows and clear errors."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from homehabits.context import HomeContext, Location
from homehabits.exceptions import (
    ConfigError,
    RecorderError,
    RecorderSchemaError,
    SourceNotFoundError,
)
from homehabits.sources.recorder import RecorderSource
from tests.shared_fixture import HA_FIXTURE

from .recorder_builder import RecorderBuilder, new_context_id

OWNER = "18bbd69a38024c1db6cdb2eaf5bbc03b"
NODE_RED = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
APPDAEMON = "ffeeddccbbaa99887766554433221100"
T0 = datetime(2024, 3, 4, 18, 0, tzinfo=UTC)
WINDOW = (T0 - timedelta(days=1), T0 + timedelta(days=1))


def _file_names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def _write_sqlite(builder: RecorderBuilder, path: Path) -> str:
    engine = sa.create_engine(f"sqlite:///{path}")
    builder.write(engine)
    engine.dispose()
    return f"sqlite:///{path}"


def _home(**changes: object) -> HomeContext:
    return HomeContext(time_zone="Europe/Berlin", **changes)  # type: ignore[arg-type]


def _every_cause() -> RecorderBuilder:
    """One change for each cause Home Assistant records, one minute apart."""
    home = RecorderBuilder()
    minute = timedelta(minutes=1)
    home.state("light.kitchen", "off", T0 - minute)
    home.state("light.kitchen", "on", T0, user_id=OWNER, attributes={"brightness": 200})
    home.state("switch.pump", "on", T0 + 1 * minute, user_id=NODE_RED)
    home.state("switch.fountain", "on", T0 + 2 * minute, user_id=APPDAEMON)
    home.state("light.hall", "on", T0 + 3 * minute, parent_id=new_context_id())
    # A time-triggered automation: no user, no parent; only the firing event shares its context.
    firing = home.event("automation_triggered", T0 + 4 * minute)
    home.state("automation.porch_at_dusk", "on", T0 + 4 * minute, context_id=firing)
    home.state("light.porch", "on", T0 + 4 * minute, context_id=firing)
    script = home.event("script_started", T0 + 5 * minute)
    home.state("switch.fan", "on", T0 + 5 * minute, context_id=script)
    home.state("light.desk", "on", T0 + 6 * minute)
    return home


async def _read(url: str, **options: object) -> pl.DataFrame:
    source = RecorderSource(url, **options)  # type: ignore[arg-type]
    read = await source.read_events(*WINDOW, _home())
    return read.frame


def _origin_of(frame: pl.DataFrame, entity_id: str, state: str = "on") -> str:
    row = frame.filter((pl.col("entity_id") == entity_id) & (pl.col("state") == state))
    assert row.height == 1, f"{entity_id} {state}: {row}"
    return str(row["origin"][0])


async def test_each_cause_of_a_change_gets_its_origin(tmp_path: Path) -> None:
    url = _write_sqlite(_every_cause(), tmp_path / "home-assistant_v2.db")

    frame = await _read(
        url,
        service_users=[NODE_RED, "AppDaemon"],
        auth_users={OWNER: "Owner", APPDAEMON: "AppDaemon"},
    )

    assert _origin_of(frame, "light.kitchen") == "user"
    assert _origin_of(frame, "switch.pump") == "service"  # service account given by id
    assert _origin_of(frame, "switch.fountain") == "service"  # service account given by name
    assert _origin_of(frame, "light.hall") == "automation"  # state trigger: parent context
    assert _origin_of(frame, "light.porch") == "automation"  # time trigger: firing event
    assert _origin_of(frame, "switch.fan") == "automation"  # script
    assert _origin_of(frame, "light.desk") == "device"
    kitchen = frame.filter(pl.col("entity_id") == "light.kitchen", pl.col("state") == "on")
    assert kitchen["user_id"][0] == OWNER


async def test_people_are_users_when_no_service_account_is_configured(tmp_path: Path) -> None:
    url = _write_sqlite(_every_cause(), tmp_path / "home-assistant_v2.db")

    frame = await _read(url)

    assert _origin_of(frame, "switch.pump") == "user"
    assert _origin_of(frame, "switch.fountain") == "user"


async def test_service_accounts_listed_in_the_home_context_count_as_services(
    tmp_path: Path,
) -> None:
    url = _write_sqlite(_every_cause(), tmp_path / "home-assistant_v2.db")
    source = RecorderSource(url)

    read = await source.read_events(*WINDOW, _home(service_user_ids=frozenset({NODE_RED})))

    assert _origin_of(read.frame, "switch.pump") == "service"
    assert _origin_of(read.frame, "switch.fountain") == "user"


async def test_a_late_action_of_an_automation_fired_before_the_window_is_automation(
    tmp_path: Path,
) -> None:
    home = RecorderBuilder()
    start = T0
    firing = home.event("automation_triggered", start - timedelta(hours=2))
    home.state("light.porch", "off", start + timedelta(minutes=5), context_id=firing)
    url = _write_sqlite(home, tmp_path / "home-assistant_v2.db")

    read = await RecorderSource(url).read_events(start, start + timedelta(days=1), _home())

    assert _origin_of(read.frame, "light.porch", "off") == "automation"


async def test_old_state_and_only_the_attributes_habits_use_come_out(tmp_path: Path) -> None:
    home = RecorderBuilder()
    home.state("light.sofa", "off", T0, attributes={"friendly_name": "Sofa", "brightness": None})
    home.state(
        "light.sofa",
        "on",
        T0 + timedelta(minutes=1),
        user_id=OWNER,
        attributes={"friendly_name": "Sofa", "brightness": 128, "color_temp_kelvin": 2700},
    )
    home.state(
        "cover.blind",
        "open",
        T0,
        attributes={"friendly_name": "Blind", "current_position": 40, "icon": "mdi:blinds"},
    )
    url = _write_sqlite(home, tmp_path / "home-assistant_v2.db")

    frame = await _read(url)

    sofa_on = frame.filter(pl.col("entity_id") == "light.sofa", pl.col("state") == "on")
    assert sofa_on["old_state"][0] == "off"
    assert json.loads(sofa_on["attributes"][0]) == {"brightness": 128, "color_temp_kelvin": 2700}
    sofa_off = frame.filter(pl.col("entity_id") == "light.sofa", pl.col("state") == "off")
    assert sofa_off["attributes"][0] is None
    blind = frame.filter(pl.col("entity_id") == "cover.blind")
    assert json.loads(blind["attributes"][0]) == {"current_position": 40}


async def test_rows_outside_the_window_or_without_a_state_are_left_out(tmp_path: Path) -> None:
    home = RecorderBuilder()
    home.state("light.sofa", "on", T0 - timedelta(days=3))
    home.state("light.sofa", "off", T0)
    home.state("light.sofa", None, T0 + timedelta(minutes=1))  # removed entity
    home.state("light.sofa", "on", WINDOW[1])  # the end is not part of the window
    url = _write_sqlite(home, tmp_path / "home-assistant_v2.db")

    read = await RecorderSource(url).read_events(*WINDOW, _home())

    assert read.frame.select("entity_id", "state", "old_state").rows() == [
        ("light.sofa", "off", "on")
    ]
    assert read.frame["time"][0] == T0
    assert read.rows_read == 1


async def test_an_empty_window_gives_an_empty_event_frame(tmp_path: Path) -> None:
    url = _write_sqlite(_every_cause(), tmp_path / "home-assistant_v2.db")
    far_away = T0 + timedelta(days=400)

    read = await RecorderSource(url).read_events(far_away, far_away + timedelta(days=1), _home())

    assert read.frame.is_empty()
    assert read.frame.columns == [
        "time",
        "entity_id",
        "domain",
        "state",
        "old_state",
        "origin",
        "user_id",
        "attributes",
    ]
    assert read.rows_read == 0


async def test_the_window_end_defaults_to_the_newest_recorded_change(tmp_path: Path) -> None:
    url = _write_sqlite(_every_cause(), tmp_path / "home-assistant_v2.db")
    empty = RecorderBuilder()
    empty_url = _write_sqlite(empty, tmp_path / "empty.db")

    # just after the newest change: the window (start <= time < end) keeps it
    newest = T0 + timedelta(minutes=6)
    assert RecorderSource(url).default_window_end() == newest + timedelta(microseconds=1)
    assert RecorderSource(empty_url).default_window_end() is None


async def test_without_a_config_folder_the_context_names_entities_from_the_recorder(
    tmp_path: Path,
) -> None:
    home = RecorderBuilder()
    home.state("light.sofa", "off", T0, attributes={"friendly_name": "Old name"})
    home.state("light.sofa", "on", T0 + timedelta(hours=1), attributes={"friendly_name": "Sofa"})
    home.state("switch.pump", "on", T0)
    url = _write_sqlite(home, tmp_path / "home-assistant_v2.db")

    context = await RecorderSource(url, time_zone="Europe/Berlin").read_context()

    assert context.time_zone == "Europe/Berlin"
    assert context.friendly_name("light.sofa") == "Sofa"
    assert context.friendly_name("switch.pump") == "Pump"
    assert set(context.entities) == {"light.sofa", "switch.pump"}


async def test_a_home_assistant_writing_in_wal_mode_is_read_as_committed(tmp_path: Path) -> None:
    path = tmp_path / "home-assistant_v2.db"
    url = _write_sqlite(_every_cause(), path)
    writer = sqlite3.connect(path)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        meta_id = writer.execute(
            "SELECT metadata_id FROM states_meta WHERE entity_id = 'light.desk'"
        ).fetchone()[0]
        writer.execute(
            "INSERT INTO states (state, last_updated_ts, metadata_id) VALUES ('off', ?, ?)",
            ((T0 + timedelta(minutes=7)).timestamp(), meta_id),
        )
        writer.commit()
        writer.execute("BEGIN")  # Home Assistant is mid-write while we read
        writer.execute(
            "INSERT INTO states (state, last_updated_ts, metadata_id) VALUES ('on', ?, ?)",
            ((T0 + timedelta(minutes=8)).timestamp(), meta_id),
        )

        frame = await _read(url)

        desk = frame.filter(pl.col("entity_id") == "light.desk")["state"].to_list()
        assert desk == ["on", "off"]
        assert writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        writer.rollback()
        writer.close()


async def test_a_wal_database_without_a_running_home_assistant_gets_no_new_files(
    tmp_path: Path,
) -> None:
    path = tmp_path / "home-assistant_v2.db"
    url = _write_sqlite(_every_cause(), path)
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.close()
    before = _file_names(tmp_path)

    frame = await _read(url)

    assert frame.height > 0
    assert _file_names(tmp_path) == before


async def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "home-assistant_v2.db"
    path.write_bytes(b"this is a text file, not a recorder\n" * 200)

    with pytest.raises(RecorderError, match="is not an SQLite database"):
        await _read(f"sqlite:///{path}")


async def test_a_missing_database_file_is_not_found_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nothing.db"

    with pytest.raises(SourceNotFoundError, match="does not exist"):
        await _read(f"sqlite:///{path}")
    assert not path.exists()


async def test_a_database_without_the_states_table_names_the_table(tmp_path: Path) -> None:
    path = tmp_path / "home-assistant_v2.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    RecorderBuilder().write(engine, with_tables=("schema_changes", "events", "event_types"))
    engine.dispose()

    with pytest.raises(RecorderError, match="states, states_meta, state_attributes"):
        await _read(f"sqlite:///{path}")


async def test_a_recorder_older_than_schema_41_is_refused_naming_its_version(
    tmp_path: Path,
) -> None:
    builder = _every_cause()
    builder.schema_version = 30
    url = _write_sqlite(builder, tmp_path / "home-assistant_v2.db")

    with pytest.raises(RecorderSchemaError, match="schema version 30 is too old"):
        await _read(url)


async def test_a_recorder_without_a_schema_version_is_refused(tmp_path: Path) -> None:
    builder = _every_cause()
    builder.schema_version = None
    url = _write_sqlite(builder, tmp_path / "home-assistant_v2.db")

    with pytest.raises(RecorderSchemaError, match="no recorder schema version"):
        await _read(url)


def test_a_url_of_another_database_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="use sqlite://, mysql://, mariadb:// or postgresql://"):
        RecorderSource("oracle://scott:tiger@db/home")


def test_the_description_hides_the_password() -> None:
    source = RecorderSource("mariadb://homeassistant:s3cret-pass@db.local/ha")

    assert "s3cret-pass" not in source.description
    assert "db.local/ha" in source.description


async def test_a_recorder_schema_newer_than_known_is_read_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    builder = _every_cause()
    builder.schema_version = 99
    url = _write_sqlite(builder, tmp_path / "home-assistant_v2.db")
    source = RecorderSource(url)

    read = await source.read_events(*WINDOW, _home())

    assert read.frame.height > 0
    [warning] = [w for w in read.warnings if "schema" in w]
    assert "schema version 99 is newer than homehabits knows" in warning
    assert source.warnings == (warning,)
    assert warning in caplog.text


async def test_a_known_recorder_schema_gives_no_warning(tmp_path: Path) -> None:
    url = _write_sqlite(_every_cause(), tmp_path / "home-assistant_v2.db")

    read = await RecorderSource(url).read_events(*WINDOW, _home())

    assert read.warnings == ()


async def test_the_newest_recorded_change_is_inside_the_default_window(tmp_path: Path) -> None:
    url = _write_sqlite(_every_cause(), tmp_path / "home-assistant_v2.db")
    source = RecorderSource(url)

    end = source.default_window_end()
    assert end is not None
    read = await source.read_events(end - timedelta(days=30), end, _home())
    later = await source.read_events(end, end + timedelta(days=1), _home())

    assert read.frame["entity_id"][-1] == "light.desk"  # the newest change, at T0 + 6 min
    assert later.frame.is_empty()  # the next window starts after it: never counted twice


async def test_a_row_from_a_broken_clock_does_not_move_the_window_end(tmp_path: Path) -> None:
    home = _every_cause()
    home.state("sensor.clock", "broken", datetime(9999, 1, 1, tzinfo=UTC))
    url = _write_sqlite(home, tmp_path / "home-assistant_v2.db")

    end = RecorderSource(url).default_window_end()

    assert end == T0 + timedelta(minutes=6, microseconds=1)


async def test_a_recorder_that_does_not_say_its_time_zone_is_refused_without_one(
    tmp_path: Path,
) -> None:
    url = _write_sqlite(_every_cause(), tmp_path / "home-assistant_v2.db")

    with pytest.raises(ConfigError) as caught:
        await RecorderSource(url).read_context()

    assert "give --time-zone (and --latitude/--longitude for sun habits)" in str(caught.value)


async def test_time_zone_and_location_come_from_where_home_assistant_left_them(
    tmp_path: Path,
) -> None:
    home = _every_cause()
    # onboarding (or Settings > General) fires core_config_updated with what changed
    home.event("core_config_updated", T0 - timedelta(days=3), data={"time_zone": "UTC"})
    home.event(
        "core_config_updated",
        T0 - timedelta(days=2),
        data={"time_zone": "Europe/Vienna", "latitude": 1.0, "longitude": 2.0},
    )
    home.event("core_config_updated", T0 - timedelta(days=1), data={})
    home.state(
        "zone.home",
        "0",
        T0,
        attributes={"latitude": 48.2082, "longitude": 16.3738, "radius": 100},
    )
    url = _write_sqlite(home, tmp_path / "home-assistant_v2.db")

    context = await RecorderSource(url).read_context()

    assert context.time_zone == "Europe/Vienna"
    assert context.location == Location(48.2082, 16.3738)


async def test_the_given_time_zone_and_location_win_over_the_recorders(tmp_path: Path) -> None:
    home = _every_cause()
    home.event("core_config_updated", T0, data={"time_zone": "Europe/Vienna"})
    url = _write_sqlite(home, tmp_path / "home-assistant_v2.db")

    context = await RecorderSource(
        url, time_zone="Asia/Tokyo", location=Location(35.68, 139.69)
    ).read_context()

    assert context.time_zone == "Asia/Tokyo"
    assert context.location == Location(35.68, 139.69)


async def test_a_recorder_file_in_its_config_folder_reads_the_folders_time_zone(
    tmp_path: Path,
) -> None:
    if not HA_FIXTURE.is_dir():
        pytest.skip("the shared Home Assistant fixture is not on this machine")
    folder = tmp_path / "config"
    shutil.copytree(HA_FIXTURE, folder)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)

    source = RecorderSource(f"sqlite:///{folder / 'home-assistant_v2.db'}")
    context = await source.read_context()

    assert context.time_zone == "Europe/Berlin"  # configuration.yaml's homeassistant: section
    assert context.location == Location(52.52, 13.405)  # zone.home in the recorder
