"""The review page in a real browser: list, approve, reject, edit, deploy, sign in, keyboard."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml
from playwright.sync_api import Page, expect

from tests.web.conftest import API_TOKEN, BROWSER_TESTS, ReviewSite

pytestmark = BROWSER_TESTS


def _api(site: ReviewSite, path: str) -> Any:
    headers = (
        {"Authorization": f"Bearer {site.settings.api_token}"} if site.settings.api_token else {}
    )
    response = httpx.get(f"{site.url}{path}", headers=headers, timeout=10)
    response.raise_for_status()
    return response.json()


def _suggestions(site: ReviewSite, **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{key}={value}" for key, value in {"limit": "500", **filters}.items())
    items: list[dict[str, Any]] = _api(site, f"/api/suggestions?{query}")["items"]
    return items


def _first_of_kind(site: ReviewSite, kind: str) -> dict[str, Any]:
    return next(item for item in _suggestions(site, status="pending") if item["kind"] == kind)


def _card(page: Page, suggestion_id: int) -> Any:
    return page.locator(f"#suggestion-{suggestion_id}")


def _count(page: Page, status: str) -> int:
    return int(page.locator(f".status-counts [data-count='{status}']").inner_text())


def test_the_page_lists_every_suggestion_grouped_by_status(
    site: ReviewSite, page: Page, artifacts: Path
) -> None:
    stored = _suggestions(site)
    assert stored, "the demo analysis should have stored suggestions"

    page.goto(site.url)

    expect(page.get_by_role("heading", name="Suggestions", level=1)).to_be_visible()
    expect(page.locator(".card")).to_have_count(len(stored))
    pending = page.locator("[data-group='pending'] .card")
    expect(pending).to_have_count(len(stored))
    assert _count(page, "pending") == len(stored)
    best = stored[0]
    card = _card(page, best["id"])
    expect(card.get_by_role("heading", level=3)).to_have_text(best["title"])
    expect(card).to_contain_text(best["description"])
    expect(card).to_contain_text(f"Confidence {round(best['confidence'] * 100)}%")
    page.set_viewport_size({"width": 1280, "height": 1500})
    page.screenshot(path=str(artifacts / "suggestions.png"))


def test_a_sensitive_suggestion_carries_a_warning(site: ReviewSite, page: Page) -> None:
    sensitive = next(item for item in _suggestions(site) if item["sensitive"])
    ordinary = next(item for item in _suggestions(site) if not item["sensitive"])

    page.goto(site.url)

    expect(_card(page, sensitive["id"]).locator(".sensitive")).to_contain_text("Sensitive action")
    expect(_card(page, ordinary["id"]).locator(".sensitive")).to_have_count(0)


def test_filtering_by_area_shows_only_that_areas_suggestions(site: ReviewSite, page: Page) -> None:
    in_bathroom = _suggestions(site, area="bathroom")
    assert in_bathroom

    page.goto(site.url)
    page.get_by_label("Area").select_option(label="Bathroom")
    page.get_by_role("button", name="Show").click()

    expect(page).to_have_url(re.compile(r"area=bathroom"))
    expect(page.locator(".card")).to_have_count(len(in_bathroom))
    for item in in_bathroom:
        expect(_card(page, item["id"])).to_be_visible()


def test_approving_a_card_changes_its_status_in_place(site: ReviewSite, page: Page) -> None:
    suggestion = _suggestions(site, status="pending")[0]
    page.goto(site.url)
    page.evaluate("window.__notReloaded = true")
    card = _card(page, suggestion["id"])

    card.get_by_role("button", name="Approve").click()

    expect(card.locator("[data-status-text]")).to_have_text("Approved")
    expect(page.locator(f"[data-group='approved'] #suggestion-{suggestion['id']}")).to_be_visible()
    expect(card.get_by_role("button", name="Approve")).to_be_hidden()
    expect(card.get_by_role("button", name="Deploy to Home Assistant")).to_be_visible()
    assert _count(page, "approved") == 1
    assert page.evaluate("window.__notReloaded") is True
    assert _api(site, f"/api/suggestions/{suggestion['id']}")["status"] == "approved"


def test_rejecting_with_a_reason_moves_the_card_to_the_rejected_group(
    site: ReviewSite, page: Page
) -> None:
    suggestion = _suggestions(site, status="pending")[1]
    page.goto(site.url)
    pending_before = _count(page, "pending")
    card = _card(page, suggestion["id"])

    card.get_by_role("button", name="Reject…").click()
    card.get_by_label("Why don't you want this automation?").fill("We like it dark in there")
    card.get_by_role("button", name="Reject suggestion").click()

    expect(page.locator(f"[data-group='rejected'] #suggestion-{suggestion['id']}")).to_have_count(1)
    expect(page.locator(".status-counts [data-count='rejected']")).to_have_text("1")
    assert _count(page, "pending") == pending_before - 1
    stored = _api(site, f"/api/suggestions/{suggestion['id']}")
    assert stored["status"] == "rejected"
    assert stored["reject_reason"] == "We like it dark in there"


def test_saving_invalid_yaml_shows_the_reason_and_keeps_the_old_yaml(
    site: ReviewSite, page: Page
) -> None:
    suggestion = _suggestions(site, status="pending")[0]
    old_yaml = _api(site, f"/api/suggestions/{suggestion['id']}")["yaml"]
    page.goto(site.url)
    card = _card(page, suggestion["id"])

    card.get_by_role("button", name="Edit").click()
    card.get_by_label("Edit the automation (YAML)").fill("alias: broken\ntrigger: [unclosed\n")
    card.get_by_role("button", name="Save").click()

    error = card.locator("[data-edit-error]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Not saved:")
    assert len(error.inner_text()) > len("Not saved: ")
    expect(card.locator("[data-yaml]")).to_have_text(old_yaml)
    assert _api(site, f"/api/suggestions/{suggestion['id']}")["yaml"] == old_yaml


def test_saving_valid_yaml_shows_the_edited_automation(site: ReviewSite, page: Page) -> None:
    suggestion = _suggestions(site, status="pending")[0]
    old_yaml = _api(site, f"/api/suggestions/{suggestion['id']}")["yaml"]
    new_yaml = re.sub(r"(?m)^alias: .*$", "alias: Our own name for it", old_yaml)
    page.goto(site.url)
    card = _card(page, suggestion["id"])

    card.get_by_role("button", name="Edit").click()
    card.get_by_label("Edit the automation (YAML)").fill(new_yaml)
    card.get_by_role("button", name="Save").click()

    expect(card.locator("[data-yaml]")).to_contain_text("alias: Our own name for it")
    expect(card.locator("[data-editor]")).to_be_hidden()
    assert "Our own name for it" in _api(site, f"/api/suggestions/{suggestion['id']}")["yaml"]


def test_deploying_an_approved_suggestion_shows_it_deployed_and_undeploy_removes_it(
    site: ReviewSite, page: Page
) -> None:
    suggestion = _first_of_kind(site, "sequence")
    page.goto(site.url)
    card = _card(page, suggestion["id"])

    card.get_by_role("button", name="Approve").click()
    card.get_by_role("button", name="Deploy to Home Assistant").click()

    expect(card.locator("[data-status-text]")).to_have_text("Deployed")
    expect(card.locator("[data-message]")).to_contain_text("live in Home Assistant")
    expect(card.get_by_role("button", name="Undeploy")).to_be_visible()
    deployed = _api(site, f"/api/suggestions/{suggestion['id']}")
    assert deployed["ha_automation_id"] in site.home_assistant.automations

    card.get_by_role("button", name="Undeploy").click()

    expect(card.locator("[data-status-text]")).to_have_text("Removed")
    expect(card.get_by_role("button", name="Deploy to Home Assistant")).to_be_visible()
    assert deployed["ha_automation_id"] not in site.home_assistant.automations


def test_a_failed_deploy_shows_home_assistants_message_on_the_card(
    site: ReviewSite, page: Page
) -> None:
    suggestion = _first_of_kind(site, "time_of_day")
    page.goto(site.url)
    card = _card(page, suggestion["id"])
    card.get_by_role("button", name="Approve").click()
    expect(card.locator("[data-status-text]")).to_have_text("Approved")
    site.home_assistant.fail(400, path_prefix="/api/config/automation")

    card.get_by_role("button", name="Deploy to Home Assistant").click()

    expect(card.locator("[data-status-text]")).to_have_text("Deploy failed")
    expect(card.locator("[data-message]")).to_contain_text("Fake failure")
    expect(card.get_by_role("button", name="Deploy to Home Assistant")).to_be_visible()
    assert not site.home_assistant.automations


def test_with_a_token_the_page_asks_for_it_and_works_after_sign_in(
    start_site: Callable[..., ReviewSite], page: Page
) -> None:
    site = start_site(api_token=API_TOKEN)
    suggestion = _suggestions(site, status="pending")[0]

    page.goto(site.url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator(".card")).to_have_count(0)
    page.get_by_label("API token").fill("not-the-token-at-all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not the one")

    page.get_by_label("API token").fill(API_TOKEN)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{site.url}/")
    card = _card(page, suggestion["id"])
    card.get_by_role("button", name="Approve").click()
    expect(card.locator("[data-status-text]")).to_have_text("Approved")
    cookie = next(c for c in page.context.cookies() if c["name"] == "homehabits_token")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert API_TOKEN not in page.url

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API token")).to_be_visible()


def test_keyboard_tab_reaches_the_approve_button_and_enter_presses_it(
    site: ReviewSite, page: Page
) -> None:
    page.goto(site.url)
    focused = ""
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "document.activeElement.dataset ? document.activeElement.dataset.action || '' : ''"
        )
        if focused == "approve":
            break
    assert focused == "approve", "Tab never reached an Approve button"
    card_id = page.evaluate("document.activeElement.closest('.card').dataset.id")

    page.keyboard.press("Enter")

    expect(_card(page, int(card_id)).locator("[data-status-text]")).to_have_text("Approved")


def test_evidence_is_drawn_as_a_labelled_picture(
    site: ReviewSite, page: Page, artifacts: Path
) -> None:
    timed = _api(site, f"/api/suggestions/{_first_of_kind(site, 'time_of_day')['id']}")
    sequence = _api(site, f"/api/suggestions/{_first_of_kind(site, 'sequence')['id']}")
    page.goto(site.url)

    timed_picture = _card(page, timed["id"]).locator("svg.evidence")
    expect(timed_picture).to_have_attribute("role", "img")
    expect(timed_picture.locator("title").first).to_have_text(f"Evidence: {timed['title']}")
    expect(timed_picture.locator("circle.ev-dot")).to_have_count(
        len(timed["evidence"]["evidence_times"])
    )
    expect(timed_picture.locator("line.ev-proposed")).to_have_count(1)
    bars = _card(page, sequence["id"]).locator("svg.evidence rect.ev-bar")
    counted = sum(int(title.split(" ")[0]) for title in bars.locator("title").all_text_contents())
    assert counted == len(sequence["evidence"]["evidence_lags"])
    _card(page, timed["id"]).screenshot(path=str(artifacts / "card-evidence.png"))


def test_runs_page_shows_phases_and_run_now_starts_an_analysis(
    site: ReviewSite, page: Page, artifacts: Path
) -> None:
    first = _api(site, "/api/analysis/runs")[0]
    page.goto(f"{site.url}/runs")

    run = page.locator(f"[data-run-id='{first['id']}']")
    expect(run).to_contain_text("succeeded")
    phases = run.locator("table.phases tbody th")
    expect(phases).to_have_text(list(first["phase_seconds"]))
    expect(run).to_contain_text(f"{first['events_read']:,}")
    page.screenshot(path=str(artifacts / "runs.png"), full_page=True)

    page.get_by_role("button", name="Run now").click()

    expect(page.locator(f"[data-run-id='{first['id'] + 1}']")).to_contain_text(
        "succeeded", timeout=30_000
    )
    expect(page.get_by_role("button", name="Run now")).to_be_enabled()


def test_a_phone_sized_screen_gets_one_column_without_sideways_scrolling(
    site: ReviewSite, browser: Any, artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        page = context.new_page()
        page.goto(site.url)
        card = page.locator(".card").first
        figure = card.locator("figure.evidence").bounding_box()
        automation = card.locator(".automation").bounding_box()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        page.screenshot(path=str(artifacts / "phone.png"))
        card.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "phone-card.png"))
    finally:
        context.close()

    assert overflow <= 0
    assert figure is not None
    assert automation is not None
    assert automation["y"] >= figure["y"] + figure["height"], "evidence and YAML are stacked"


def test_copy_puts_the_automation_yaml_on_the_clipboard(site: ReviewSite, browser: Any) -> None:
    suggestion = _suggestions(site, status="pending")[0]
    yaml_text = _api(site, f"/api/suggestions/{suggestion['id']}")["yaml"]
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.goto(site.url)
        card = _card(page, suggestion["id"])

        card.get_by_role("button", name="Copy").click()

        expect(card.get_by_role("button", name="Copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == yaml_text
    finally:
        context.close()


def test_approve_all_here_leaves_the_sensitive_cards_to_review(
    site: ReviewSite, page: Page
) -> None:
    pending = _suggestions(site, status="pending")
    sensitive = [item for item in pending if item["sensitive"]]
    assert sensitive, "the demo home has a lock habit"

    page.goto(site.url)
    page.get_by_role("button", name="Approve all here except sensitive ones").click()

    expect(page.locator("#approve-all-status")).to_contain_text(
        f"{len(pending) - len(sensitive)} approved"
    )
    expect(page.locator("[data-group='pending'] .card")).to_have_count(len(sensitive))
    for item in sensitive:
        expect(_card(page, item["id"])).to_have_attribute("data-status", "pending")
    assert _count(page, "approved") == len(pending) - len(sensitive)
    assert {item["id"] for item in _suggestions(site, status="pending")} == {
        item["id"] for item in sensitive
    }


def _send(site: ReviewSite, method: str, path: str, body: dict[str, Any]) -> Any:
    headers = (
        {"Authorization": f"Bearer {site.settings.api_token}"} if site.settings.api_token else {}
    )
    response = httpx.request(method, f"{site.url}{path}", json=body, headers=headers, timeout=10)
    response.raise_for_status()
    return response.json()


def test_approve_all_with_one_edited_lock_pending_approves_nothing(
    site: ReviewSite, page: Page
) -> None:
    pending = _suggestions(site, status="pending")
    kept = next(item for item in pending if not item["sensitive"])
    for item in pending:
        if item["id"] != kept["id"]:
            _send(site, "POST", f"/api/suggestions/{item['id']}/reject", {})
    detail = _api(site, f"/api/suggestions/{kept['id']}")
    key = "actions" if "actions" in detail["automation"] else "action"
    service_key = "action" if key == "actions" else "service"
    locking = {
        **detail["automation"],
        key: [{service_key: "lock.lock", "target": {"entity_id": "lock.front_door"}}],
    }
    _send(site, "PATCH", f"/api/suggestions/{kept['id']}", {"yaml": yaml.safe_dump(locking)})
    page.goto(site.url)

    page.get_by_role("button", name="Approve all here except sensitive ones").click()

    expect(page.locator("#approve-all-status")).to_contain_text("0 approved")
    expect(page.locator(f"[data-group='pending'] #suggestion-{kept['id']}")).to_be_visible()
    assert _api(site, f"/api/suggestions/{kept['id']}")["status"] == "pending"


def test_reopen_on_a_rejected_card_brings_it_back_to_pending(site: ReviewSite, page: Page) -> None:
    suggestion = _suggestions(site, status="pending")[0]
    _send(site, "POST", f"/api/suggestions/{suggestion['id']}/reject", {"reason": "later"})
    page.goto(f"{site.url}/?status=rejected")
    card = _card(page, suggestion["id"])

    card.get_by_role("button", name="Reopen").click()

    expect(card.locator("[data-status-text]")).to_have_text("To review")
    assert _api(site, f"/api/suggestions/{suggestion['id']}")["status"] == "pending"
