"""Home Assistant's JSON answers become plain records, whatever odd shapes they come in."""

from __future__ import annotations

from datetime import UTC, datetime

from homehabits.homeassistant.records import (
    HaConfig,
    config_of,
    logbook_entry_of,
    registries_of,
    state_of,
)


def test_the_home_config_keeps_version_zone_place_and_unit() -> None:
    config = config_of(
        {
            "version": "2024.3.3",
            "time_zone": "Europe/Berlin",
            "latitude": "52.5",
            "longitude": 13.4,
            "elevation": None,
            "location_name": "",
            "unit_system": {"temperature": "°F"},
        }
    )

    assert config == HaConfig(
        version="2024.3.3",
        time_zone="Europe/Berlin",
        latitude=52.5,
        longitude=13.4,
        elevation=None,
        location_name=None,
        temperature_unit="°F",
    )
    assert config_of({"version": "2026.2.3"}).time_zone == "UTC"


def test_a_state_without_attributes_or_times_is_still_a_state() -> None:
    state = state_of({"entity_id": "light.kitchen", "state": "on", "attributes": "nonsense"})

    assert state.entity_id == "light.kitchen"
    assert state.attributes == {}
    assert state.last_changed is None
    assert state.last_updated is None


def test_a_logbook_line_without_a_time_is_dropped_and_an_aware_one_kept() -> None:
    assert logbook_entry_of({"entity_id": "light.kitchen", "when": "yesterday"}) is None

    entry = logbook_entry_of(
        {"when": "2026-01-05T06:30:00+00:00", "entity_id": "light.kitchen", "state": "on"}
    )

    assert entry is not None
    assert entry.when == datetime(2026, 1, 5, 6, 30, tzinfo=UTC)
    assert entry.context_user_id is None


def test_registries_without_users_or_configs_say_so() -> None:
    registries = registries_of(
        [[{"entity_id": "light.kitchen"}, "junk"], [], None, None, {"id": "abc"}, {"config": 1}],
        ["automation.morning"],
    )

    assert registries.entities == [{"entity_id": "light.kitchen"}]
    assert registries.areas == []
    assert registries.users is None
    assert registries.automation_configs == {}
    assert registries.token_user_id == "abc"
