"""Versions and rollback over HTTP: the history of an automation, and going back to one of them."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import update

from homehabits.automations.dialects import convert_dialect
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Dialect
from homehabits.store.tables import SuggestionVersionRow
from tests.api.conftest import Running


async def _pending(running: Running) -> dict[str, Any]:
    await running.run_analysis()
    page = (await running.client.get("/api/suggestions", params={"status": "pending"})).json()
    chosen: dict[str, Any] = page["items"][0]
    return chosen


async def _renamed(running: Running, suggestion_id: int, alias: str) -> dict[str, Any]:
    detail = (await running.client.get(f"/api/suggestions/{suggestion_id}")).json()
    automation = {**yaml.safe_load(detail["yaml"]), "alias": alias}
    edited = await running.client.patch(
        f"/api/suggestions/{suggestion_id}", json={"yaml": automation_to_yaml(automation)}
    )
    assert edited.status_code == 200, edited.text
    body: dict[str, Any] = edited.json()
    return body


async def _deployed(running: Running, suggestion_id: int) -> dict[str, Any]:
    await running.client.post(f"/api/suggestions/{suggestion_id}/approve")
    deployed = await running.client.post(f"/api/suggestions/{suggestion_id}/deploy")
    assert deployed.status_code == 200, deployed.text
    body: dict[str, Any] = deployed.json()
    return body


async def _versions(running: Running, suggestion_id: int) -> list[dict[str, Any]]:
    answer = await running.client.get(f"/api/suggestions/{suggestion_id}/versions")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def _without_id(config: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in config.items() if key != "id"}


async def test_found_edited_and_deployed_are_versions_newest_first(running: Running) -> None:
    chosen = await _pending(running)
    await _renamed(running, chosen["id"], "Our own name")
    await _deployed(running, chosen["id"])

    versions = await _versions(running, chosen["id"])

    assert [(v["number"], v["reason"]) for v in versions] == [
        (3, "deployed"),
        (2, "edited"),
        (1, f"found by run {chosen['run_id']}"),
    ]
    assert [(v["current"], v["deployed"]) for v in versions] == [
        (True, True),
        (False, False),
        (False, False),
    ]
    assert versions[2]["actor"] == "homehabits"
    assert yaml.safe_load(versions[1]["yaml"])["alias"] == "Our own name"
    assert "alias: Our own name" not in versions[2]["yaml"]


async def test_rolling_back_a_deployed_suggestion_redeploys_that_version(
    running: Running,
) -> None:
    chosen = await _pending(running)
    await _renamed(running, chosen["id"], "Our own name")
    deployed = await _deployed(running, chosen["id"])
    first = (await _versions(running, chosen["id"]))[-1]
    ha = running.home_assistant

    answer = await running.client.post(
        f"/api/suggestions/{chosen['id']}/rollback", json={"version": 1}
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "deployed"
    assert body["automation"] == first["automation"]
    assert body["yaml"] == first["yaml"]
    assert "rolled back to version 1" in body["deploy_message"]
    # Home Assistant runs version 1 again, under the same automation id, in its own dialect
    saved = ha.automations[deployed["ha_automation_id"]]
    assert _without_id(saved) == _without_id(convert_dialect(first["automation"], Dialect.MODERN))
    assert saved["alias"] != "Our own name"
    newest = (await _versions(running, chosen["id"]))[0]
    assert (newest["number"], newest["reason"]) == (4, "rolled back to version 1")
    assert (newest["current"], newest["deployed"]) == (True, True)


async def test_a_redeploy_home_assistant_refuses_leaves_everything_as_it_was(
    running: Running,
) -> None:
    chosen = await _pending(running)
    await _renamed(running, chosen["id"], "Our own name")
    deployed = await _deployed(running, chosen["id"])
    ha = running.home_assistant
    in_home_assistant = dict(ha.automations[deployed["ha_automation_id"]])
    history = await _versions(running, chosen["id"])
    ha.fail(400, path_prefix="/api/config/automation/config/")

    refused = await running.client.post(
        f"/api/suggestions/{chosen['id']}/rollback", json={"version": 1}
    )

    assert refused.status_code == 422, refused.text  # Home Assistant rejected the config
    assert refused.json()["detail"].endswith(": Fake failure")  # in its own words
    after = (await running.client.get(f"/api/suggestions/{chosen['id']}")).json()
    assert (after["status"], after["automation"]) == ("deployed", deployed["automation"])
    assert after["deploy_message"] == deployed["deploy_message"]
    assert await _versions(running, chosen["id"]) == history
    assert ha.automations[deployed["ha_automation_id"]] == in_home_assistant


async def test_a_redeploy_to_a_home_assistant_that_fails_answers_502_and_keeps_the_automation(
    running: Running,
) -> None:
    chosen = await _pending(running)
    await _renamed(running, chosen["id"], "Our own name")
    deployed = await _deployed(running, chosen["id"])
    running.home_assistant.fail(500, times=1000, path_prefix="/api/config/automation/config/")

    failed = await running.client.post(
        f"/api/suggestions/{chosen['id']}/rollback", json={"version": 1}
    )

    assert failed.status_code == 502, failed.text
    assert "answered 500" in failed.json()["detail"]
    assert "Fake failure" in failed.json()["detail"]
    after = (await running.client.get(f"/api/suggestions/{chosen['id']}")).json()
    assert (after["status"], after["automation"]) == ("deployed", deployed["automation"])


async def test_rolling_back_a_pending_suggestion_changes_only_homehabits(running: Running) -> None:
    chosen = await _pending(running)
    original = (await running.client.get(f"/api/suggestions/{chosen['id']}")).json()
    await _renamed(running, chosen["id"], "Our own name")
    calls = running.home_assistant.count("/api/config/automation")

    answer = await running.client.post(
        f"/api/suggestions/{chosen['id']}/rollback", json={"version": 1}
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "pending"
    assert answer.json()["automation"] == original["automation"]
    assert running.home_assistant.count("/api/config/automation") == calls
    reasons = [v["reason"] for v in await _versions(running, chosen["id"])]
    assert reasons[:2] == ["rolled back to version 1", "edited"]


async def test_an_unknown_version_is_404_naming_it(running: Running) -> None:
    chosen = await _pending(running)

    missing = await running.client.post(
        f"/api/suggestions/{chosen['id']}/rollback", json={"version": 9}
    )
    no_suggestion = await running.client.get("/api/suggestions/999999/versions")
    not_a_number = await running.client.post(
        f"/api/suggestions/{chosen['id']}/rollback", json={"version": 0}
    )

    assert missing.status_code == 404
    assert (
        missing.json()["detail"] == f"suggestion {chosen['id']} has no version 9 (its versions: 1)"
    )
    assert no_suggestion.status_code == 404
    assert not_a_number.status_code == 422
    assert "version" in not_a_number.text


async def test_a_version_the_safety_rules_refuse_cannot_be_rolled_back_to(
    running: Running,
) -> None:
    chosen = await _pending(running)
    edited = await _renamed(running, chosen["id"], "Our own name")
    # version 1 changed behind homehabits' back into unlocking the front door
    unlock = {
        **edited["automation"],
        "action": [{"service": "lock.unlock", "target": {"entity_id": "lock.front_door"}}],
    }
    unlock.pop("actions", None)
    async with running.service.sessions.begin() as session:
        await session.execute(
            update(SuggestionVersionRow)
            .where(SuggestionVersionRow.suggestion_id == chosen["id"])
            .where(SuggestionVersionRow.number == 1)
            .values(automation=unlock, yaml=automation_to_yaml(unlock))
        )

    refused = await running.client.post(
        f"/api/suggestions/{chosen['id']}/rollback", json={"version": 1}
    )

    assert refused.status_code == 422, refused.text
    assert "unlock" in refused.json()["detail"].lower()
    after = (await running.client.get(f"/api/suggestions/{chosen['id']}")).json()
    assert after["automation"] == edited["automation"]
    assert (await _versions(running, chosen["id"]))[0]["reason"] == "edited"
