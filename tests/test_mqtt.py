"""The MQTT discovery entities, seen by a subscriber on the local Mosquitto (127.0.0.1:1883)."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from homehabits.config import Settings
from homehabits.job import AnalysisRunner
from homehabits.mqtt import MqttPublisher, MqttState
from homehabits.sources.simulator import DemoSource, SimulationConfig
from homehabits.store import repository
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from tests.required_services import missing_service

_BROKER = ("127.0.0.1", 1883)


def _broker_answers() -> bool:
    try:
        with socket.create_connection(_BROKER, timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def broker() -> None:
    if not _broker_answers():
        missing_service(f"no MQTT broker (Mosquitto) at {_BROKER[0]}:{_BROKER[1]}")


@pytest.fixture
def names() -> tuple[str, str]:
    """A discovery prefix and topic root of this test's own, so tests share the broker."""
    token = uuid.uuid4().hex[:10]
    return f"hhtest_{token}", f"hhroot_{token}"


def _settings(tmp_path: Path, prefix: str, url: str = "mqtt://127.0.0.1:1883") -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}",
        mqtt_url=url,
        mqtt_discovery_prefix=prefix,
    )


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}")
    await migrate(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(scope="module")
def demo() -> DemoSource:
    return DemoSource(SimulationConfig())


class _Seen:
    """What a subscriber has received, by topic (the latest payload and all of them)."""

    def __init__(self) -> None:
        self.latest: dict[str, str] = {}
        self.all: list[tuple[str, str]] = []
        self._changed = asyncio.Event()

    def add(self, topic: str, payload: str) -> None:
        self.latest[topic] = payload
        self.all.append((topic, payload))
        self._changed.set()

    async def until(self, check: Callable[[], bool], within: float = 30.0) -> None:
        async with asyncio.timeout(within):
            while not check():
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
async def subscriber(broker: None, names: tuple[str, str]) -> AsyncIterator[_Seen]:
    prefix, root = names
    seen = _Seen()
    async with aiomqtt.Client(*_BROKER, identifier=f"hh-test-{uuid.uuid4().hex[:8]}") as client:
        await client.subscribe(f"{prefix}/#", qos=1)
        await client.subscribe(f"{root}/#", qos=1)

        async def read() -> None:
            async for message in client.messages:
                payload = message.payload
                text = payload.decode() if isinstance(payload, bytes) else str(payload)
                seen.add(str(message.topic), text)

        reader = asyncio.create_task(read())
        yield seen
        reader.cancel()
        # leave the broker clean: retained messages of this test are removed
        for topic in list(seen.latest):
            await client.publish(topic, b"", retain=True)


async def _publisher(
    tmp_path: Path, sessions: Sessions, demo: DemoSource, names: tuple[str, str]
) -> tuple[MqttPublisher, AnalysisRunner]:
    prefix, root = names
    settings = _settings(tmp_path, prefix)
    runner = AnalysisRunner(settings, sessions, lambda: demo)
    publisher = MqttPublisher(settings, runner, sessions, topic_root=root)
    publisher.start()
    return publisher, runner


def _json(seen: _Seen, topic: str) -> Any:
    return json.loads(seen.latest[topic])


async def test_a_subscriber_sees_the_retained_discovery_configs_and_the_states(
    tmp_path: Path,
    sessions: Sessions,
    demo: DemoSource,
    names: tuple[str, str],
    subscriber: _Seen,
) -> None:
    prefix, root = names
    publisher, runner = await _publisher(tmp_path, sessions, demo, names)
    try:
        configs = [
            f"{prefix}/sensor/homehabits/pending_suggestions/config",
            f"{prefix}/sensor/homehabits/last_run/config",
            f"{prefix}/binary_sensor/homehabits/analysis_running/config",
            f"{prefix}/button/homehabits/run_analysis/config",
        ]
        await subscriber.until(
            lambda: (
                all(t in subscriber.latest for t in configs)
                and subscriber.latest.get(f"{root}/last_run/state") == "none"
                and f"{root}/analysis_running/state" in subscriber.latest
            )
        )
        pending = _json(subscriber, configs[0])
        assert pending["unique_id"] == "homehabits_pending_suggestions"
        assert pending["name"] == "Pending suggestions"  # with the device: sensor.homehabits_…
        assert pending["device"]["name"] == "homehabits"
        assert pending["device"]["identifiers"] == ["homehabits"]
        assert pending["availability_topic"] == f"{root}/availability"
        assert pending["json_attributes_topic"] == f"{root}/pending_suggestions/attributes"
        button = _json(subscriber, configs[3])
        assert button["command_topic"] == f"{root}/run_analysis/press"
        assert subscriber.latest[f"{root}/availability"] == "online"
        assert subscriber.latest[f"{root}/pending_suggestions/state"] == "0"
        assert subscriber.latest[f"{root}/analysis_running/state"] == "OFF"
        assert publisher.status.state is MqttState.CONNECTED

        result = await runner.run("cli")

        created = result.run.summary.suggestions_created
        assert created > 0
        await subscriber.until(
            lambda: (
                subscriber.latest.get(f"{root}/pending_suggestions/state") == str(created)
                and subscriber.latest.get(f"{root}/last_run/state") == "succeeded"
                # the running state is published last: the attributes before it are in
                and subscriber.latest.get(f"{root}/analysis_running/state") == "OFF"
            )
        )
        titles = _json(subscriber, f"{root}/pending_suggestions/attributes")["titles"]
        assert set(titles) <= {s.title for s in result.suggestions}
        assert len(titles) == min(created, 50)
        last = _json(subscriber, f"{root}/last_run/attributes")
        assert last["run_id"] == result.run.id
        assert last["suggestions_created"] == created
        assert last["finished_at"]
        running = [p for t, p in subscriber.all if t == f"{root}/analysis_running/state"]
        assert "ON" in running
        assert running[-1] == "OFF"
    finally:
        await publisher.stop()
    await subscriber.until(lambda: subscriber.latest[f"{root}/availability"] == "offline")


async def test_pressing_the_button_starts_a_run(
    tmp_path: Path,
    sessions: Sessions,
    demo: DemoSource,
    names: tuple[str, str],
    subscriber: _Seen,
) -> None:
    _, root = names
    publisher, runner = await _publisher(tmp_path, sessions, demo, names)
    try:
        await subscriber.until(lambda: subscriber.latest.get(f"{root}/availability") == "online")
        async with aiomqtt.Client(*_BROKER) as client:
            await client.publish(f"{root}/run_analysis/press", "PRESS", qos=1)

        await subscriber.until(
            lambda: subscriber.latest.get(f"{root}/last_run/state") == "succeeded", within=60
        )
        run = await repository.latest_run(sessions)
        assert run is not None
        assert run.trigger == "mqtt"
        await runner.wait()
    finally:
        await publisher.stop()


async def test_the_last_will_says_offline_when_the_connection_drops_and_it_comes_back(
    tmp_path: Path,
    sessions: Sessions,
    demo: DemoSource,
    names: tuple[str, str],
    subscriber: _Seen,
) -> None:
    _, root = names
    availability = f"{root}/availability"
    publisher, _ = await _publisher(tmp_path, sessions, demo, names)
    try:
        await subscriber.until(lambda: subscriber.latest.get(availability) == "online")
        client = publisher._client
        assert client is not None
        # the connection dies without a goodbye, as when the network or the process goes
        client._client.socket().shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]

        await subscriber.until(lambda: (availability, "offline") in subscriber.all)
        # and the publisher reconnects on its own
        await subscriber.until(
            lambda: (
                subscriber.all.index((availability, "offline"))
                < max(
                    i for i, item in enumerate(subscriber.all) if item == (availability, "online")
                )
            )
        )
    finally:
        await publisher.stop()


async def test_a_broker_that_cannot_be_reached_is_a_warning_never_a_crash(
    tmp_path: Path, sessions: Sessions, demo: DemoSource
) -> None:
    settings = _settings(tmp_path, "hhtest_none", url="mqtt://127.0.0.1:1")
    runner = AnalysisRunner(settings, sessions, lambda: demo)
    publisher = MqttPublisher(settings, runner, sessions)
    publisher.start()
    try:
        async with asyncio.timeout(15):
            # the status is a plain property, polled as /health reads it
            while publisher.status.state is not MqttState.UNREACHABLE:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert "127.0.0.1:1" in (publisher.status.detail or "")
    finally:
        await publisher.stop()
