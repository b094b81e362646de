"""In Chromium: the deployed card's track record and the "Your automations" page, from the nav."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from homehabits.app import create_app
from homehabits.config import Settings
from homehabits.job import AnalysisRunner
from homehabits.sources.simulation.deployed import DEPLOYED_AUTOMATION
from homehabits.sources.simulator import DemoSource
from homehabits.store import repository
from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import RunStatus, RunSummary, SuggestionStatus
from tests.watch.test_watch_run import CONFIG, _deployed_suggestion
from tests.web.conftest import BROWSER_TESTS, _serve, artifacts, browser, page

__all__ = ["artifacts", "browser", "page"]

pytestmark = BROWSER_TESTS


async def _lived_with(settings: Settings) -> int:
    """A deployed lamp suggestion and a run over the simulated month after it."""
    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        sessions = make_sessionmaker(engine)
        home = DemoSource(CONFIG).home
        run_id = await repository.create_run(
            sessions, "cli", "earlier", home.window_start, home.window_end
        )
        summary = RunSummary(status=RunStatus.SUCCEEDED, time_zone="Europe/Berlin")
        [suggestion_id] = await repository.complete_run(
            sessions, run_id, summary, [], [_deployed_suggestion()]
        )
        await repository.change_status(sessions, suggestion_id, SuggestionStatus.APPROVED)
        await repository.change_status(
            sessions,
            suggestion_id,
            SuggestionStatus.DEPLOYED,
            ha_automation_id=str(DEPLOYED_AUTOMATION["id"]),
        )
        await AnalysisRunner(settings, sessions, lambda: DemoSource(CONFIG)).run("cli")
        return suggestion_id
    finally:
        await engine.dispose()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, int]]:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}",
        time_zone="Europe/Berlin",
        analysis_days=30,
    )
    # Playwright's sync API keeps an event loop running in this thread; prepare in another
    with ThreadPoolExecutor(max_workers=1) as pool:
        suggestion_id = pool.submit(asyncio.run, _lived_with(settings)).result()
    url, stop = _serve(create_app(settings, source_factory=lambda: DemoSource(CONFIG)))
    yield url, suggestion_id
    stop()


def test_the_deployed_card_shows_its_record_and_the_nav_leads_to_your_automations(
    site: tuple[str, int], page: Page, artifacts: Path
) -> None:
    url, suggestion_id = site
    page.goto(f"{url}/?status=deployed")

    card = page.locator(f"#suggestion-{suggestion_id}")
    record = card.locator("[data-track-record]")
    expect(record).to_contain_text("Since it was deployed: fired")
    expect(record).to_contain_text("all on Saturdays")
    card.screenshot(path=str(artifacts / "deployed-card.png"))

    page.get_by_role("link", name="Your automations").click()

    expect(page.get_by_role("heading", name="Your automations", level=1)).to_be_visible()
    items = page.locator(".automation")
    expect(items.first).to_contain_text("Porch lantern on motion")
    expect(items.first).to_contain_text(
        "It names entities the home no longer has: binary_sensor.porch_motion, light.porch_lantern"
    )
    expect(
        page.locator(".automation", has_text="Entrance light when the lock jams")
    ).to_contain_text("It never fired in 30 days.")
    garden = page.locator(".automation", has_text="Garden watering at 05:30")
    expect(garden).to_have_class("automation")
    expect(items.first).to_have_class(re.compile(r"\bhas-problems\b"))
    page.set_viewport_size({"width": 1100, "height": 1300})
    page.screenshot(path=str(artifacts / "your-automations.png"), full_page=True)


def test_the_revision_card_opens_to_what_it_changes(
    site: tuple[str, int], page: Page, artifacts: Path
) -> None:
    url, _ = site
    page.goto(f"{url}/?kind=revision")
    card = page.locator(".card", has_text="Revises a deployed automation").first
    expect(card).to_contain_text("Run 'Armchair lamp on at 21:45' only on")
    expect(card).to_contain_text("all on Saturdays")
    changes = card.locator("[data-diff]")
    changes.locator("summary").click()
    expect(changes.locator("pre")).to_contain_text("(revised)")
    expect(changes.locator("pre")).to_contain_text("weekday")
    page.set_viewport_size({"width": 1100, "height": 1400})
    card.screenshot(path=str(artifacts / "revision-card.png"))
