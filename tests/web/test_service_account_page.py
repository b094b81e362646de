"""The one click that confirms a proposed service account, in a real browser."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from homehabits.config import Settings
from homehabits.store import repository
from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.records import RunStatus, RunSummary
from tests.web.conftest import BROWSER_TESTS, ReviewSite

pytestmark = BROWSER_TESTS

FLOWS = "9c8b7a6f5e4d4c3b2a1f0e9d8c7b6a5f"


async def _store_run_with_a_proposal(settings: Settings) -> dict[str, str]:
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    try:
        end = datetime.now(UTC)
        run_id = await repository.create_run(sessions, "cli", "demo", end - timedelta(days=14), end)
        proposal = {
            "user_id": FLOWS,
            "name": "flows",
            "evidence": "it acted at exactly 07:30:00 on 14 different days",
        }
        summary = RunSummary(
            status=RunStatus.SUCCEEDED,
            warnings=["user 'flows' looks like a service account: it acted at exactly 07:30:00"],
            service_account_proposals=[proposal],
        )
        await repository.complete_run(sessions, run_id, summary, [], [])
        return await repository.confirmed_service_accounts(sessions)
    finally:
        await engine.dispose()


async def _confirmed(settings: Settings) -> dict[str, str]:
    engine = make_engine(settings.database_url)
    try:
        return await repository.confirmed_service_accounts(make_sessionmaker(engine))
    finally:
        await engine.dispose()


def _in_thread(work: object) -> dict[str, str]:
    # Playwright's sync API keeps an event loop running in this thread
    with ThreadPoolExecutor(max_workers=1) as pool:
        result: dict[str, str] = pool.submit(asyncio.run, work).result()  # type: ignore[arg-type]
        return result


def test_one_click_on_the_review_page_confirms_a_proposed_service_account(
    site: ReviewSite, page: Page
) -> None:
    assert _in_thread(_store_run_with_a_proposal(site.settings)) == {}

    page.goto(site.url + "/")
    proposal = page.locator(f'.service-account[data-user-id="{FLOWS}"]')
    expect(proposal).to_contain_text("exactly 07:30:00")
    proposal.get_by_role("button", name="It is a service account").click()

    expect(proposal.get_by_role("status")).to_contain_text("Confirmed")
    assert _in_thread(_confirmed(site.settings)) == {FLOWS: "flows"}
