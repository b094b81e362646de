"""The review page behind Home Assistant's ingress, in Chromium: every link, script, style and
call under /api/hassio_ingress/<token>/, the signed-in user shown and recorded, nobody else in;
the API's docs page (Swagger UI) there too."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from homehabits.store import repository
from homehabits.store.engine import make_engine, make_sessionmaker
from tests.fakes.fake_supervisor import PROXY_ADDRESS, FakeSupervisor
from tests.fakes.serving import serve_in_thread
from tests.web.conftest import BROWSER_TESTS, ReviewSite

pytestmark = BROWSER_TESTS


@pytest.fixture
def ingress(
    start_site: Callable[..., ReviewSite],
) -> Iterator[tuple[ReviewSite, FakeSupervisor, str]]:
    """homehabits under ingress, and the fake Supervisor's address of its page."""
    site = start_site(ingress=True, ingress_proxy=PROXY_ADDRESS)
    supervisor = FakeSupervisor(site.home_assistant, addon_url=site.url)
    url, stop = serve_in_thread(supervisor.app)
    yield site, supervisor, f"{url}{supervisor.ingress_path}"
    stop()


def _history(site: ReviewSite, suggestion_id: int) -> list[Any]:
    async def read() -> list[Any]:
        engine = make_engine(site.settings.database_url)
        try:
            return list(await repository.review_history(make_sessionmaker(engine), suggestion_id))
        finally:
            await engine.dispose()

    # Playwright's sync API holds an event loop in this thread
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, read()).result()


def test_every_link_and_action_works_under_the_ingress_prefix(
    ingress: tuple[ReviewSite, FakeSupervisor, str], page: Page
) -> None:
    site, supervisor, base = ingress
    asked: list[tuple[str, int]] = []
    page.on("response", lambda response: asked.append((response.url, response.status)))

    page.goto(f"{base}/")

    expect(page.get_by_role("heading", name="Suggestions", level=1)).to_be_visible()
    expect(page.locator(".ha-user")).to_contain_text("Ada Lovelace")
    # the stylesheet applied: the header's brand mark has the accent background
    background = page.locator(".brand-mark").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in {"", "rgba(0, 0, 0, 0)"}
    first = page.locator("[data-group='pending'] .card").first
    suggestion_id = int(first.get_attribute("data-id") or 0)
    # by its id: once approved, the card moves out of the pending group
    card = page.locator(f"#suggestion-{suggestion_id}")

    card.get_by_role("button", name="Approve").click()
    expect(card.locator("[data-status-text]")).to_have_text("Approved")

    page.get_by_role("link", name="Analysis runs").click()
    expect(page.get_by_role("heading", name="Analysis runs", level=1)).to_be_visible()
    assert page.url == f"{base}/runs"
    page.get_by_role("link", name="Suggestions").click()
    expect(page.locator(f"[data-group='approved'] #suggestion-{suggestion_id}")).to_be_visible()
    assert page.url == f"{base}/"

    # every request went through the ingress prefix and was answered
    for url, status in asked:
        assert url.startswith(f"{base}/"), url
        assert status < 400, (url, status)
    forwarded = {line.split("?")[0] for line in supervisor.forwarded}
    assert {"GET /", "GET /runs", "GET /static/app.css", "GET /static/app.js"} <= forwarded
    assert f"POST /api/suggestions/{suggestion_id}/approve" in forwarded

    approved = [entry for entry in _history(site, suggestion_id) if entry.action == "approved"]
    assert [entry.actor for entry in approved] == ["Ada Lovelace (8f2c4e1a9b7d4c3e)"]


def test_the_page_shows_inside_home_assistants_frame(
    ingress: tuple[ReviewSite, FakeSupervisor, str], page: Page
) -> None:
    _, _, base = ingress
    origin = base.split("/api/hassio_ingress/")[0]

    page.goto(f"{origin}/hassio/ingress/homehabits")

    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", name="Suggestions", level=1)).to_be_visible()
    frame.get_by_role("link", name="Analysis runs").click()
    expect(frame.get_by_role("heading", name="Analysis runs", level=1)).to_be_visible()


