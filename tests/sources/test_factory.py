"""Choosing a source from a spec such as `ha-config:/config` or `recorder:URL`."""

from __future__ import annotations

from pathlib import Path

import pytest

from homehabits.config import Settings
from homehabits.context import Location
from homehabits.exceptions import ConfigError
from homehabits.sources.event_file import EventFileSource
from homehabits.sources.factory import source_from_spec
from homehabits.sources.ha_config import HaConfigSource
from homehabits.sources.recorder import RecorderSource


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg,arg-type]


def test_a_recorder_spec_gives_a_recorder_source_with_the_service_accounts() -> None:
    source = source_from_spec(
        "recorder:postgresql://ha:pw@db/ha", _settings(service_users="Node-RED")
    )

    assert isinstance(source, RecorderSource)
    assert "postgresql+psycopg://ha:***@db/ha" in source.description


def test_a_config_folder_spec_gives_the_config_folder_source(tmp_path: Path) -> None:
    (tmp_path / ".storage").mkdir()

    source = source_from_spec(f"ha-config:{tmp_path}", _settings())

    assert isinstance(source, HaConfigSource)


def test_an_events_spec_reads_the_file_in_the_configured_time_zone(tmp_path: Path) -> None:
    source = source_from_spec(
        f"events:{tmp_path / 'history.csv'}", _settings(time_zone="Europe/Berlin")
    )

    assert isinstance(source, EventFileSource)
    assert str(tmp_path / "history.csv") in source.description


def test_the_live_api_needs_an_address_and_a_token() -> None:
    with pytest.raises(ConfigError, match="HOMEHABITS_HA_URL and HOMEHABITS_HA_TOKEN"):
        source_from_spec("ha-api", _settings())


def test_an_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(ConfigError, match="unknown source 'influx:db'") as caught:
        source_from_spec("influx:db", _settings())

    for kind in ("demo", "ha-config:DIR", "recorder:URL", "ha-api", "events:FILE"):
        assert kind in str(caught.value)


def test_a_kind_without_its_value_says_what_is_missing() -> None:
    with pytest.raises(ConfigError, match="needs a value: recorder:URL"):
        source_from_spec("recorder:", _settings())


def test_a_demo_seed_must_be_a_number() -> None:
    pytest.importorskip("homehabits.sources.simulator")

    with pytest.raises(ConfigError, match="seed must be a whole number"):
        source_from_spec("demo:tomorrow", _settings())


def test_the_demo_home_is_simulated_for_the_days_analysed() -> None:
    from homehabits.sources.simulator import DemoSource

    source = source_from_spec("demo:7", _settings(analysis_days=45))

    assert isinstance(source, DemoSource)
    assert "45 days" in source.description
    assert "seed 7" in source.description


def test_no_source_is_an_error_listing_the_sources_never_the_demo_home() -> None:
    assert _settings().source is None

    with pytest.raises(ConfigError, match="no source given") as caught:
        source_from_spec(_settings().source, _settings())

    for kind in ("demo", "ha-config:DIR", "recorder:URL", "ha-api", "events:FILE"):
        assert kind in str(caught.value)


async def test_the_settings_location_reaches_the_source(tmp_path: Path) -> None:
    events = tmp_path / "history.csv"
    events.write_text("time,entity_id,state\n2024-03-04T06:30:00Z,light.hall,on\n")
    settings = _settings(time_zone="Europe/Berlin", latitude=52.52, longitude=13.405)

    context = await source_from_spec(f"events:{events}", settings).read_context()

    assert context.location == Location(52.52, 13.405)
    assert context.time_zone == "Europe/Berlin"


def test_a_latitude_without_a_longitude_is_refused() -> None:
    with pytest.raises(ConfigError, match="latitude and longitude together"):
        source_from_spec("demo", _settings(latitude=52.52))
