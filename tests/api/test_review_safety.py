"""Safety at every door over HTTP: edit (422), bulk approval, deploy checks, reopen."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import update

from homehabits.store.tables import SuggestionRow
from tests.api.conftest import Running


async def _pending(running: Running) -> list[dict[str, Any]]:
    await running.run_analysis()
    page = (
        await running.client.get("/api/suggestions", params={"status": "pending", "limit": 500})
    ).json()
    items: list[dict[str, Any]] = page["items"]
    assert items, "the demo home gives suggestions"
    return items


def _with_action(detail: dict[str, Any], service: str, entity: str) -> str:
    automation = dict(detail["automation"])
    key = "actions" if "actions" in automation else "action"
    service_key = "action" if key == "actions" else "service"
    automation[key] = [{service_key: service, "target": {"entity_id": entity}}]
    return yaml.safe_dump(automation, sort_keys=False)


async def _detail(running: Running, suggestion_id: int) -> dict[str, Any]:
    body: dict[str, Any] = (await running.client.get(f"/api/suggestions/{suggestion_id}")).json()
    return body


async def _only_one_pending(running: Running) -> dict[str, Any]:
    """Reject every pending suggestion but one that is not sensitive; that one."""
    items = await _pending(running)
    kept = next(item for item in items if not item["sensitive"])
    for item in items:
        if item["id"] != kept["id"]:
            await running.client.post(f"/api/suggestions/{item['id']}/reject", json={})
    return await _detail(running, kept["id"])


async def test_an_edit_to_unlock_is_refused_with_422_and_the_reason(running: Running) -> None:
    chosen = await _detail(running, (await _pending(running))[0]["id"])

    unlock = await running.client.patch(
        f"/api/suggestions/{chosen['id']}",
        json={"yaml": _with_action(chosen, "lock.unlock", "lock.front_door")},
    )
    disarm = await running.client.patch(
        f"/api/suggestions/{chosen['id']}",
        json={
            "yaml": _with_action(
                chosen, "alarm_control_panel.alarm_disarm", "alarm_control_panel.home"
            )
        },
    )

    assert unlock.status_code == 422, unlock.text
    assert "unlocking" in unlock.json()["detail"]
    assert disarm.status_code == 422, disarm.text
    assert "disarming" in disarm.json()["detail"]
    assert (await _detail(running, chosen["id"]))["yaml"] == chosen["yaml"]


async def test_an_edit_with_a_template_or_a_foreign_service_is_refused_with_422(
    running: Running,
) -> None:
    chosen = await _detail(running, (await _pending(running))[0]["id"])
    templated = dict(chosen["automation"])
    templated["alias"] = "{{ states('sensor.x') }}"

    template = await running.client.patch(
        f"/api/suggestions/{chosen['id']}", json={"yaml": yaml.safe_dump(templated)}
    )
    foreign = await running.client.patch(
        f"/api/suggestions/{chosen['id']}",
        json={"yaml": _with_action(chosen, "shell_command.wipe", "light.kitchen")},
    )

    assert template.status_code == 422, template.text
    assert "template" in template.json()["detail"]
    assert foreign.status_code == 422, foreign.text
    assert "shell_command.wipe" in foreign.json()["detail"]


async def test_an_edited_lock_is_sensitive_and_bulk_approval_approves_nothing(
    running: Running,
) -> None:
    chosen = await _only_one_pending(running)

    edited = await running.client.patch(
        f"/api/suggestions/{chosen['id']}",
        json={"yaml": _with_action(chosen, "lock.lock", "lock.front_door")},
    )
    by_ids = await running.client.post("/api/suggestions/approve", json={"ids": [chosen["id"]]})
    every = await running.client.post("/api/suggestions/approve", json={"all_pending": True})

    assert edited.status_code == 200, edited.text
    assert edited.json()["sensitive"] is True
    assert by_ids.json()["approved"] == []
    assert every.status_code == 200, every.text
    assert every.json()["approved"] == []
    assert [skip["id"] for skip in every.json()["skipped"]] == [chosen["id"]]
    assert (await _detail(running, chosen["id"]))["status"] == "pending"


async def test_deploy_refuses_a_row_changed_to_an_unlock_in_the_database(
    running: Running,
) -> None:
    chosen = await _detail(running, (await _pending(running))[0]["id"])
    await running.client.post(f"/api/suggestions/{chosen['id']}/approve")
    unlocking = yaml.safe_load(_with_action(chosen, "lock.unlock", "lock.front_door"))
    async with running.service.sessions() as session:
        await session.execute(
            update(SuggestionRow)
            .where(SuggestionRow.id == chosen["id"])
            .values(automation=unlocking)
        )
        await session.commit()

    refused = await running.client.post(f"/api/suggestions/{chosen['id']}/deploy")

    assert refused.status_code == 422, refused.text
    assert "unlocking" in refused.json()["detail"]
    stored = await _detail(running, chosen["id"])
    assert stored["status"] == "deploy_failed"
    assert "unlocking" in stored["deploy_message"]
    assert running.home_assistant.count("/api/config/automation/config/", method="POST") == 0


async def test_deploy_of_an_unknown_entity_is_refused_unless_forced(running: Running) -> None:
    chosen = await _detail(running, (await _pending(running))[0]["id"])
    elsewhere = _with_action(chosen, "light.turn_on", "light.not_in_this_home")
    await running.client.patch(f"/api/suggestions/{chosen['id']}", json={"yaml": elsewhere})
    await running.client.post(f"/api/suggestions/{chosen['id']}/approve")

    refused = await running.client.post(f"/api/suggestions/{chosen['id']}/deploy")
    forced = await running.client.post(
        f"/api/suggestions/{chosen['id']}/deploy", params={"force": "true"}
    )

    assert refused.status_code == 422, refused.text
    assert "light.not_in_this_home" in refused.json()["detail"]
    assert forced.status_code == 200, forced.text
    assert forced.json()["status"] == "deployed"
    assert "warning" in forced.json()["deploy_message"]
    assert "light.not_in_this_home" in forced.json()["deploy_message"]


async def test_reopen_over_http_brings_a_rejected_suggestion_back(running: Running) -> None:
    chosen = (await _pending(running))[0]
    await running.client.post(f"/api/suggestions/{chosen['id']}/reject", json={"reason": "no"})

    reopened = await running.client.post(f"/api/suggestions/{chosen['id']}/reopen")
    again = await running.client.post(f"/api/suggestions/{chosen['id']}/reopen")

    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "pending"
    assert again.status_code == 409
