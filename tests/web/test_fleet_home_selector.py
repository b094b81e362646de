"""A fleet database on the review page: a home selector, one home at a time, fleet homes read-only."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.records import RunStatus, RunSummary
from homehabits.store.repository import complete_run, create_run
from tests.store.conftest import WINDOW_END, WINDOW_START, _suggestion
from tests.web.conftest import BROWSER_TESTS, ReviewSite

pytestmark = BROWSER_TESTS

#: Two homes of a fleet and the titles of their suggestions.
_FLEET = {
    "flat-1": ("Hall light on at 06:45", "Porch light off at 23:10"),
    "flat-2": ("Bedroom blind up at 07:30", "Kitchen light on at 18:20", "Fan off after 20 min"),
}
_WRITE_BUTTONS = ("approve", "deploy", "undeploy", "edit", "reopen", "reject", "rollback")


async def _store_fleet(database_url: str) -> dict[str, list[int]]:
    """The fleet's two homes, each one run and its suggestions, as `homehabits fleet` stores them."""
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    stored: dict[str, list[int]] = {}
    try:
        for number, (home, titles) in enumerate(_FLEET.items()):
            run = await create_run(
                sessions, "fleet", f"{home}: events", WINDOW_START, WINDOW_END, home_id=home
            )
            summary = RunSummary(status=RunStatus.SUCCEEDED, time_zone="Europe/Berlin")
            summary.events_read, summary.patterns_found = 4_000 + number, len(titles)
            summary.suggestions_created = len(titles)
            found = [
                _suggestion(
                    100 * (number + 1) + index,
                    title=title,
                    description=f"{title}, as someone in {home} does by hand most days.",
                    rationale="Done by hand on 19 of the 22 weekdays, within ten minutes.",
                )
                for index, title in enumerate(titles)
            ]
            stored[home] = await complete_run(sessions, run, summary, [], found, home_id=home)
    finally:
        await engine.dispose()
    return stored


def _with_fleet(site: ReviewSite) -> dict[str, list[int]]:
    # the page's own event loop runs in this thread: the store is written from another
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _store_fleet(site.settings.database_url)).result()


def _card_ids(html: str) -> set[int]:
    return {int(found) for found in re.findall(r'<li class="card" id="suggestion-(\d+)"', html)}


def test_the_selector_lists_the_fleet_homes_with_counts_and_shows_one_home_read_only(
    site: ReviewSite,
) -> None:
    own = httpx.get(f"{site.url}/api/suggestions?limit=500", timeout=10).json()["items"]
    fleet = _with_fleet(site)

    front = httpx.get(f"{site.url}/", timeout=10)
    chosen = httpx.get(f"{site.url}/", params={"home": "flat-2"}, timeout=10)
    unknown = httpx.get(f"{site.url}/", params={"home": "flat-9"}, timeout=10)

    assert front.status_code == chosen.status_code == unknown.status_code == 200
    own_count = len(own)
    assert f"This home ({own_count} suggestions)" in front.text
    assert "flat-1 (2 suggestions, last run succeeded)" in front.text
    assert "flat-2 (3 suggestions, last run succeeded)" in front.text
    # the service's own home by default: none of the fleet's suggestions among its cards
    assert _card_ids(front.text) == {item["id"] for item in own}
    assert 'data-action="approve"' in front.text
    # one fleet home: its suggestions only, its run, and no control that would change them
    assert _card_ids(chosen.text) == set(fleet["flat-2"])
    assert "Suggestions of flat-2" in chosen.text
    assert "Runs of flat-2" in chosen.text
    assert all(title in chosen.text for title in _FLEET["flat-2"])
    for action in _WRITE_BUTTONS:
        assert f'data-action="{action}"' not in chosen.text, action
    assert 'id="approve-all"' not in chosen.text
    assert "There is no home called “flat-9” in this database" in unknown.text
    assert _card_ids(unknown.text) == {item["id"] for item in own}


def test_the_api_refuses_every_write_on_a_fleet_homes_suggestion_and_approve_all_leaves_them(
    site: ReviewSite,
) -> None:
    fleet = _with_fleet(site)
    one = fleet["flat-1"][0]
    api = f"{site.url}/api/suggestions"

    with httpx.Client(timeout=20) as client:
        answers = {
            "approve": client.post(f"{api}/{one}/approve"),
            "reject": client.post(f"{api}/{one}/reject", json={"reason": "no"}),
            "reopen": client.post(f"{api}/{one}/reopen"),
            "edit": client.patch(f"{api}/{one}", json={"yaml": "alias: x\n"}),
            "roll back": client.post(f"{api}/{one}/rollback", json={"version": 1}),
            "deploy": client.post(f"{api}/{one}/deploy", json={}),
            "undeploy": client.post(f"{api}/{one}/undeploy"),
        }
        every = client.post(f"{api}/approve", json={"all_pending": True})
        by_ids = client.post(f"{api}/approve", json={"ids": [one]})
        after = client.get(api, params={"home": "flat-1"}).json()["items"]

    for verb, answer in answers.items():
        assert answer.status_code == 409, (verb, answer.text)
        assert "belongs to fleet home 'flat-1'" in answer.json()["detail"], verb
        assert "read-only" in answer.json()["detail"], verb
    assert every.status_code == 200
    assert one not in every.json()["approved"]
    assert all(item["status"] == "pending" for item in after)
    assert by_ids.json()["approved"] == []
    assert "fleet home 'flat-1'" in by_ids.json()["skipped"][0]["reason"]
    assert not site.home_assistant.automations  # nothing of a fleet home reached Home Assistant


def test_choosing_a_home_in_chromium_shows_its_suggestions_without_review_buttons(
    site: ReviewSite, page: Page, artifacts: Path
) -> None:
    """The picture in docs/fleet-home-selector.png is this test's (copied from test-artifacts/)."""
    fleet = _with_fleet(site)
    page.goto(f"{site.url}/")
    select = page.get_by_label("Home", exact=True)
    expect(select.locator("option")).to_have_count(3)

    select.select_option("flat-1")  # the page's script shows the chosen home at once

    page.wait_for_url(re.compile(r"[?&]home=flat-1"))
    cards = page.locator("li.card")
    expect(cards).to_have_count(len(fleet["flat-1"]))
    expect(page.get_by_role("heading", name="Suggestions of flat-1")).to_be_visible()
    expect(page.get_by_role("note").filter(has_text="read-only")).to_be_visible()
    for title in _FLEET["flat-1"]:
        expect(page.get_by_role("heading", name=title)).to_be_visible()
    for label in ("Approve", "Deploy to Home Assistant", "Edit", "Reject…"):
        expect(page.get_by_role("button", name=label)).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Approve all"))).to_have_count(0)
    expect(select).to_have_value("flat-1")
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.screenshot(path=str(artifacts / "fleet-home-selector.png"))
