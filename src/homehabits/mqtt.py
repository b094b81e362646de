"""MQTT discovery: homehabits as a device in Home Assistant, through the home's broker.

Four entities on one device "homehabits": the pending suggestions (their count, the titles as
attributes), the last run (its status; time and counts as attributes), whether an analysis is
running, and a button that starts one. The discovery configs and the states are retained, so
Home Assistant finds them after its own restart; an availability topic with a last will says
`offline` when the service's connection drops. The publisher runs inside `serve`, publishes at
start and whenever a run starts or ends, and reconnects with a growing pause when the broker
goes away: an unreachable broker is a warning in `/health`, never a failure of the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import aiomqtt

from homehabits import __version__
from homehabits.config import Settings
from homehabits.exceptions import HomeHabitsError, RunInProgressError
from homehabits.job import AnalysisRunner
from homehabits.store import repository
from homehabits.store.engine import Sessions
from homehabits.store.records import SuggestionStatus

__all__ = ["MqttPublisher", "MqttState", "MqttStatus", "Topics"]

_LOGGER = logging.getLogger(__name__)

_NODE: Final = "homehabits"
_FIRST_PAUSE_SECONDS: Final = 1.0
_LONGEST_PAUSE_SECONDS: Final = 60.0
_KEEPALIVE_SECONDS: Final = 30
_TITLES_SHOWN: Final = 50  # attributes stay small: Home Assistant keeps them in every state row


class MqttState(StrEnum):
    """How the connection to the broker is."""

    NOT_CONFIGURED = "not_configured"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class MqttStatus:
    """The broker connection's state, and why when it is not connected."""

    state: MqttState
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Topics:
    """Every topic homehabits publishes to or listens on."""

    discovery_prefix: str
    root: str = _NODE

    @property
    def availability(self) -> str:
        """`online` while connected, `offline` (the last will) when not."""
        return f"{self.root}/availability"

    def state(self, key: str) -> str:
        """Where one entity's state goes."""
        return f"{self.root}/{key}/state"

    def attributes(self, key: str) -> str:
        """Where one entity's JSON attributes go."""
        return f"{self.root}/{key}/attributes"

    @property
    def run_command(self) -> str:
        """The run button's command topic."""
        return f"{self.root}/run_analysis/press"

    def discovery(self, component: str, key: str) -> str:
        """Where one entity's discovery config goes."""
        return f"{self.discovery_prefix}/{component}/{_NODE}/{key}/config"


