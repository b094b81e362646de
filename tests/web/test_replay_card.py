"""The replay on the review page in a real browser: one line per card, a cross per wrong fire."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import BROWSER_TESTS, ReviewSite

pytestmark = BROWSER_TESTS


def _items(site: ReviewSite) -> list[dict[str, Any]]:
    headers = (
        {"Authorization": f"Bearer {site.settings.api_token}"} if site.settings.api_token else {}
    )
    response = httpx.get(f"{site.url}/api/suggestions?limit=500", headers=headers, timeout=10)
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_each_card_says_how_its_automation_would_have_done(
    site: ReviewSite, page: Page, artifacts: Path
) -> None:
    items = _items(site)
    page.goto(site.url)

    for item in items:
        replay = item["replay"]
        card = page.locator(f"#suggestion-{item['id']}")
        expect(card.locator("[data-replay]")).to_contain_text(
            f"would have fired {replay['fires']} times in {replay['days']} days: "
            f"{replay['useful']} as you did"
        )
    sequence = max(
        (item for item in items if item["kind"] == "sequence"),
        key=lambda item: item["replay"]["wrong"],
    )
    card = page.locator(f"#suggestion-{sequence['id']}")
    expect(card.locator("svg.wrong-fires path.ev-wrong")).to_have_count(
        len(sequence["replay"]["wrong_times"])
    )
    card.screenshot(path=str(artifacts / "card-replay.png"))
