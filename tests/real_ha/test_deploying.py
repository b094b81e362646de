"""Deploy and undeploy through homehabits' review functions, into real Home Assistant."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from homehabits import review
from homehabits.automations.tree import triggers_disabled
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Dialect, Settings
from homehabits.exceptions import DeployRefusedError
from homehabits.store import repository
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import NewSuggestion, RunStatus, RunSummary, SuggestionStatus
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
    """Ids a test deployed; whatever is still in Home Assistant afterwards is deleted."""
    ids: list[str] = []
    yield ids
    with real_ha.client() as client:
        for automation_id in ids:
            client.delete(f"/api/config/automation/config/{automation_id}")


async def _approved(sessions: Sessions, entity: str) -> tuple[int, str]:
    """An approved suggestion to switch `entity` on at 04:44 (modern dialect, as stored)."""
    fingerprint = f"contract{uuid.uuid4().hex[:12]}"
    automation: dict[str, Any] = {
        "alias": f"homehabits contract test {fingerprint}",
        "description": "Deployed and removed again by homehabits' contract tests.",
        "triggers": [{"trigger": "time", "at": "04:44:00"}],
        "conditions": [],
        "actions": [{"action": "input_boolean.turn_on", "target": {"entity_id": entity}}],
        "mode": "single",
    }
    suggestion = NewSuggestion(
        fingerprint=fingerprint,
        kind="time_of_day",
        title=f"Turn on {entity} at 04:44",
        description="Every night at 04:44.",
        rationale="A contract test.",
        category="other",
        confidence=0.9,
        score=0.8,
        sensitive=False,
        sensitive_reason=None,
        target_entity=entity,
        trigger_entity=None,
        area_id=None,
        area_name=None,
        automation=automation,
        yaml=automation_to_yaml(automation),
        dialect="modern",
        diff=None,
        pattern={"kind": "time_of_day", "fingerprint": fingerprint, "target_entity": entity},
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


def _automation_entities(ha: RealHomeAssistant, automation_id: str) -> list[str]:
    with ha.client() as client:
        states = client.get("/api/states").json()
    return [
        state["entity_id"]
        for state in states
        if state["entity_id"].startswith("automation.")
        and state["attributes"].get("id") == automation_id
    ]


def _gone_from(ha: RealHomeAssistant, automation_id: str) -> bool:
    deadline = time.monotonic() + 20
    while _automation_entities(ha, automation_id):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


async def test_deploy_puts_the_automation_in_home_assistant_in_its_dialect_and_undeploy_removes_it(
    real_ha: RealHomeAssistant,
    settings: Settings,
    sessions: Sessions,
    automation_ids: list[str],
) -> None:
    suggestion_id, automation_id = await _approved(sessions, _TARGET)
    automation_ids.append(automation_id)

    deployed = await review.deploy(sessions, settings, suggestion_id)

    assert deployed.status is SuggestionStatus.DEPLOYED, deployed.deploy_message
    assert deployed.ha_automation_id == automation_id
    (entity,) = _automation_entities(real_ha, automation_id)
    assert entity in (deployed.deploy_message or "")
    with real_ha.client() as client:
        stored = client.get(f"/api/config/automation/config/{automation_id}").json()
    if real_ha.dialect == "legacy":
        assert stored["trigger"] == [{"platform": "time", "at": "04:44:00"}]
        assert stored["action"][0]["service"] == "input_boolean.turn_on"
        assert "triggers" not in stored
    else:
        assert stored["triggers"] == [{"trigger": "time", "at": "04:44:00"}]
        assert stored["actions"][0]["action"] == "input_boolean.turn_on"
        assert "trigger" not in stored

    removed = await review.undeploy(sessions, settings, suggestion_id)

    assert removed.status is SuggestionStatus.REMOVED
    assert _gone_from(real_ha, automation_id)
    with real_ha.client() as client:
        assert client.get(f"/api/config/automation/config/{automation_id}").status_code == 404


async def test_deploy_naming_an_entity_home_assistant_lacks_is_refused_unless_forced(
    real_ha: RealHomeAssistant,
    settings: Settings,
    sessions: Sessions,
    automation_ids: list[str],
) -> None:
    missing = f"input_boolean.nowhere_{uuid.uuid4().hex[:8]}"
    suggestion_id, automation_id = await _approved(sessions, missing)
    automation_ids.append(automation_id)

    with pytest.raises(DeployRefusedError) as refused:
        await review.deploy(sessions, settings, suggestion_id)

    assert missing in str(refused.value)
    assert not _automation_entities(real_ha, automation_id)
    failed = await repository.get_suggestion(sessions, suggestion_id)
    assert failed.status is SuggestionStatus.DEPLOY_FAILED

    forced = await review.deploy(sessions, settings, suggestion_id, force=True)

    assert forced.status is SuggestionStatus.DEPLOYED, forced.deploy_message
    assert missing in (forced.deploy_message or "")
    assert _automation_entities(real_ha, automation_id)

    await review.undeploy(sessions, settings, suggestion_id)

    assert _gone_from(real_ha, automation_id)


def test_an_automation_turned_off_by_disabling_its_triggers_is_taken_and_loaded(
    real_ha: RealHomeAssistant, automation_ids: list[str]
) -> None:
    """What an override undone every day, and a revision that turns one off, deploy."""
    dialect = Dialect(real_ha.dialect)
    trigger_key, action_key, call_key, kind_key = (
        ("triggers", "actions", "action", "trigger")
        if dialect is Dialect.MODERN
        else ("trigger", "action", "service", "platform")
    )
    automation_id = f"homehabits_off_{uuid.uuid4().hex[:8]}"
    config = triggers_disabled(
        {
            "id": automation_id,
            "alias": f"Turned off {automation_id}",
            trigger_key: [{kind_key: "time", "at": "06:40:00"}],
            action_key: [{call_key: "input_boolean.turn_on", "target": {"entity_id": _TARGET}}],
            "mode": "single",
        },
        dialect,
    )
    assert config[trigger_key] == [{kind_key: "time", "at": "06:40:00", "enabled": False}]
    automation_ids.append(automation_id)
    with real_ha.client() as client:
        answer = client.post(f"/api/config/automation/config/{automation_id}", json=config)
        assert answer.status_code == 200, answer.text
    deadline = time.monotonic() + 20
    while not _automation_entities(real_ha, automation_id) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _automation_entities(real_ha, automation_id)
