"""Registry entries and automation configs turned into context pieces (shared with the live API)."""

from __future__ import annotations

from homehabits.sources.registries import (
    areas_from_registry,
    automation_from_config,
    automations_from_configs,
    devices_from_registry,
    entities_from_registry,
    service_user_ids,
)


def test_areas_come_from_storage_and_websocket_shapes_alike() -> None:
    areas = areas_from_registry([{"id": "hall", "name": "Hall"}, {"area_id": "den", "name": "Den"}])

    assert {area_id: area.name for area_id, area in areas.items()} == {"hall": "Hall", "den": "Den"}


def test_an_entity_without_its_own_name_takes_its_devices_name() -> None:
    devices = [{"id": "d1", "name": "Hue bulb", "name_by_user": None, "area_id": "hall"}]
    entities = entities_from_registry(
        [
            {"entity_id": "light.bulb", "device_id": "d1", "has_entity_name": True},
            {
                "entity_id": "sensor.bulb_power",
                "device_id": "d1",
                "has_entity_name": True,
                "original_name": "Power",
            },
            {"entity_id": "switch.legacy", "original_name": "Legacy plug"},
            {"entity_id": "switch.nameless"},
        ],
        devices,
    )

    assert entities["light.bulb"].name == "Hue bulb"
    assert entities["sensor.bulb_power"].name == "Hue bulb Power"
    assert entities["switch.legacy"].name == "Legacy plug"
    assert entities["switch.nameless"].name == ""  # left for the recorder's friendly_name
    assert devices_from_registry(devices)["d1"].area_id == "hall"


def test_a_legacy_automation_is_normalised_to_modern_keys() -> None:
    automation = automation_from_config(
        {
            "id": "wake",
            "alias": "Wake up",
            "trigger": {"platform": "time", "at": "06:30"},
            "condition": "{{ is_state('input_boolean.workday', 'on') }}",
            "action": [
                {"service": "light.turn_on", "entity_id": "light.bedroom"},
                {
                    "if": [],
                    "then": [
                        {"service": "cover.open_cover", "target": {"entity_id": "cover.bedroom"}}
                    ],
                },
                {"repeat": {"count": 2, "sequence": [{"service": "media_player.volume_up"}]}},
            ],
        },
        "automation.wake_up",
    )

    assert automation.triggers == ({"trigger": "time", "at": "06:30"},)
    assert automation.conditions[0]["condition"] == "template"
    assert automation.actions[0]["action"] == "light.turn_on"
    assert automation.actions[1]["then"][0]["action"] == "cover.open_cover"
    assert automation.actions[2]["repeat"]["sequence"][0]["action"] == "media_player.volume_up"
    assert automation.target_entities() == {"light.bedroom", "cover.bedroom"}
    assert automation.raw["trigger"] == {"platform": "time", "at": "06:30"}


def test_a_mixed_automation_keeps_triggers_of_both_dialects() -> None:
    automation = automation_from_config(
        {
            "alias": "Mixed",
            "triggers": [{"trigger": "sun", "event": "sunset"}],
            "trigger": [{"platform": "state", "entity_id": "person.anna"}],
            "actions": [],
        },
        None,
    )

    assert [trigger["trigger"] for trigger in automation.triggers] == ["sun", "state"]


def test_an_automation_without_a_registry_entry_is_named_from_its_alias() -> None:
    (registered, unregistered) = automations_from_configs(
        [{"id": "1", "alias": "Hall light"}, {"id": "2", "alias": "Café lights at dusk"}],
        [{"entity_id": "automation.hallway", "platform": "automation", "unique_id": "1"}],
    )

    assert registered.entity_id == "automation.hallway"
    assert unregistered.entity_id == "automation.cafe_lights_at_dusk"


def test_service_accounts_are_found_by_name_or_by_id() -> None:
    users = {"aa11": "Node-RED", "bb22": "Anna"}

    assert service_user_ids(["node-red", "CC33"], users) == {"aa11", "cc33"}
