"""The review page under test: the real service on 127.0.0.1, a demo analysis, the fake Home Assistant, Chromium."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from homehabits.app import create_app
from homehabits.config import Settings
from homehabits.context import HomeContext
from homehabits.job import AnalysisRunner
from homehabits.sources.base import Source
from homehabits.sources.simulator import DemoSource, SimulationConfig
from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from tests.fakes.fake_home_assistant import FakeHomeAssistant, serve_in_thread
from tests.required_services import missing_service, services_required

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HA_TOKEN = "ha-long-lived-token-5d2e8a1c9f3b"
API_TOKEN = "review-page-token-8b4f2c7e1a9d"

_NO_CHROMIUM = f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install chromium)"

#: Marks for the browser tests: skipped, saying why, where Debian's Chromium is missing
#: (failed instead where the services are required: the browser fixture says why).
BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not services_required(), reason=_NO_CHROMIUM),
]


def small_demo_home() -> Source:
    """Two weeks of the simulated home: enough habits of every kind, quick to analyse."""
    return DemoSource(SimulationConfig(days=14))


@functools.cache
def _demo_context() -> HomeContext:
    return DemoSource(SimulationConfig(days=14)).home.context


@dataclass
class ReviewSite:
    """A running homehabits service with a stored demo analysis, and its fake Home Assistant."""

    url: str
    settings: Settings
    home_assistant: FakeHomeAssistant


@pytest.fixture
def home_assistant() -> Iterator[tuple[FakeHomeAssistant, str]]:
    """The fake Home Assistant, served over real HTTP on 127.0.0.1."""
    fake = FakeHomeAssistant(token=HA_TOKEN, version="2024.11.1", reload_delay=0.01)
    # the Home Assistant of the demo home: its entities are there to deploy to
    fake.show_entities_of(_demo_context())
    url, stop = serve_in_thread(fake.app)
    yield fake, url
    stop()


@pytest.fixture
def start_site(
    tmp_path: Path, home_assistant: tuple[FakeHomeAssistant, str]
) -> Iterator[Callable[..., ReviewSite]]:
    """Start the service (after one demo analysis) with these setting overrides."""
    stops: list[Callable[[], None]] = []
    fake, ha_url = home_assistant

    def start(**overrides: Any) -> ReviewSite:
        values: dict[str, Any] = {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}",
            "time_zone": "Europe/Berlin",
            "analysis_days": 14,
            "ha_url": ha_url,
            "ha_token": HA_TOKEN,
        }
        values.update(overrides)
        settings = Settings(_env_file=None, **values)
        # Playwright's sync API keeps an event loop running in this thread; analyse in another
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, _store_demo_analysis(settings)).result()
        url, stop = _serve(create_app(settings, source_factory=small_demo_home))
        stops.append(stop)
        return ReviewSite(url=url, settings=settings, home_assistant=fake)

    yield start
    for stop in reversed(stops):
        stop()


@pytest.fixture
def site(start_site: Callable[..., ReviewSite]) -> ReviewSite:
    """The service without an API token, one demo analysis stored."""
    return start_site()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright."""
    # one per module: Playwright's sync API holds an event loop in this thread while it
    # runs, and the async tests of other modules need the thread free
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        missing_service(_NO_CHROMIUM)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab at desktop size, with its own cookies."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


async def _store_demo_analysis(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        runner = AnalysisRunner(settings, make_sessionmaker(engine), small_demo_home)
        await runner.run("cli")
    finally:
        await engine.dispose()


def _serve(app: Any) -> tuple[str, Callable[[], None]]:
    # like tests.fakes.serving.serve_in_thread, but with the app's lifespan: the service
    # builds its database engine and runner there
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="homehabits-under-test", daemon=True)
    thread.start()
    for _ in range(1000):
        if server.started:
            break
        if not thread.is_alive():
            raise RuntimeError("homehabits stopped while starting; see the log above")
        threading.Event().wait(0.01)
    else:
        server.should_exit = True
        raise RuntimeError("homehabits did not start within 10 s")
    port = server.servers[0].sockets[0].getsockname()[1]

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=15)

    return f"http://127.0.0.1:{port}", stop