def test_the_filters_and_their_links_stay_under_the_prefix(
    ingress: tuple[ReviewSite, FakeSupervisor, str], page: Page
) -> None:
    _, _, base = ingress
    page.goto(f"{base}/")

    page.locator(".status-counts a").first.click()
    assert page.url.startswith(f"{base}/?")
    expect(page.get_by_role("heading", name="Suggestions", level=1)).to_be_visible()


def test_reject_and_deploy_record_the_home_assistant_user(
    ingress: tuple[ReviewSite, FakeSupervisor, str],
) -> None:
    site, supervisor, base = ingress
    pending = httpx.get(f"{base}/api/suggestions?status=pending&limit=500", timeout=10).json()
    deployed = next(item["id"] for item in pending["items"] if item["kind"] == "sequence")
    rejected = next(item["id"] for item in pending["items"] if item["id"] != deployed)

    for path in (
        f"/api/suggestions/{rejected}/reject",
        f"/api/suggestions/{deployed}/approve",
        f"/api/suggestions/{deployed}/deploy",
    ):
        answer = httpx.post(f"{base}{path}", json={}, timeout=30)
        assert answer.status_code == 200, (path, answer.text)

    who = "Ada Lovelace (8f2c4e1a9b7d4c3e)"
    assert [(e.action, e.actor) for e in _history(site, rejected)] == [("rejected", who)]
    steps = [(e.action, e.actor) for e in _history(site, deployed)]
    assert steps == [("approved", who), ("deployed", who)]
    supervisor.user = None  # a request ingress names nobody for records nobody
    reopened = httpx.post(f"{base}/api/suggestions/{rejected}/reopen", timeout=10)
    assert reopened.status_code == 200
    assert _history(site, rejected)[-1].actor is None


def test_a_request_from_another_address_is_refused(
    ingress: tuple[ReviewSite, FakeSupervisor, str],
) -> None:
    site, _, _ = ingress

    for path in ("/", "/runs", "/api/suggestions", "/static/app.js"):
        answer = httpx.get(f"{site.url}{path}", timeout=10)
        assert answer.status_code == 403, path
        assert "ingress" in answer.text
    # not even with a user's headers forged
    forged = httpx.get(
        f"{site.url}/api/suggestions",
        headers={"X-Ingress-Path": "/api/hassio_ingress/x", "X-Remote-User-Id": "admin"},
        timeout=10,
    )
    assert forged.status_code == 403


def test_outside_ingress_the_page_has_no_prefix_and_no_user(site: ReviewSite, page: Page) -> None:
    page.goto(site.url)

    expect(page.locator(".ha-user")).to_have_count(0)
    assert page.locator("html").get_attribute("data-base") == ""
    assert page.get_by_role("link", name="Analysis runs").get_attribute("href") == "/runs"


def test_a_picture_of_the_page_under_ingress(
    ingress: tuple[ReviewSite, FakeSupervisor, str], page: Page, artifacts: Path
) -> None:
    """The picture in docs/ingress-page.png is this test's (copied from test-artifacts/)."""
    _, _, base = ingress
    page.goto(f"{base}/")
    expect(page.locator(".card").first).to_be_visible()

    page.screenshot(path=str(artifacts / "ingress-page.png"))

    assert (artifacts / "ingress-page.png").stat().st_size > 10_000


def test_swagger_ui_shows_the_api_and_tries_a_call_under_the_prefix(
    ingress: tuple[ReviewSite, FakeSupervisor, str], page: Page
) -> None:
    _, supervisor, base = ingress
    asked: list[tuple[str, int]] = []
    page.on("response", lambda response: asked.append((response.url, response.status)))

    page.goto(f"{base}/docs")

    expect(page.locator(".info .title")).to_contain_text("homehabits")
    operation = page.locator("#operations-suggestions-list_suggestions_api_suggestions_get")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status")).to_have_text(
        "200"
    )
    expect(operation.locator(".request-url")).to_contain_text(f"{base}/api/suggestions")

    assert asked, "the page asked for nothing"
    for url, status in asked:
        assert url.startswith(f"{base}/"), url
        assert status < 400, (url, status)
    forwarded = {line.split("?")[0] for line in supervisor.forwarded}
    assert {"GET /docs", "GET /openapi.json", "GET /api/suggestions"} <= forwarded
