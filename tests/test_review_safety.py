"""Safety at every door of the review: edit, approve (one and many), deploy, and reopen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from homehabits import review
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.exceptions import (
    DeployRefusedError,
    NeverSuggestedError,
    UnsafeAutomationError,
)
from homehabits.store import repository
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import SuggestionRecord, SuggestionStatus
from homehabits.store.tables import SuggestionRow
from tests.fakes.fake_home_assistant import FakeHomeAssistant
from tests.test_review import _morning_light, _settings, _store, _suggestion

HA_TOKEN = "ha-token-for-safety"


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = make_engine(_settings(tmp_path).database_url)
    await migrate(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


def _acting(service: str, entity: str, **data: Any) -> str:
    automation = _morning_light(entity)
    action: dict[str, Any] = {"action": service, "target": {"entity_id": entity}}
    if data:
        action["data"] = data
    automation["actions"] = [action]
    return automation_to_yaml(automation)


async def _tamper(sessions: Sessions, suggestion_id: int, automation: dict[str, Any]) -> None:
    """Change a stored automation behind homehabits' back, as a hand-edited database would."""
    async with sessions() as session:
        await session.execute(
            update(SuggestionRow)
            .where(SuggestionRow.id == suggestion_id)
            .values(automation=automation)
        )
        await session.commit()


def _unlocking(entity: str = "lock.front_door") -> dict[str, Any]:
    automation = _morning_light(entity)
    automation["actions"] = [{"action": "lock.unlock", "target": {"entity_id": entity}}]
    return automation


@pytest.mark.parametrize(
    ("service", "entity", "words"),
    [
        ("lock.unlock", "lock.front_door", "unlocking Front door"),
        ("lock.open", "lock.front_door", "unlocking Front door"),
        ("alarm_control_panel.alarm_disarm", "alarm_control_panel.home", "disarming Home"),
    ],
)
async def test_an_edit_to_unlock_or_disarm_is_refused_with_the_reason(
    sessions: Sessions, service: str, entity: str, words: str
) -> None:
    (stored,) = await _store(sessions, _suggestion("a1", "light.kitchen"))

    with pytest.raises(NeverSuggestedError, match=words):
        await review.edit(sessions, stored.id, _acting(service, entity))

    again = await repository.get_suggestion(sessions, stored.id)
    assert again.automation == stored.automation
    assert again.sensitive is False


async def test_an_edit_that_opens_a_known_garage_door_is_refused(sessions: Sessions) -> None:
    found = _suggestion("g1", "cover.door_one")
    closing = _morning_light("cover.door_one")
    closing["actions"] = [
        {"action": "cover.close_cover", "target": {"entity_id": "cover.door_one"}}
    ]
    garage = replace(
        found,
        automation=closing,
        yaml=automation_to_yaml(closing),
        sensitive=True,
        pattern={**found.pattern, "sensitive": True},  # the miner knew it is a garage door
    )
    (stored,) = await _store(sessions, garage)

    with pytest.raises(NeverSuggestedError, match="garage door"):
        await review.edit(sessions, stored.id, _acting("cover.open_cover", "cover.door_one"))


async def test_an_edit_to_lock_is_stored_flagged_sensitive_and_bulk_approval_skips_it(
    sessions: Sessions,
) -> None:
    (stored,) = await _store(sessions, _suggestion("a1", "light.kitchen"))

    edited = await review.edit(sessions, stored.id, _acting("lock.lock", "lock.front_door"))
    done = await review.approve_many(sessions, [stored.id])

    assert edited.sensitive is True
    assert "Locks Front door" in (edited.sensitive_reason or "")
    assert (await repository.get_suggestion(sessions, stored.id)).sensitive is True
    assert done.approved == []
    assert "sensitive" in dict(done.skipped)[stored.id]


async def test_an_edit_back_to_a_light_is_no_longer_sensitive(sessions: Sessions) -> None:
    (stored,) = await _store(sessions, _suggestion("a1", "light.kitchen"))
    await review.edit(sessions, stored.id, _acting("lock.lock", "lock.front_door"))

    back = await review.edit(sessions, stored.id, _acting("light.turn_on", "light.kitchen"))

    assert back.sensitive is False
    assert back.sensitive_reason is None


