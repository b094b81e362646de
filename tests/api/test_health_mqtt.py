"""GET /health shows the MQTT broker, as a warning only; the service notifies after a run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from homehabits.config import Settings
from homehabits.notifications import NOTIFICATION_ID
from tests.api.conftest import Running

StartService = Callable[..., AbstractAsyncContextManager[Running]]


async def test_health_says_mqtt_is_not_configured_by_default(running: Running) -> None:
    body = (await running.client.get("/health")).json()

    assert body["mqtt"] == "not_configured"
    assert body["mqtt_detail"] is None


async def test_an_unreachable_broker_is_a_warning_in_health_never_ill_health(
    start_service: StartService, make_settings: Callable[..., Settings]
) -> None:
    async with start_service(
        make_settings(mqtt_url="mqtt://anna:pw-never-shown@127.0.0.1:1")
    ) as service:
        body = await _health_once_mqtt_is(service, "unreachable")

    assert body["status"] == "ok"
    assert "mqtt://127.0.0.1:1" in body["mqtt_detail"]
    assert "pw-never-shown" not in body["mqtt_detail"]


async def test_a_run_of_the_service_leaves_the_notification_in_home_assistant(
    running: Running,
) -> None:
    run = await running.run_analysis()

    assert run["status"] == "succeeded"
    assert run["suggestions_created"] > 0
    notification = running.home_assistant.notifications[NOTIFICATION_ID]
    assert notification["title"] == f"{run['suggestions_created']} new automation suggestions"


async def _health_once_mqtt_is(service: Running, state: str) -> dict[str, Any]:
    """/health, asked again until its `mqtt` says `state` (as an operator would poll it)."""
    async with asyncio.timeout(15):
        while True:
            body: dict[str, Any] = (await service.client.get("/health")).json()
            if body["mqtt"] == state:
                return body
            await asyncio.sleep(0.05)
