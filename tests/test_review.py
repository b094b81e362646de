"""The review workflow without HTTP: approve, reject, edit, export (deploy: tests/api)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from homehabits import review
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Dialect, Settings
from homehabits.exceptions import AutomationCheckError, ConfigError, StatusChangeError
from homehabits.store import repository
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import (
    NewSuggestion,
    RunStatus,
    RunSummary,
    SuggestionRecord,
    SuggestionStatus,
)


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}",
        **overrides,
    )


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = make_engine(_settings(tmp_path).database_url)
    await migrate(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


def _morning_light(entity: str, clock: str = "07:00:00") -> dict[str, Any]:
    return {
        "alias": f"{entity} on at {clock[:5]}",
        "description": "You switch it on every morning.",
        "triggers": [{"trigger": "time", "at": clock}],
        "conditions": [],
        "actions": [{"action": "light.turn_on", "target": {"entity_id": entity}}],
        "mode": "single",
    }


def _suggestion(
    fingerprint: str,
    entity: str,
    *,
    kind: str = "time_of_day",
    pattern: dict[str, Any] | None = None,
) -> NewSuggestion:
    automation = _morning_light(entity)
    return NewSuggestion(
        fingerprint=fingerprint,
        kind=kind,
        title=f"Turn on {entity} in the morning",
        description="Every morning at seven.",
        rationale="Seen on 12 of 14 days.",
        category="lighting",
        confidence=0.9,
        score=0.8,
        sensitive=False,
        sensitive_reason=None,
        target_entity=entity,
        trigger_entity=None,
        area_id="kitchen",
        area_name="Kitchen",
        automation=automation,
        yaml=automation_to_yaml(automation),
        dialect="modern",
        diff=None,
        pattern=pattern or {"kind": kind, "fingerprint": fingerprint, "target_entity": entity},
        author="template",
    )


async def _store(sessions: Sessions, *suggestions: NewSuggestion) -> list[SuggestionRecord]:
    end = datetime(2026, 3, 1, tzinfo=UTC)
    run_id = await repository.create_run(
        sessions, trigger="cli", source="test", window_start=end.replace(day=1), window_end=end
    )
    summary = RunSummary(status=RunStatus.SUCCEEDED, suggestions_created=len(suggestions))
    ids = await repository.complete_run(sessions, run_id, summary, [], list(suggestions))
    return [await repository.get_suggestion(sessions, new_id) for new_id in ids]


async def test_edit_with_invalid_yaml_names_the_problem_and_keeps_the_stored_automation(
    sessions: Sessions,
) -> None:
    (stored,) = await _store(sessions, _suggestion("a1", "light.kitchen"))
    broken = stored.yaml.replace("light.turn_on", "turn on the light")

    with pytest.raises(AutomationCheckError) as caught:
        await review.edit(sessions, stored.id, broken)

    assert "turn on the light" in str(caught.value) or "action" in str(caught.value)
    again = await repository.get_suggestion(sessions, stored.id)
    assert again.yaml == stored.yaml
    assert again.automation == stored.automation


async def test_edit_with_unreadable_yaml_says_which_line(sessions: Sessions) -> None:
    (stored,) = await _store(sessions, _suggestion("a1", "light.kitchen"))

    with pytest.raises(AutomationCheckError) as caught:
        await review.edit(sessions, stored.id, "alias: x\ntriggers: [\n  - oops: {\n")

    assert "line" in str(caught.value)


async def test_edit_with_valid_yaml_replaces_the_automation(sessions: Sessions) -> None:
    (stored,) = await _store(sessions, _suggestion("a1", "light.kitchen"))
    later = automation_to_yaml(_morning_light("light.kitchen", "07:30:00"))

    edited = await review.edit(sessions, stored.id, later)

    assert edited.yaml == later
    assert edited.automation["triggers"][0]["at"] == "07:30:00"


async def test_a_deployed_suggestion_cannot_be_edited(sessions: Sessions) -> None:
    (stored,) = await _store(sessions, _suggestion("a1", "light.kitchen"))
    await review.approve(sessions, stored.id)
    await repository.change_status(
        sessions, stored.id, SuggestionStatus.DEPLOYED, ha_automation_id="homehabits_a1"
    )

    with pytest.raises(StatusChangeError, match="undeploy"):
        await review.edit(sessions, stored.id, stored.yaml)


async def test_rejecting_keeps_the_reason_and_remembers_the_habit(sessions: Sessions) -> None:
    (stored,) = await _store(sessions, _suggestion("f00d", "light.hall"))

    rejected = await review.reject(sessions, stored.id, "  I like the dark hall  ")

    assert rejected.status is SuggestionStatus.REJECTED
    assert rejected.reject_reason == "I like the dark hall"
    remembered = await repository.rejected_fingerprints(
        sessions, since=datetime(2020, 1, 1, tzinfo=UTC)
    )
    assert "f00d" in remembered


async def test_a_pending_suggestion_cannot_be_deployed(tmp_path: Path, sessions: Sessions) -> None:
    (stored,) = await _store(sessions, _suggestion("a1", "light.kitchen"))
    settings = _settings(tmp_path, ha_url="http://ha.local:8123", ha_token="long-lived-token-1234")

    with pytest.raises(StatusChangeError, match="approve it"):
        await review.deploy(sessions, settings, stored.id)

    assert (await repository.get_suggestion(sessions, stored.id)).status is SuggestionStatus.PENDING


async def test_deploy_without_a_home_assistant_configured_says_which_setting_is_missing(
    tmp_path: Path, sessions: Sessions
) -> None:
    (stored,) = await _store(sessions, _suggestion("a1", "light.kitchen"))
    await review.approve(sessions, stored.id)

    with pytest.raises(ConfigError, match="HOMEHABITS_HA_URL"):
        await review.deploy(sessions, _settings(tmp_path), stored.id)

    assert (
        await repository.get_suggestion(sessions, stored.id)
    ).status is SuggestionStatus.APPROVED


async def test_export_writes_only_approved_automations_as_an_includable_list(
    tmp_path: Path, sessions: Sessions
) -> None:
    kitchen, _hall, porch = await _store(
        sessions,
        _suggestion("aa11", "light.kitchen"),
        _suggestion("bb22", "light.hall"),
        _suggestion("cc33", "light.porch"),
    )
    await review.approve(sessions, kitchen.id)
    await review.approve(sessions, porch.id)
    out = tmp_path / "config" / "homehabits.yaml"

    count = await review.export_approved(sessions, _settings(tmp_path), out, dialect=Dialect.MODERN)

    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert count == 2
    assert sorted(item["id"] for item in written) == ["homehabits_aa11", "homehabits_cc33"]
    assert all(item["actions"][0]["action"] == "light.turn_on" for item in written)
    assert "!include" in out.read_text(encoding="utf-8").splitlines()[1]


async def test_export_converts_to_the_legacy_dialect_for_an_older_home_assistant(
    tmp_path: Path, sessions: Sessions
) -> None:
    (kitchen,) = await _store(sessions, _suggestion("aa11", "light.kitchen"))
    await review.approve(sessions, kitchen.id)
    out = tmp_path / "homehabits.yaml"

    await review.export_approved(sessions, _settings(tmp_path), out, dialect=Dialect.LEGACY)

    (item,) = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert item["trigger"] == [{"platform": "time", "at": "07:00:00"}]
    assert item["action"][0]["service"] == "light.turn_on"
    assert "triggers" not in item


async def test_export_includes_deployed_automations_only_when_asked(
    tmp_path: Path, sessions: Sessions
) -> None:
    kitchen, hall = await _store(
        sessions, _suggestion("aa11", "light.kitchen"), _suggestion("bb22", "light.hall")
    )
    await review.approve(sessions, kitchen.id)
    await review.approve(sessions, hall.id)
    await repository.change_status(
        sessions, hall.id, SuggestionStatus.DEPLOYED, ha_automation_id="homehabits_bb22"
    )
    out = tmp_path / "homehabits.yaml"

    approved_only = await review.export_approved(sessions, _settings(tmp_path), out)
    with_deployed = await review.export_approved(
        sessions, _settings(tmp_path), out, include_deployed=True
    )

    assert (approved_only, with_deployed) == (1, 2)


async def test_export_of_nothing_approved_writes_an_empty_list(
    tmp_path: Path, sessions: Sessions
) -> None:
    await _store(sessions, _suggestion("aa11", "light.kitchen"))
    out = tmp_path / "homehabits.yaml"

    count = await review.export_approved(sessions, _settings(tmp_path), out)

    assert count == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == []


async def test_an_override_keeps_the_id_of_the_automation_it_changes(sessions: Sessions) -> None:
    (override,) = await _store(
        sessions,
        _suggestion(
            "dd44",
            "light.living_room",
            kind="override",
            pattern={"kind": "override", "automation_id": "1700000000001"},
        ),
    )
    (plain,) = await _store(sessions, _suggestion("ee55", "light.desk"))

    assert review.automation_id_for(override) == "1700000000001"
    assert review.automation_id_for(plain) == "homehabits_ee55"


async def test_undeploying_an_override_gives_the_owner_their_own_automation_back(
    tmp_path: Path, sessions: Sessions
) -> None:
    from tests.fakes.fake_home_assistant import FakeHomeAssistant

    home_assistant = FakeHomeAssistant(token="ha-token-for-review", version="2024.11.1")
    theirs = {"id": "1700000000001", **_morning_light("light.living_room", "06:00:00")}
    home_assistant.add_automation(theirs)
    home_assistant.set_state("light.living_room", "off", {"friendly_name": "Living room"})
    settings = _settings(tmp_path, ha_url="http://ha.local:8123", ha_token="ha-token-for-review")
    (override,) = await _store(
        sessions,
        _suggestion(
            "dd44",
            "light.living_room",
            kind="override",
            pattern={"kind": "override", "automation_id": "1700000000001"},
        ),
    )
    transport = home_assistant.transport()

    await review.approve(sessions, override.id)
    deployed = await review.deploy(sessions, settings, override.id, transport=transport)
    changed = dict(home_assistant.automations["1700000000001"])
    removed = await review.undeploy(sessions, settings, override.id, transport=transport)

    assert deployed.status is SuggestionStatus.DEPLOYED
    assert changed["triggers"][0]["at"] == "07:00:00"  # the suggestion's version was live
    assert removed.status is SuggestionStatus.REMOVED
    assert home_assistant.automations["1700000000001"]["triggers"][0]["at"] == "06:00:00"
    assert "back as it was" in (removed.deploy_message or "")


async def test_approving_many_never_approves_a_sensitive_one(sessions: Sessions) -> None:
    lamp, lock = await _store(
        sessions,
        _suggestion("aa11", "light.lamp"),
        replace(
            _suggestion("bb22", "lock.front_door"),
            sensitive=True,
            sensitive_reason="Locks the Front door automatically — check before you approve",
        ),
    )

    done = await review.approve_many(sessions, [lamp.id, lock.id, 9999])

    assert [record.id for record in done.approved] == [lamp.id]
    reasons = dict(done.skipped)
    assert "sensitive" in reasons[lock.id]
    assert "9999" in reasons[9999]
    assert (await repository.get_suggestion(sessions, lock.id)).status is SuggestionStatus.PENDING
    # on its own, after reading the warning, the owner may approve it
    assert (await review.approve(sessions, lock.id)).status is SuggestionStatus.APPROVED