class MqttPublisher:
    """Keeps homehabits' entities up to date on the broker of `HOMEHABITS_MQTT_URL`."""

    def __init__(
        self,
        settings: Settings,
        runner: AnalysisRunner,
        sessions: Sessions,
        *,
        topic_root: str = _NODE,  # tests use their own, to share a broker
    ) -> None:
        if not settings.mqtt_url:
            raise ValueError("MqttPublisher needs HOMEHABITS_MQTT_URL")
        self._settings = settings
        self._url = settings.mqtt_url
        self._runner = runner
        self._sessions = sessions
        self.topics = Topics(settings.mqtt_discovery_prefix, topic_root)
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client: aiomqtt.Client | None = None
        self._status = MqttStatus(MqttState.CONNECTING)
        # one id per process: the broker ends an older connection that uses the same one
        self._identifier = f"homehabits-{uuid.uuid4().hex[:12]}"
        runner.watch(self._changed.set)

    @property
    def status(self) -> MqttStatus:
        """How the connection is now (for `/health`)."""
        return self._status

    def start(self) -> None:
        """Connect and publish in the background, until `stop`."""
        self._task = asyncio.create_task(self._keep_connected(), name="homehabits-mqtt")

    async def stop(self) -> None:
        """Say `offline`, disconnect and stop."""
        client = self._client
        if client is not None:
            with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                await client.publish(
                    self.topics.availability, "offline", qos=1, retain=True, timeout=2
                )
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # -- the connection --------------------------------------------------------------------

    async def _keep_connected(self) -> None:
        pause = _FIRST_PAUSE_SECONDS
        while True:
            try:
                async with self._new_client() as client:
                    self._client = client
                    self._status = MqttStatus(MqttState.CONNECTED)
                    _LOGGER.info("connected to the MQTT broker at %s", self._where())
                    pause = _FIRST_PAUSE_SECONDS
                    await self._serve(client)
            except aiomqtt.MqttError as err:
                detail = f"the MQTT broker at {self._where()} cannot be used: {err}"
                if self._status.state is not MqttState.UNREACHABLE:
                    _LOGGER.warning("%s; trying again", detail)
                self._status = MqttStatus(MqttState.UNREACHABLE, detail)
            except Exception as err:  # the entities are a convenience: never end the service
                _LOGGER.exception("the MQTT publisher failed; starting it again")
                self._status = MqttStatus(
                    MqttState.UNREACHABLE, f"the MQTT publisher failed: {type(err).__name__}"
                )
            finally:
                self._client = None
            await asyncio.sleep(pause)
            pause = min(pause * 2, _LONGEST_PAUSE_SECONDS)

    def _new_client(self) -> aiomqtt.Client:
        parts = urlsplit(self._url)
        secure = parts.scheme == "mqtts"
        return aiomqtt.Client(
            parts.hostname or "localhost",
            parts.port or (8883 if secure else 1883),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            identifier=self._identifier,
            will=aiomqtt.Will(self.topics.availability, "offline", qos=1, retain=True),
            keepalive=_KEEPALIVE_SECONDS,
            timeout=10,
            tls_context=ssl.create_default_context() if secure else None,
        )

    def _where(self) -> str:
        parts = urlsplit(self._url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}".rstrip(":")

    async def _serve(self, client: aiomqtt.Client) -> None:
        """Announce the entities, then publish on every change and answer the button."""
        await client.subscribe(self.topics.run_command, qos=1)
        for topic, config in self.discovery_configs().items():
            await client.publish(topic, json.dumps(config), qos=1, retain=True)
        await client.publish(self.topics.availability, "online", qos=1, retain=True)
        await self._publish_states(client)
        presses = asyncio.create_task(self._answer_presses(client))
        try:
            while True:
                changed = asyncio.create_task(self._changed.wait())
                done, _ = await asyncio.wait(
                    {presses, changed}, return_when=asyncio.FIRST_COMPLETED
                )
                if presses in done:
                    changed.cancel()
                    presses.result()  # the connection dropped: raises MqttError
                    return
                self._changed.clear()
                await self._publish_states(client)
        finally:
            presses.cancel()

    async def _answer_presses(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            if str(message.topic) != self.topics.run_command:
                continue
            try:
                run_id = await self._runner.start("mqtt")
            except RunInProgressError:
                _LOGGER.info("the MQTT run button was pressed while an analysis runs")
                continue
            except HomeHabitsError as err:
                _LOGGER.warning("the MQTT run button could not start an analysis: %s", err)
                continue
            _LOGGER.info("analysis run %s started by the MQTT run button", run_id)

    # -- what is published -----------------------------------------------------------------

    def discovery_configs(self) -> dict[str, dict[str, Any]]:
        """Each entity's retained discovery config, by topic."""
        topics = self.topics
        device: dict[str, Any] = {
            "identifiers": [_NODE],
            "name": "homehabits",
            "manufacturer": "homehabits",
            "model": "Habit analysis",
            "sw_version": __version__,
        }
        if self._settings.public_url:
            device["configuration_url"] = self._settings.public_url
        common: dict[str, Any] = {
            "availability_topic": topics.availability,
            "payload_available": "online",
            "payload_not_available": "offline",
            "device": device,
            "origin": {"name": "homehabits", "sw_version": __version__},
        }

        def entity(key: str, name: str, icon: str, **extra: Any) -> dict[str, Any]:
            return {"name": name, "unique_id": f"{_NODE}_{key}", "icon": icon, **common, **extra}

        return {
            topics.discovery("sensor", "pending_suggestions"): entity(
                "pending_suggestions",
                "Pending suggestions",
                "mdi:lightbulb-auto-outline",
                state_topic=topics.state("pending_suggestions"),
                json_attributes_topic=topics.attributes("pending_suggestions"),
                state_class="measurement",
            ),
            topics.discovery("sensor", "last_run"): entity(
                "last_run",
                "Last run",
                "mdi:history",
                state_topic=topics.state("last_run"),
                json_attributes_topic=topics.attributes("last_run"),
            ),
            topics.discovery("binary_sensor", "analysis_running"): entity(
                "analysis_running",
                "Analysis running",
                "mdi:cog-sync-outline",
                state_topic=topics.state("analysis_running"),
                device_class="running",
                payload_on="ON",
                payload_off="OFF",
            ),
            topics.discovery("button", "run_analysis"): entity(
                "run_analysis",
                "Run analysis",
                "mdi:play-circle-outline",
                command_topic=topics.run_command,
                payload_press="PRESS",
            ),
        }

    async def states(self) -> dict[str, str]:
        """Each state and attributes topic with what it says now."""
        pending = await repository.list_suggestions(
            self._sessions, status=SuggestionStatus.PENDING, limit=_TITLES_SHOWN
        )
        count = await repository.count_suggestions(self._sessions, status=SuggestionStatus.PENDING)
        last = await repository.latest_run(self._sessions)
        last_attributes: dict[str, Any] = {}
        if last is not None:
            summary = last.summary
            last_attributes = {
                "run_id": last.id,
                "trigger": last.trigger,
                "started_at": last.started_at.isoformat(),
                "finished_at": last.finished_at.isoformat() if last.finished_at else None,
                "events_read": summary.events_read,
                "patterns_found": summary.patterns_found,
                "suggestions_created": summary.suggestions_created,
                "suggestions_refreshed": summary.suggestions_refreshed,
                "errors": len(summary.errors),
                "warnings": len(summary.warnings),
            }
        topics = self.topics
        return {
            topics.state("pending_suggestions"): str(count),
            topics.attributes("pending_suggestions"): json.dumps(
                {"titles": [s.title for s in pending], "ids": [s.id for s in pending]}
            ),
            topics.state("last_run"): last.status.value if last else "none",
            topics.attributes("last_run"): json.dumps(last_attributes),
            topics.state("analysis_running"): "ON" if self._runner.running else "OFF",
        }

    async def _publish_states(self, client: aiomqtt.Client) -> None:
        try:
            states = await self.states()
        except HomeHabitsError as err:
            _LOGGER.warning("the MQTT states could not be read from the database: %s", err)
            return
        for topic, payload in states.items():
            await client.publish(topic, payload, qos=1, retain=True)
