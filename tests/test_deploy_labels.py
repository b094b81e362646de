"""A deployed automation gets the label `homehabits` and its category, where the home has them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from homehabits import review
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Settings
from homehabits.homeassistant import HomeAssistantClient
from homehabits.homeassistant.client import has_labels
from homehabits.store import repository
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import NewSuggestion, RunStatus, RunSummary, SuggestionStatus
from tests.fakes.fake_home_assistant import FakeHomeAssistant

_TOKEN = "ha-token-for-labels"
_LIGHT = "light.kitchen"


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}",
        ha_url="http://ha.local:8123",
        ha_token=_TOKEN,
    )


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = make_engine(_settings(tmp_path).database_url)
    await migrate(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


def _home(version: str) -> FakeHomeAssistant:
    home = FakeHomeAssistant(token=_TOKEN, version=version, reload_delay=0.01)
    home.add_entity(_LIGHT, name="Kitchen light", state="off")
    return home


async def _approved(sessions: Sessions, fingerprint: str) -> int:
    automation = {
        "alias": f"Kitchen light on at 07:00 ({fingerprint})",
        "description": "Every morning.",
        "triggers": [{"trigger": "time", "at": "07:00:00"}],
        "conditions": [],
        "actions": [{"action": "light.turn_on", "target": {"entity_id": _LIGHT}}],
        "mode": "single",
    }
    suggestion = NewSuggestion(
        fingerprint=fingerprint,
        kind="time_of_day",
        title="Turn on the kitchen light at 07:00",
        description="Every morning.",
        rationale="Seen on 12 of 14 days.",
        category="lighting",
        confidence=0.9,
        score=0.8,
        sensitive=False,
        sensitive_reason=None,
        target_entity=_LIGHT,
        trigger_entity=None,
        area_id=None,
        area_name=None,
        automation=automation,
        yaml=automation_to_yaml(automation),
        dialect="modern",
        diff=None,
        pattern={"kind": "time_of_day", "fingerprint": fingerprint, "target_entity": _LIGHT},
        author="template",
    )
    end = datetime(2026, 3, 1, tzinfo=UTC)
    run_id = await repository.create_run(
        sessions, trigger="cli", source="test", window_start=end.replace(day=1), window_end=end
    )
    summary = RunSummary(status=RunStatus.SUCCEEDED, suggestions_created=1)
    (suggestion_id,) = await repository.complete_run(sessions, run_id, summary, [], [suggestion])
    await review.approve(sessions, suggestion_id)
    return suggestion_id


def _entity_of(home: FakeHomeAssistant, automation_id: str) -> dict[str, object]:
    (entry,) = [
        e
        for e in home.entity_registry.values()
        if e["entity_id"].startswith("automation.") and e.get("unique_id") == automation_id
    ]
    return entry


async def test_a_deployed_automation_gets_the_label_and_the_category(
    tmp_path: Path, sessions: Sessions
) -> None:
    home = _home("2026.2.3")
    settings = _settings(tmp_path)
    first = await _approved(sessions, "aa11")
    second = await _approved(sessions, "bb22")

    one = await review.deploy(sessions, settings, first, transport=home.transport())
    two = await review.deploy(sessions, settings, second, transport=home.transport())

    assert one.status is two.status is SuggestionStatus.DEPLOYED
    assert "warning" not in (one.deploy_message or "") + (two.deploy_message or "")
    assert list(home.labels) == ["homehabits"]  # created once, then found
    (category,) = home.categories["automation"].values()
    assert category["name"] == "Suggested by homehabits"
    for record in (one, two):
        entry = _entity_of(home, str(record.ha_automation_id))
        assert entry["labels"] == ["homehabits"]
        assert entry["categories"] == {"automation": category["category_id"]}


async def test_labels_the_entity_already_has_are_kept(tmp_path: Path) -> None:
    home = _home("2026.2.3")
    home.add_automation({"id": "owned", "alias": "Mine", "triggers": [], "actions": []})
    await _wait_for_entity(home, "owned")
    home.labels["evening"] = {"label_id": "evening", "name": "Evening"}
    _entity_of(home, "owned")["labels"] = ["evening"]
    entity_id = str(_entity_of(home, "owned")["entity_id"])

    async with HomeAssistantClient(
        "http://ha.local:8123", _TOKEN, transport=home.transport()
    ) as client:
        await client.label_automation(entity_id, label="homehabits", category="Suggested")

    assert _entity_of(home, "owned")["labels"] == ["evening", "homehabits"]


async def test_an_older_home_assistant_is_left_without_labels_silently(
    tmp_path: Path, sessions: Sessions
) -> None:
    home = _home("2024.3.3")
    suggestion_id = await _approved(sessions, "cc33")

    deployed = await review.deploy(
        sessions, _settings(tmp_path), suggestion_id, transport=home.transport()
    )

    assert deployed.status is SuggestionStatus.DEPLOYED
    assert "warning" not in (deployed.deploy_message or "")
    assert home.labels == {}
    assert not [r for r in home.requests if "label_registry" in r.path or "category" in r.path]


async def test_a_labelling_failure_is_a_warning_on_the_deploy(
    tmp_path: Path, sessions: Sessions
) -> None:
    home = _home("2026.2.3")
    # a label of that name that the registry lists without an id: an answer we cannot use
    home.labels["broken"] = {"name": "homehabits"}
    suggestion_id = await _approved(sessions, "dd44")

    deployed = await review.deploy(
        sessions, _settings(tmp_path), suggestion_id, transport=home.transport()
    )

    assert deployed.status is SuggestionStatus.DEPLOYED
    assert "warning: the label 'homehabits' and category could not be set" in (
        deployed.deploy_message or ""
    )


@pytest.mark.parametrize(
    ("version", "labels"),
    [("2024.3.3", False), ("2024.4.0", True), ("2026.2.3", True), (None, False), ("dev", False)],
)
def test_which_versions_have_labels(version: str | None, labels: bool) -> None:
    assert has_labels(version) is labels


async def _wait_for_entity(home: FakeHomeAssistant, automation_id: str) -> None:
    async with HomeAssistantClient(
        "http://ha.local:8123", _TOKEN, transport=home.transport()
    ) as client:
        await client.wait_for_automation_entity(automation_id, 5)
