"""The service under test: create_app on a temporary SQLite database, the fake Home Assistant."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from homehabits.api.deps import Service
from homehabits.app import create_app
from homehabits.config import Settings
from homehabits.context import HomeContext
from homehabits.sources.base import Source
from homehabits.sources.simulator import DemoSource, SimulationConfig
from tests.fakes.fake_home_assistant import FakeHomeAssistant

HA_TOKEN = "ha-long-lived-token-7f3a9c2e5b1d"
API_TOKEN = "api-token-3c9e1f7a2b6d4e8f"
HA_URL = "http://ha.local:8123"


@functools.cache
def _demo_context() -> HomeContext:
    return DemoSource(SimulationConfig(days=14)).home.context


@dataclass
class Running:
    """A started service and an HTTP client talking to it."""

    app: FastAPI
    client: httpx.AsyncClient
    home_assistant: FakeHomeAssistant

    @property
    def service(self) -> Service:
        service: Service = self.app.state.service
        return service

    async def run_analysis(self) -> dict[str, Any]:
        """Start an analysis over the API and wait for it; the finished run."""
        started = await self.client.post("/api/analysis/run")
        assert started.status_code == 202, started.text
        await self.service.runner.wait()
        finished = await self.client.get(f"/api/analysis/runs/{started.json()['run_id']}")
        run: dict[str, Any] = finished.json()
        return run


def small_demo_home() -> Source:
    """Two weeks of the simulated home: enough habits, quick to analyse."""
    return DemoSource(SimulationConfig(days=14))


@pytest.fixture
def home_assistant() -> FakeHomeAssistant:
    fake = FakeHomeAssistant(token=HA_TOKEN, version="2024.11.1", reload_delay=0.01)
    # the Home Assistant of the demo home: its entities are there to deploy to
    fake.show_entities_of(_demo_context())
    return fake


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}",
            "time_zone": "Europe/Berlin",
            "analysis_days": 14,
            "ha_url": HA_URL,
            "ha_token": HA_TOKEN,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return build


@pytest.fixture
def start_service(
    make_settings: Callable[..., Settings], home_assistant: FakeHomeAssistant
) -> Callable[..., AbstractAsyncContextManager[Running]]:
    @asynccontextmanager
    async def start(
        settings: Settings | None = None,
        source_factory: Callable[[], Source] = small_demo_home,
        headers: dict[str, str] | None = None,
    ) -> AsyncIterator[Running]:
        app = create_app(
            settings or make_settings(),
            ha_transport=home_assistant.transport(),
            source_factory=source_factory,
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://homehabits.test", headers=headers
            ) as client:
                yield Running(app=app, client=client, home_assistant=home_assistant)

    return start


@pytest.fixture
async def running(
    start_service: Callable[..., AbstractAsyncContextManager[Running]],
) -> AsyncIterator[Running]:
    async with start_service() as service:
        yield service
