"""The owner's whole review over HTTP: run, list, approve, deploy, undeploy, reject, edit."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.conftest import Running
from tests.waiting import wait_until


async def _first_pending(running: Running, **filters: Any) -> dict[str, Any]:
    page = (
        await running.client.get("/api/suggestions", params={"status": "pending", **filters})
    ).json()
    assert page["items"], "the demo home should give at least one suggestion"
    item: dict[str, Any] = page["items"][0]
    return item


async def test_a_run_finds_suggestions_that_can_be_listed_and_read(running: Running) -> None:
    run = await running.run_analysis()

    page = (await running.client.get("/api/suggestions", params={"limit": 2})).json()
    detail = (await running.client.get(f"/api/suggestions/{page['items'][0]['id']}")).json()

    assert run["status"] == "succeeded", run["errors"]
    assert run["trigger"] == "api"
    assert run["suggestions_created"] == page["total"] > 0
    assert set(run["phase_seconds"]) >= {"events", "mine", "compile", "write", "store"}
    assert len(page["items"]) == min(2, page["total"])
    assert (page["limit"], page["offset"]) == (2, 0)
    assert detail["yaml"].strip()
    assert detail["automation"]
    assert detail["evidence"]["fingerprint"] == detail["fingerprint"]
    assert detail["evidence"]["evidence_times"]


async def test_suggestions_page_through_without_overlap(running: Running) -> None:
    await running.run_analysis()

    first = (await running.client.get("/api/suggestions", params={"limit": 1})).json()
    second = (await running.client.get("/api/suggestions", params={"limit": 1, "offset": 1})).json()

    if first["total"] > 1:
        assert first["items"][0]["id"] != second["items"][0]["id"]
    assert second["offset"] == 1


async def test_approve_deploy_and_undeploy_reach_home_assistant(running: Running) -> None:
    await running.run_analysis()
    chosen = await _first_pending(running)
    ha = running.home_assistant

    approved = await running.client.post(f"/api/suggestions/{chosen['id']}/approve")
    deployed = await running.client.post(f"/api/suggestions/{chosen['id']}/deploy")

    assert approved.json()["status"] == "approved"
    assert deployed.status_code == 200, deployed.text
    body = deployed.json()
    automation_id = f"homehabits_{chosen['fingerprint']}"
    assert body["status"] == "deployed"
    assert body["ha_automation_id"] == automation_id
    assert automation_id in ha.automations
    assert "triggers" in ha.automations[automation_id]  # this Home Assistant is modern
    entity = next(
        (e for e, s in ha.states.items() if s["attributes"].get("id") == automation_id), None
    )
    assert entity is not None
    assert entity.startswith("automation.")
    assert entity in body["deploy_message"]

    removed = await running.client.post(f"/api/suggestions/{chosen['id']}/undeploy")
    await wait_until(lambda: entity not in ha.states, f"Home Assistant drops {entity}")

    assert removed.json()["status"] == "removed"
    assert automation_id not in ha.automations
    assert entity not in ha.states


async def test_deploy_speaks_the_legacy_dialect_to_an_older_home_assistant(
    running: Running,
) -> None:
    await running.run_analysis()
    chosen = await _first_pending(running)
    running.home_assistant.version = "2024.3.3"
    await running.client.post(f"/api/suggestions/{chosen['id']}/approve")

    deployed = await running.client.post(f"/api/suggestions/{chosen['id']}/deploy")

    saved = running.home_assistant.automations[f"homehabits_{chosen['fingerprint']}"]
    assert deployed.status_code == 200, deployed.text
    assert "trigger" in saved
    assert "triggers" not in saved
    assert all("platform" in trigger for trigger in saved["trigger"])


async def test_a_refused_deploy_keeps_home_assistants_message_and_can_be_retried(
    running: Running,
) -> None:
    await running.run_analysis()
    chosen = await _first_pending(running)
    await running.client.post(f"/api/suggestions/{chosen['id']}/approve")
    running.home_assistant.fail(400, path_prefix="/api/config/automation/config/")

    refused = await running.client.post(f"/api/suggestions/{chosen['id']}/deploy")
    stored = (await running.client.get(f"/api/suggestions/{chosen['id']}")).json()
    retried = await running.client.post(f"/api/suggestions/{chosen['id']}/deploy")

    assert refused.status_code == 422  # Home Assistant rejected the config: not a gateway fault
    assert refused.json()["detail"].endswith(": Fake failure")  # Home Assistant's own words
    assert stored["status"] == "deploy_failed"
    assert stored["deploy_message"].endswith(": Fake failure")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "deployed"


async def test_a_pending_suggestion_cannot_be_deployed(running: Running) -> None:
    await running.run_analysis()
    chosen = await _first_pending(running)

    refused = await running.client.post(f"/api/suggestions/{chosen['id']}/deploy")

    assert refused.status_code == 409
    assert "approve" in refused.json()["detail"]
    assert running.home_assistant.count("/api/config/automation/config/") == 0


async def test_a_rejected_habit_is_not_suggested_again_by_the_next_run(running: Running) -> None:
    await running.run_analysis()
    chosen = await _first_pending(running)

    rejected = await running.client.post(
        f"/api/suggestions/{chosen['id']}/reject", json={"reason": "we like it dark"}
    )
    second_run = await running.run_analysis()
    everything = (await running.client.get("/api/suggestions", params={"limit": 500})).json()

    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reject_reason"] == "we like it dark"
    assert second_run["status"] == "succeeded", second_run["errors"]
    same_habit = [s for s in everything["items"] if s["fingerprint"] == chosen["fingerprint"]]
    assert [s["id"] for s in same_habit] == [chosen["id"]]


async def test_invalid_yaml_is_refused_with_the_reason_and_the_yaml_is_unchanged(
    running: Running,
) -> None:
    await running.run_analysis()
    chosen = await _first_pending(running)
    before = (await running.client.get(f"/api/suggestions/{chosen['id']}")).json()

    refused = await running.client.patch(
        f"/api/suggestions/{chosen['id']}", json={"yaml": "alias: Broken\nmode: sometimes\n"}
    )
    after = (await running.client.get(f"/api/suggestions/{chosen['id']}")).json()

    assert refused.status_code == 422
    assert refused.json()["detail"]
    assert isinstance(refused.json()["detail"], str)
    assert after["yaml"] == before["yaml"]
    assert after["automation"] == before["automation"]


async def test_valid_edited_yaml_is_stored(running: Running) -> None:
    await running.run_analysis()
    chosen = await _first_pending(running)
    before = (await running.client.get(f"/api/suggestions/{chosen['id']}")).json()
    edited_text = before["yaml"].replace(f"alias: {before['automation']['alias']}", "alias: Mine")

    edited = await running.client.patch(
        f"/api/suggestions/{chosen['id']}", json={"yaml": edited_text}
    )

    assert edited.status_code == 200, edited.text
    assert edited.json()["automation"]["alias"] == "Mine"


async def test_two_run_requests_at_once_start_one_run(running: Running) -> None:
    first, second = await asyncio.gather(
        running.client.post("/api/analysis/run"), running.client.post("/api/analysis/run")
    )
    await running.service.runner.wait()
    runs = (await running.client.get("/api/analysis/runs")).json()

    assert sorted([first.status_code, second.status_code]) == [202, 409]
    refused = first if first.status_code == 409 else second
    assert "already running" in refused.json()["detail"]
    assert len(runs) == 1


async def test_unknown_ids_are_404_with_a_clear_detail(running: Running) -> None:
    suggestion = await running.client.get("/api/suggestions/999")
    approve = await running.client.post("/api/suggestions/999/approve")
    run = await running.client.get("/api/analysis/runs/999")

    assert (suggestion.status_code, approve.status_code, run.status_code) == (404, 404, 404)
    assert "999" in suggestion.json()["detail"]
    assert "999" in run.json()["detail"]


async def test_patterns_can_be_filtered_by_kind_and_entity(running: Running) -> None:
    await running.run_analysis()

    every = (await running.client.get("/api/patterns")).json()
    kind = every[0]["kind"]
    entity = every[0]["target_entity"]
    of_kind = (await running.client.get("/api/patterns", params={"kind": kind})).json()
    of_entity = (await running.client.get("/api/patterns", params={"entity": entity})).json()

    assert every
    assert of_kind
    assert all(p["kind"] == kind for p in of_kind)
    assert all(entity in (p["target_entity"], p["trigger_entity"]) for p in of_entity)
    assert "evidence_times" in every[0]


async def test_bulk_approval_over_http_leaves_sensitive_suggestions_pending(
    running: Running,
) -> None:
    await running.run_analysis()
    page = (await running.client.get("/api/suggestions", params={"status": "pending"})).json()
    ids = [item["id"] for item in page["items"]]
    sensitive = {item["id"] for item in page["items"] if item["sensitive"]}
    assert sensitive, "the demo home has a lock habit"

    answer = await running.client.post("/api/suggestions/approve", json={"ids": ids})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body["approved"]) == set(ids) - sensitive
    assert {skip["id"] for skip in body["skipped"]} == sensitive
    still = (await running.client.get("/api/suggestions", params={"status": "pending"})).json()
    assert {item["id"] for item in still["items"]} == sensitive