@pytest.mark.parametrize(
    ("yaml_text", "words"),
    [
        (_acting("light.turn_on", "light.kitchen", brightness="{{ 3 * 80 }}"), "templates"),
        (
            automation_to_yaml(
                {
                    **_morning_light("light.kitchen"),
                    "conditions": [
                        {"condition": "template", "value_template": "{% if true %}true{% endif %}"}
                    ],
                }
            ),
            "templates",
        ),
        (_acting("notify.notify", "light.kitchen"), "notify.notify"),
        (_acting("shell_command.open_everything", "light.kitchen"), "shell_command"),
    ],
)
async def test_an_edit_may_not_bring_in_templates_or_services_outside_the_allowed_domains(
    sessions: Sessions, yaml_text: str, words: str
) -> None:
    (stored,) = await _store(sessions, _suggestion("a1", "light.kitchen"))

    with pytest.raises(UnsafeAutomationError, match=words):
        await review.edit(sessions, stored.id, yaml_text)

    assert (await repository.get_suggestion(sessions, stored.id)).yaml == stored.yaml


async def test_approve_all_pending_with_one_sensitive_pending_approves_nothing(
    sessions: Sessions,
) -> None:
    (lock,) = await _store(
        sessions,
        replace(
            _suggestion("bb22", "lock.front_door"),
            sensitive=True,
            sensitive_reason="Locks the Front door automatically — check before you approve",
        ),
    )

    done = await review.approve_all_pending(sessions)

    assert done.approved == []
    assert [suggestion_id for suggestion_id, _ in done.skipped] == [lock.id]
    assert (await repository.get_suggestion(sessions, lock.id)).status is SuggestionStatus.PENDING


async def test_approving_a_row_changed_to_an_unlock_in_the_database_is_refused(
    sessions: Sessions,
) -> None:
    lamp, other = await _store(
        sessions, _suggestion("a1", "light.kitchen"), _suggestion("b2", "light.desk")
    )
    await _tamper(sessions, lamp.id, _unlocking())
    await _tamper(sessions, other.id, _unlocking())

    with pytest.raises(NeverSuggestedError, match="unlocking"):
        await review.approve(sessions, lamp.id)
    done = await review.approve_all_pending(sessions)

    assert done.approved == []
    assert "unlocking" in dict(done.skipped)[other.id]
    assert (await repository.get_suggestion(sessions, lamp.id)).status is SuggestionStatus.PENDING


def _home_assistant(*entities: str) -> FakeHomeAssistant:
    fake = FakeHomeAssistant(token=HA_TOKEN, version="2024.11.1", reload_delay=0.01)
    for entity in entities:
        fake.set_state(entity, "off", {"friendly_name": entity.split(".")[1].title()})
    return fake


async def _approved(sessions: Sessions, entity: str = "light.kitchen") -> SuggestionRecord:
    (stored,) = await _store(sessions, _suggestion("a1", entity))
    return await review.approve(sessions, stored.id)


async def test_deploy_refuses_a_row_changed_to_an_unlock_after_approval(
    tmp_path: Path, sessions: Sessions
) -> None:
    home_assistant = _home_assistant("light.kitchen", "lock.front_door")
    settings = _settings(tmp_path, ha_url="http://ha.local:8123", ha_token=HA_TOKEN)
    approved = await _approved(sessions)
    await _tamper(sessions, approved.id, _unlocking())

    with pytest.raises(DeployRefusedError, match="unlocking"):
        await review.deploy(sessions, settings, approved.id, transport=home_assistant.transport())

    stored = await repository.get_suggestion(sessions, approved.id)
    assert stored.status is SuggestionStatus.DEPLOY_FAILED
    assert "unlocking" in (stored.deploy_message or "")
    assert home_assistant.automations == {}
    assert home_assistant.count("/api/config/automation/config/", method="POST") == 0


async def test_deploy_judges_garage_doors_by_what_home_assistant_shows(
    tmp_path: Path, sessions: Sessions
) -> None:
    home_assistant = _home_assistant()
    home_assistant.set_state("cover.door_two", "closed", {"device_class": "garage"})
    settings = _settings(tmp_path, ha_url="http://ha.local:8123", ha_token=HA_TOKEN)
    approved = await _approved(sessions, "cover.door_two")
    opening = _morning_light("cover.door_two")
    opening["actions"] = [{"action": "cover.open_cover", "target": {"entity_id": "cover.door_two"}}]
    await _tamper(sessions, approved.id, opening)

    with pytest.raises(DeployRefusedError, match="garage door"):
        await review.deploy(sessions, settings, approved.id, transport=home_assistant.transport())

    assert home_assistant.automations == {}


