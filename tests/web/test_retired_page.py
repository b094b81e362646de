"""Retired suggestions on the review page and in the API: their own group, filter and badge."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from homehabits.store import repository
from homehabits.store.engine import make_engine, make_sessionmaker
from tests.web.conftest import BROWSER_TESTS, ReviewSite

pytestmark = BROWSER_TESTS


def _api(site: ReviewSite, path: str) -> Any:
    response = httpx.get(f"{site.url}{path}", timeout=10)
    response.raise_for_status()
    return response.json()


async def _retire_all_but(database_url: str, keep: set[str]) -> list[int]:
    engine = make_engine(database_url)
    try:
        return await repository.retire_gone(make_sessionmaker(engine), keep)
    finally:
        await engine.dispose()


def _retire_one(site: ReviewSite) -> dict[str, Any]:
    """Retire the first pending suggestion, as a run that no longer found its habit would."""
    items = _api(site, "/api/suggestions?status=pending&limit=500")["items"]
    gone, others = items[0], {item["fingerprint"] for item in items[1:]}
    # the page's own event loop runs in this thread: the store is changed from another
    with ThreadPoolExecutor(max_workers=1) as pool:
        retired = pool.submit(
            asyncio.run, _retire_all_but(site.settings.database_url, others)
        ).result()
    assert retired == [gone["id"]]
    return dict(gone)


def test_the_api_lists_retired_suggestions_by_status(site: ReviewSite) -> None:
    gone = _retire_one(site)

    listed = _api(site, "/api/suggestions?status=retired")
    assert [item["id"] for item in listed["items"]] == [gone["id"]]
    assert listed["items"][0]["status"] == "retired"
    pending = _api(site, "/api/suggestions?status=pending&limit=500")["items"]
    assert gone["id"] not in [item["id"] for item in pending]
    assert _api(site, f"/api/suggestions/{gone['id']}")["status"] == "retired"


def test_the_page_shows_retired_ones_in_their_group_with_a_badge(
    site: ReviewSite, page: Page
) -> None:
    gone = _retire_one(site)

    page.goto(site.url)

    group = page.locator("[data-group='retired']")
    expect(group.locator(".card")).to_have_count(1)
    card = page.locator(f"#suggestion-{gone['id']}")
    expect(card).to_have_attribute("data-status", "retired")
    expect(card.locator("[data-status-text]")).to_have_text("Retired")
    assert page.locator(".status-counts [data-count='retired']").inner_text() == "1"
    # its habit is gone: it can be reopened or rejected, not approved
    expect(card.locator("[data-action='reopen']")).to_be_attached()
    expect(card.locator("[data-action='approve']")).to_be_hidden()

    page.goto(f"{site.url}/?status=retired")

    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator("#filter-status")).to_have_value("retired")
    expect(page.locator(f"#suggestion-{gone['id']}")).to_be_visible()


def test_reopening_a_retired_card_brings_it_back_to_review(site: ReviewSite, page: Page) -> None:
    gone = _retire_one(site)
    page.goto(f"{site.url}/?status=retired")
    card = page.locator(f"#suggestion-{gone['id']}")

    card.locator("[data-action='reopen']").click()

    expect(card).to_have_attribute("data-status", "pending")
    assert _api(site, f"/api/suggestions/{gone['id']}")["status"] == "pending"
