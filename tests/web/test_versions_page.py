"""A card's history on the review page, in Chromium: the versions folded, rollback per version,
under Home Assistant's ingress prefix like every other action."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Page, expect

from homehabits.automations.dialects import convert_dialect
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Dialect
from tests.fakes.fake_supervisor import PROXY_ADDRESS, FakeSupervisor
from tests.fakes.serving import serve_in_thread
from tests.web.conftest import BROWSER_TESTS, ReviewSite

pytestmark = BROWSER_TESTS

ADA = "Ada Lovelace (8f2c4e1a9b7d4c3e)"


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


def _call(base: str, method: str, path: str, body: Any = None) -> Any:
    answer = httpx.request(method, f"{base}{path}", json=body, timeout=30)
    assert answer.status_code == 200, (path, answer.text)
    return answer.json()


def _edited_and_deployed(base: str) -> dict[str, Any]:
    """A sequence suggestion approved, renamed by its owner, and deployed: three versions."""
    pending = _call(base, "GET", "/api/suggestions?status=pending&limit=500")["items"]
    chosen = next(item for item in pending if item["kind"] == "sequence")
    path = f"/api/suggestions/{chosen['id']}"
    _call(base, "POST", f"{path}/approve")
    detail = _call(base, "GET", path)
    renamed = automation_to_yaml({**yaml.safe_load(detail["yaml"]), "alias": "Our own name"})
    _call(base, "PATCH", path, {"yaml": renamed})
    deployed: dict[str, Any] = _call(base, "POST", f"{path}/deploy", {})
    return deployed


def test_the_rollback_button_under_ingress_redeploys_the_earlier_version(
    ingress: tuple[ReviewSite, FakeSupervisor, str], page: Page, artifacts: Path
) -> None:
    """The picture in docs/versions-card.png is this test's (copied from test-artifacts/)."""
    site, supervisor, base = ingress
    deployed = _edited_and_deployed(base)
    first = _call(base, "GET", f"/api/suggestions/{deployed['id']}/versions")[-1]
    asked: list[tuple[str, int]] = []
    page.on("response", lambda response: asked.append((response.url, response.status)))
    page.goto(f"{base}/")
    card = page.locator(f"#suggestion-{deployed['id']}")
    history = card.locator("[data-versions]")
    expect(history.locator("summary")).to_have_text("3 versions")
    expect(history.get_by_role("button", name="Roll back to version 1")).to_be_hidden()  # folded

    history.locator("summary").click()
    expect(history.locator("li[data-version='3']")).to_contain_text("deployed")
    expect(history.locator("li[data-version='3']")).to_contain_text("in Home Assistant")
    expect(history.locator("li[data-version='2']")).to_contain_text(ADA)
    card.screenshot(path=str(artifacts / "versions-card.png"))
    history.get_by_role("button", name="Roll back to version 1").click()

    expect(history.locator("summary")).to_have_text("4 versions")
    expect(history.locator("li[data-version='4']")).to_contain_text("rolled back to version 1")
    expect(history.locator("li[data-version='4']")).to_contain_text(ADA)
    expect(card.locator("[data-message]")).to_contain_text("rolled back to version 1")
    expect(card.locator("[data-status-text]")).to_have_text("Deployed")
    assert card.locator("[data-yaml]").inner_text().strip() == first["yaml"].strip()
    # Home Assistant runs version 1 again, under the same id
    saved = site.home_assistant.automations[deployed["ha_automation_id"]]
    expected = convert_dialect(first["automation"], Dialect.MODERN)
    assert {k: v for k, v in saved.items() if k != "id"} == {
        k: v for k, v in expected.items() if k != "id"
    }
    for url, status in asked:
        assert url.startswith(f"{base}/"), url
        assert status < 400, (url, status)
    forwarded = {line.split("?")[0] for line in supervisor.forwarded}
    assert f"POST /api/suggestions/{deployed['id']}/rollback" in forwarded
    assert f"GET /api/suggestions/{deployed['id']}/versions" in forwarded


def test_a_redeploy_home_assistant_refuses_shows_its_message_and_keeps_the_card(
    ingress: tuple[ReviewSite, FakeSupervisor, str], page: Page
) -> None:
    site, _, base = ingress
    deployed = _edited_and_deployed(base)
    page.goto(f"{base}/")
    card = page.locator(f"#suggestion-{deployed['id']}")
    history = card.locator("[data-versions]")
    history.locator("summary").click()
    shown = card.locator("[data-yaml]").inner_text()
    site.home_assistant.fail(400, path_prefix="/api/config/automation")

    history.get_by_role("button", name="Roll back to version 1").click()

    expect(card.locator("[data-message]")).to_contain_text("Fake failure")
    expect(card.locator("[data-status-text]")).to_have_text("Deployed")
    expect(history.locator("summary")).to_have_text("3 versions")
    assert card.locator("[data-yaml]").inner_text() == shown
    assert "Our own name" in shown
    assert site.home_assistant.automations[deployed["ha_automation_id"]]["alias"] == "Our own name"