async def test_deploy_of_entities_home_assistant_lacks_is_refused_naming_them(
    tmp_path: Path, sessions: Sessions
) -> None:
    home_assistant = _home_assistant("light.desk")
    settings = _settings(tmp_path, ha_url="http://ha.local:8123", ha_token=HA_TOKEN)
    approved = await _approved(sessions, "light.kitchen")

    with pytest.raises(DeployRefusedError, match=r"light\.kitchen"):
        await review.deploy(sessions, settings, approved.id, transport=home_assistant.transport())

    stored = await repository.get_suggestion(sessions, approved.id)
    assert stored.status is SuggestionStatus.DEPLOY_FAILED
    assert "light.kitchen" in (stored.deploy_message or "")
    assert home_assistant.automations == {}


async def test_forced_deploy_of_unknown_entities_goes_through_with_a_warning(
    tmp_path: Path, sessions: Sessions
) -> None:
    home_assistant = _home_assistant("light.desk")
    settings = _settings(tmp_path, ha_url="http://ha.local:8123", ha_token=HA_TOKEN)
    approved = await _approved(sessions, "light.kitchen")

    deployed = await review.deploy(
        sessions, settings, approved.id, force=True, transport=home_assistant.transport()
    )

    assert deployed.status is SuggestionStatus.DEPLOYED
    assert "warning" in (deployed.deploy_message or "")
    assert "light.kitchen" in (deployed.deploy_message or "")
    assert "homehabits_a1" in home_assistant.automations


async def test_redeploying_a_removed_suggestion_to_a_home_without_its_entities_is_refused_and_kept(
    tmp_path: Path, sessions: Sessions
) -> None:
    # seen on a real Home Assistant: deployed with --force, undeployed, then deployed again
    home_assistant = _home_assistant("light.desk")
    settings = _settings(tmp_path, ha_url="http://ha.local:8123", ha_token=HA_TOKEN)
    approved = await _approved(sessions, "light.kitchen")
    await review.deploy(
        sessions, settings, approved.id, force=True, transport=home_assistant.transport()
    )
    await review.undeploy(sessions, settings, approved.id, transport=home_assistant.transport())

    with pytest.raises(DeployRefusedError, match=r"light\.kitchen"):
        await review.deploy(sessions, settings, approved.id, transport=home_assistant.transport())

    stored = await repository.get_suggestion(sessions, approved.id)
    assert stored.status is SuggestionStatus.DEPLOY_FAILED
    assert home_assistant.automations == {}


async def test_an_override_whose_original_home_assistant_cannot_show_is_refused(
    tmp_path: Path, sessions: Sessions
) -> None:
    home_assistant = _home_assistant("light.living_room")  # its automation is YAML-only
    settings = _settings(tmp_path, ha_url="http://ha.local:8123", ha_token=HA_TOKEN)
    (override,) = await _store(
        sessions,
        _suggestion(
            "dd44",
            "light.living_room",
            kind="override",
            pattern={"kind": "override", "automation_id": "1700000000001"},
        ),
    )
    await review.approve(sessions, override.id)

    with pytest.raises(DeployRefusedError, match="cannot show your automation '1700000000001'"):
        await review.deploy(sessions, settings, override.id, transport=home_assistant.transport())

    stored = await repository.get_suggestion(sessions, override.id)
    assert stored.status is SuggestionStatus.DEPLOY_FAILED
    assert "1700000000001" not in home_assistant.automations  # nothing left to undo


async def test_reopen_brings_a_rejected_suggestion_back_to_pending(sessions: Sessions) -> None:
    (stored,) = await _store(sessions, _suggestion("a1", "light.kitchen"))
    await review.reject(sessions, stored.id, "not now")

    reopened = await review.reopen(sessions, stored.id)

    assert reopened.status is SuggestionStatus.PENDING
    assert reopened.reject_reason is None
    assert "a1" in await repository.active_fingerprints(sessions)
