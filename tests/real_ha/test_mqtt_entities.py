"""The MQTT discovery entities in a real Home Assistant: they appear, follow a run, start one.

Each instance is given the MQTT integration on the local Mosquitto (once; it stays, as an
owner's would), then homehabits publishes under the real discovery prefix `homeassistant`.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
import pytest

from homehabits.config import Settings
from homehabits.job import AnalysisRunner
from homehabits.mqtt import MqttPublisher
from homehabits.sources.simulator import DemoSource, SimulationConfig
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from tests.real_ha.conftest import RealHomeAssistant
from tests.required_services import missing_service

pytestmark = pytest.mark.real_ha

_BROKER = ("127.0.0.1", 1883)
_ENTITIES = (
    "sensor.homehabits_pending_suggestions",
    "sensor.homehabits_last_run",
    "binary_sensor.homehabits_analysis_running",
    "button.homehabits_run_analysis",
)


def _with_mqtt(real_ha: RealHomeAssistant) -> None:
    """Give the instance the MQTT integration on the local broker, unless it has it already."""
    with real_ha.client() as ha:
        entries = ha.get("/api/config/config_entries/entry").json()
        if any(entry["domain"] == "mqtt" for entry in entries):
            return
        flow = ha.post("/api/config/config_entries/flow", json={"handler": "mqtt"}).json()
        done = ha.post(
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            json={"broker": _BROKER[0], "port": _BROKER[1]},
        ).json()
        assert done["type"] == "create_entry", done


def _state(ha: httpx.Client, entity_id: str) -> str | None:
    answer = ha.get(f"/api/states/{entity_id}")
    return answer.json()["state"] if answer.status_code == 200 else None


async def _until(real_ha: RealHomeAssistant, check: Any, what: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    with real_ha.client() as ha:
        while not check(ha):
            if time.monotonic() > deadline:
                states = {entity: _state(ha, entity) for entity in _ENTITIES}
                raise AssertionError(f"{what} within {within:g} s; Home Assistant shows {states}")
            await asyncio.sleep(0.5)


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}")
    await migrate(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def _clear_retained(root: str) -> None:
    """Remove the retained configs and states, so Home Assistant drops the entities again."""
    async with aiomqtt.Client(*_BROKER, identifier=f"hh-clean-{uuid.uuid4().hex[:8]}") as client:
        for component, key in (
            ("sensor", "pending_suggestions"),
            ("sensor", "last_run"),
            ("binary_sensor", "analysis_running"),
            ("button", "run_analysis"),
        ):
            await client.publish(
                f"homeassistant/{component}/homehabits/{key}/config", b"", retain=True
            )
        for topic in (
            "availability",
            "pending_suggestions/state",
            "pending_suggestions/attributes",
            "last_run/state",
            "last_run/attributes",
            "analysis_running/state",
        ):
            await client.publish(f"{root}/{topic}", b"", retain=True)


async def test_the_entities_appear_in_home_assistant_and_its_button_starts_a_run(
    real_ha: RealHomeAssistant, sessions: Sessions, tmp_path: Path
) -> None:
    try:
        socket.create_connection(_BROKER, timeout=2).close()
    except OSError:
        missing_service(f"no MQTT broker (Mosquitto) at {_BROKER[0]}:{_BROKER[1]}")
    _with_mqtt(real_ha)
    root = f"hhreal_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}",
        mqtt_url=f"mqtt://{_BROKER[0]}:{_BROKER[1]}",
    )
    runner = AnalysisRunner(settings, sessions, lambda: DemoSource(SimulationConfig()))
    publisher = MqttPublisher(settings, runner, sessions, topic_root=root)
    publisher.start()
    try:
        await _until(
            real_ha,
            lambda ha: (
                _state(ha, "sensor.homehabits_pending_suggestions") == "0"
                and _state(ha, "binary_sensor.homehabits_analysis_running") == "off"
                and _state(ha, "button.homehabits_run_analysis") not in (None, "unavailable")
            ),
            "the four entities did not appear",
        )

        # pressed in Home Assistant, as the owner would on a dashboard
        with real_ha.client() as ha:
            pressed = ha.post(
                "/api/services/button/press",
                json={"entity_id": "button.homehabits_run_analysis"},
            )
        assert pressed.status_code == 200, pressed.text

        await _until(
            real_ha,
            lambda ha: (
                _state(ha, "sensor.homehabits_last_run") == "succeeded"
                and _state(ha, "binary_sensor.homehabits_analysis_running") == "off"
            ),
            "the run the button started did not show as succeeded",
            within=120,
        )
        with real_ha.client() as ha:
            pending = ha.get("/api/states/sensor.homehabits_pending_suggestions").json()
        assert int(pending["state"]) > 0
        assert pending["attributes"]["titles"]
    finally:
        await publisher.stop()
        try:
            await _until(
                real_ha,
                lambda ha: _state(ha, "sensor.homehabits_pending_suggestions") == "unavailable",
                "the entities did not become unavailable when homehabits went offline",
                within=30,
            )
        finally:
            await _clear_retained(root)
