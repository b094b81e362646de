"""Labels and categories on deploy, and the persistent notification, in real Home Assistant."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from homehabits import review
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Settings
from homehabits.homeassistant.client import has_labels
from homehabits.homeassistant.websocket import default_ws_connect, run_commands
from homehabits.notifications import NOTIFICATION_ID, notify_new_suggestions
from homehabits.store import repository
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import NewSuggestion, RunStatus, RunSummary, SuggestionStatus
from tests.fakes.fake_home_assistant import FakeHomeAssistant
from tests.real_ha.conftest import RealHomeAssistant

pytestmark = pytest.mark.real_ha

_TARGET = "input_boolean.accept_trigger"  # written into both instances' configuration.yaml


@pytest.fixture
def settings(real_ha: RealHomeAssistant, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}",
        ha_url=real_ha.url,
        ha_token=real_ha.token,
    )


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[Sessions]:
    engine = make_engine(settings.database_url)
    await migrate(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def automation_ids(real_ha: RealHomeAssistant) -> Iterator[list[str]]:
    ids: list[str] = []
    yield ids
    with real_ha.client() as client:
        for automation_id in ids:
            client.delete(f"/api/config/automation/config/{automation_id}")


async def _ws(ha: RealHomeAssistant, *commands: dict[str, Any]) -> list[Any]:
    return await run_commands(
        ha.url, ha.token, list(commands), connect=default_ws_connect, timeout=30
    )


async def _approved(sessions: Sessions) -> tuple[int, str]:
    fingerprint = f"labels{uuid.uuid4().hex[:12]}"
    automation: dict[str, Any] = {
        "alias": f"homehabits label test {fingerprint}",
        "description": "Deployed and removed again by homehabits' contract tests.",
        "triggers": [{"trigger": "time", "at": "04:45:00"}],
        "conditions": [],
        "actions": [{"action": "input_boolean.turn_on", "target": {"entity_id": _TARGET}}],
        "mode": "single",
    }
    suggestion = NewSuggestion(
        fingerprint=fingerprint,
        kind="time_of_day",
        title="Turn on the accept trigger at 04:45",
        description="Every night at 04:45.",
        rationale="A contract test.",
        category="other",
        confidence=0.9,
        score=0.8,
        sensitive=False,
        sensitive_reason=None,
        target_entity=_TARGET,
        trigger_entity=None,
        area_id=None,
        area_name=None,
        automation=automation,
        yaml=automation_to_yaml(automation),
        dialect="modern",
        diff=None,
        pattern={"kind": "time_of_day", "fingerprint": fingerprint, "target_entity": _TARGET},
        author="template",
    )
    end = datetime.now(UTC)
    run_id = await repository.create_run(
        sessions, trigger="cli", source="contract test", window_start=end, window_end=end
    )
    summary = RunSummary(status=RunStatus.SUCCEEDED, suggestions_created=1)
    (suggestion_id,) = await repository.complete_run(sessions, run_id, summary, [], [suggestion])
    await review.approve(sessions, suggestion_id)
    return suggestion_id, f"homehabits_{fingerprint}"


def _entity_of(deploy_message: str | None) -> str:
    words = (deploy_message or "").split()
    return next(word for word in words if word.startswith("automation."))


async def test_a_deployed_automation_has_the_label_and_category_where_home_assistant_has_them(
    real_ha: RealHomeAssistant,
    settings: Settings,
    sessions: Sessions,
    automation_ids: list[str],
) -> None:
    suggestion_id, automation_id = await _approved(sessions)
    automation_ids.append(automation_id)

    deployed = await review.deploy(sessions, settings, suggestion_id)

    assert deployed.status is SuggestionStatus.DEPLOYED, deployed.deploy_message
    assert "warning" not in (deployed.deploy_message or "")
    entity_id = _entity_of(deployed.deploy_message)
    (entry,) = await _ws(real_ha, {"type": "config/entity_registry/get", "entity_id": entity_id})
    if has_labels(real_ha.version):
        labels, categories = await _ws(
            real_ha,
            {"type": "config/label_registry/list"},
            {"type": "config/category_registry/list", "scope": "automation"},
        )
        (label,) = [item for item in labels if item["name"] == review.DEPLOY_LABEL]
        (category,) = [item for item in categories if item["name"] == review.DEPLOY_CATEGORY]
        assert label["label_id"] in entry["labels"]
        assert entry["categories"] == {"automation": category["category_id"]}
    else:
        assert real_ha.version.startswith("2024.3")
        assert entry.get("labels", []) == []
        assert not entry.get("categories")


async def test_the_fake_labels_and_categories_answer_with_the_real_shapes(
    real_ha: RealHomeAssistant,
) -> None:
    name = f"hh contract {uuid.uuid4().hex[:8]}"
    (real,) = await _ws(real_ha, {"type": "config/label_registry/create", "name": name})
    try:
        fake = FakeHomeAssistant(version=real_ha.version)
        faked = fake._ws_answer({"id": 1, "type": "config/label_registry/create", "name": name})
        assert set(faked["result"]) == set(real)
        assert faked["result"]["label_id"] == real["label_id"]
        if has_labels(real_ha.version):
            (category,) = await _ws(
                real_ha,
                {"type": "config/category_registry/create", "scope": "automation", "name": name},
            )
            await _ws(
                real_ha,
                {
                    "type": "config/category_registry/delete",
                    "scope": "automation",
                    "category_id": category["category_id"],
                },
            )
            faked = fake._ws_answer(
                {
                    "id": 2,
                    "type": "config/category_registry/create",
                    "scope": "automation",
                    "name": name,
                }
            )
            assert set(faked["result"]) == set(category)
    finally:
        await _ws(real_ha, {"type": "config/label_registry/delete", "label_id": real["label_id"]})


async def test_the_persistent_notification_appears_and_the_next_one_replaces_it(
    real_ha: RealHomeAssistant, settings: Settings
) -> None:
    first = await notify_new_suggestions(settings, ["Turn on the hall light at 07:00", "b", "c"])
    second = await notify_new_suggestions(settings, ["Close the blinds at 21:30"])

    assert first == second == []
    (notifications,) = await _ws(real_ha, {"type": "persistent_notification/get"})
    ours = [n for n in notifications if n["notification_id"] == NOTIFICATION_ID]
    assert len(ours) == 1
    assert ours[0]["title"] == "1 new automation suggestion"
    assert "Close the blinds at 21:30" in ours[0]["message"]
    with real_ha.client() as client:
        client.post(
            "/api/services/persistent_notification/dismiss",
            json={"notification_id": NOTIFICATION_ID},
        )


async def test_an_unknown_notify_service_is_a_warning(
    real_ha: RealHomeAssistant, real_ha_settings_with_notify: Settings
) -> None:
    warnings = await notify_new_suggestions(real_ha_settings_with_notify, ["a"])

    (warning,) = warnings
    assert "notify.homehabits_contract_missing" in warning
    assert "400" in warning
    with real_ha.client() as client:
        client.post(
            "/api/services/persistent_notification/dismiss",
            json={"notification_id": NOTIFICATION_ID},
        )


@pytest.fixture
def real_ha_settings_with_notify(settings: Settings) -> Settings:
    return settings.model_copy(update={"notify_service": "notify.homehabits_contract_missing"})
