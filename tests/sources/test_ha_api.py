"""The live Home Assistant source: context and history, read from the fake Home Assistant."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from homehabits.context import HomeContext
from homehabits.events import EVENT_SCHEMA, Origin
from homehabits.sources.ha_api import HomeAssistantApiSource
from tests.fakes.fake_home_assistant import FakeHomeAssistant

URL = "http://homeassistant.local:8123"
TOKEN = "long-lived-token-for-tests"
DAY_ONE = datetime(2024, 3, 4, tzinfo=UTC)


def _home(**options: object) -> FakeHomeAssistant:
    """A small home: a kitchen and a porch, two people, a Node-RED account, one automation."""
    fake = FakeHomeAssistant(token=TOKEN, **options)  # type: ignore[arg-type]
    fake.add_area("kitchen", "Kitchen")
    fake.add_area("porch", "Porch")
    fake.add_device("dev-kitchen", "Ceiling lamp", area_id="kitchen", manufacturer="IKEA")
    fake.add_entity(
        "light.kitchen",
        original_name="Light",
        device_id="dev-kitchen",
        has_entity_name=True,
        state="off",
        attributes={"friendly_name": "Ceiling lamp Light", "supported_color_modes": ["brightness"]},
    )
    fake.add_entity("light.porch", name="Porch light", area_id="porch", state="off", attributes={})
    fake.add_entity("switch.coffee", state="off", attributes={"friendly_name": "Coffee maker"})
    fake.add_entity(
        "binary_sensor.hall_motion",
        state="off",
        attributes={"friendly_name": "Hall motion", "device_class": "motion"},
    )
    fake.add_entity("sensor.power", state="120", attributes={"unit_of_measurement": "W"})
    fake.add_automation(
        {
            "id": "1700000000001",
            "alias": "Porch at sunset",
            "trigger": [{"platform": "sun", "event": "sunset"}],
            "action": [{"service": "light.turn_on", "target": {"entity_id": "light.porch"}}],
        }
    )
    return fake


def _source(fake: FakeHomeAssistant, **options: object) -> HomeAssistantApiSource:
    return HomeAssistantApiSource(
        URL,
        TOKEN,
        transport=fake.transport(),
        ws_connect=fake.ws_connect,
        backoff=0.0,
        **options,  # type: ignore[arg-type]
    )


async def test_context_names_rooms_devices_people_and_existing_automations() -> None:
    fake = _home(
        version="2024.3.3", time_zone="America/New_York", latitude=40.7, temperature_unit="°F"
    )
    anna = fake.add_user("Anna")
    node_red = fake.add_user("Node-RED")

    context = await _source(fake, service_users=["node-red"]).read_context()

    assert context.ha_version == "2024.3.3"
    assert context.time_zone == "America/New_York"
    assert context.temperature_unit == "°F"
    assert context.location is not None
    assert context.location.latitude == pytest.approx(40.7)
    assert context.friendly_name("light.kitchen") == "Ceiling lamp Light"
    assert context.area_name("light.kitchen") == "Kitchen"  # through its device
    assert context.area_name("light.porch") == "Porch"
    assert context.entities["binary_sensor.hall_motion"].device_class == "motion"
    assert context.users == {anna: "Anna", node_red: "Node-RED"}
    assert context.service_user_ids == frozenset({node_red})
    (porch,) = context.automations
    assert porch.entity_id == "automation.porch_at_sunset"
    assert porch.automation_id == "1700000000001"
    assert porch.triggers[0]["trigger"] == "sun"
    assert porch.target_entities() == frozenset({"light.porch"})


async def test_context_is_read_in_one_bulk_read_per_kind_and_one_websocket() -> None:
    fake = _home()

    await _source(fake).read_context()

    assert fake.count("/api/states") == 1
    assert fake.count("/api/config") == 1
    assert fake.count("/api/config/automation") == 0  # configs came over the WebSocket
    commands = [request.path for request in fake.requests if request.method == "WS"]
    assert sorted(commands) == sorted(
        [
            "config/entity_registry/list",
            "config/device_registry/list",
            "config/area_registry/list",
            "config/auth/list",
            "auth/current_user",
            "automation/config",
        ]
    )


async def test_a_token_that_may_not_list_users_still_reads_the_home() -> None:
    fake = _home()
    fake.users_need_admin = True

    context = await _source(fake, service_users=["0" * 32]).read_context()

    assert context.users == {}
    assert context.service_user_ids == frozenset({"0" * 32})  # ids work without the user list
    assert "light.porch" in context.entities


async def test_each_change_carries_who_caused_it() -> None:
    fake = _home()
    anna = fake.add_user("Anna")
    node_red = fake.add_user("Node-RED")
    fake.record(
        "light.kitchen", "on", DAY_ONE.replace(hour=6), user_id=anna, attributes={"brightness": 200}
    )
    fake.record("light.kitchen", "off", DAY_ONE.replace(hour=7))
    fake.record(
        "light.porch", "on", DAY_ONE.replace(hour=18), automation="automation.porch_at_sunset"
    )
    fake.record("switch.coffee", "on", DAY_ONE.replace(hour=6, minute=30), user_id=node_red)
    fake.record("light.porch", "off", DAY_ONE.replace(hour=23), script="script.good_night")
    fake.record("sensor.power", "250", DAY_ONE.replace(hour=6, minute=1))
    source = _source(fake, service_users=["Node-RED"])
    context = await source.read_context()

    read = await source.read_events(DAY_ONE, DAY_ONE + timedelta(days=1), context)

    rows = read.frame.select("entity_id", "state", "origin", "user_id").rows()
    assert rows == [
        ("light.kitchen", "on", Origin.USER, anna),
        ("switch.coffee", "on", Origin.SERVICE, node_red),
        ("light.kitchen", "off", Origin.DEVICE, None),
        ("light.porch", "on", Origin.AUTOMATION, None),
        ("light.porch", "off", Origin.AUTOMATION, None),
    ]
    assert read.frame.schema == pl.Schema(EVENT_SCHEMA)
    assert read.warnings == ()


async def test_changes_keep_the_state_before_and_the_attributes_that_matter() -> None:
    fake = _home()
    fake.record("light.kitchen", "on", DAY_ONE - timedelta(hours=3), attributes={"brightness": 80})
    fake.record("light.kitchen", "off", DAY_ONE - timedelta(hours=2))
    fake.record(
        "light.kitchen",
        "on",
        DAY_ONE + timedelta(hours=5),
        attributes={"brightness": 255, "friendly_name": "Lamp", "rgb_color": [1, 2, 3]},
    )
    source = _source(fake)
    context = await source.read_context()

    read = await source.read_events(DAY_ONE, DAY_ONE + timedelta(days=1), context)

    (row,) = read.frame.to_dicts()
    assert row["old_state"] == "off"  # from before the window
    assert json.loads(row["attributes"]) == {"brightness": 255}
    assert row["time"] == DAY_ONE + timedelta(hours=5)


async def test_a_thirty_day_window_is_read_one_day_per_request() -> None:
    fake = _home()
    for day in range(30):
        fake.record(
            "light.porch", "on" if day % 2 else "off", DAY_ONE + timedelta(days=day, hours=20)
        )
    source = _source(fake)
    context = await source.read_context()

    read = await source.read_events(DAY_ONE, DAY_ONE + timedelta(days=30), context)

    logbook = [r for r in fake.requests if r.path.startswith("/api/logbook/")]
    history = [r for r in fake.requests if r.path.startswith("/api/history/period/")]
    assert len(logbook) == 30
    assert len(history) == 30
    for request in logbook + history:
        start = datetime.fromisoformat(request.path.rsplit("/", 1)[1])
        assert datetime.fromisoformat(request.query["end_time"]) - start == timedelta(days=1)
    assert read.frame.height == 30
    assert read.frame["time"].is_sorted()


async def test_history_asks_only_for_the_entities_habits_can_use() -> None:
    fake = _home()
    source = _source(fake)
    context = await source.read_context()

    await source.read_events(DAY_ONE, DAY_ONE + timedelta(days=1), context)

    (history,) = [r for r in fake.requests if r.path.startswith("/api/history/")]
    asked = set(history.query["filter_entity_id"].split(","))
    assert "light.kitchen" in asked
    assert "binary_sensor.hall_motion" in asked
    assert "sensor.power" not in asked
    assert "automation.porch_at_sunset" not in asked


async def test_without_a_logbook_changes_come_from_history_with_unknown_cause() -> None:
    fake = _home(logbook=False)
    fake.record("light.kitchen", "on", DAY_ONE - timedelta(hours=1))
    fake.record("light.kitchen", "off", DAY_ONE + timedelta(hours=1))
    source = _source(fake)
    context = await source.read_context()

    read = await source.read_events(DAY_ONE, DAY_ONE + timedelta(days=1), context)

    assert read.frame.select("state", "old_state", "origin").rows() == [
        ("off", "on", Origin.UNKNOWN)
    ]
    assert any("logbook" in warning for warning in read.warnings)


async def test_the_description_names_the_address_and_never_the_token() -> None:
    source = HomeAssistantApiSource(URL, TOKEN)

    assert source.description == f"Home Assistant at {URL}"
    assert TOKEN not in repr(source)


async def test_naive_window_bounds_are_refused() -> None:
    source = _source(_home())

    with pytest.raises(ValueError, match="timezone-aware"):
        await source.read_events(
            datetime(2024, 3, 4), datetime(2024, 3, 5), HomeContext(time_zone="UTC")
        )
