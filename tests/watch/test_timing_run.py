"""A simulated month after deploy, end to end: a 07:00 light the person switches on at 06:40
and a 5-minute auto-off people keep undoing come back as revisions at the person's time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import time
from typing import Any

import pytest

from homehabits.automations.checker import check_automation
from homehabits.automations.dialects import convert_dialect
from homehabits.automations.fields import duration_to_seconds
from homehabits.automations.safety import judge
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Dialect
from homehabits.patterns.habit import ALL_DAYS, HabitKind, Pattern, pattern_to_dict
from homehabits.sources.base import Source
from homehabits.sources.simulation.deployed_timing import (
    EARLY_FINGERPRINT,
    EARLY_MINUTE,
    LANDING_LIGHT,
    LANDING_ON,
    SESSION_MINUTES,
    TIMER_FINGERPRINT,
    UTILITY_LIGHT,
    UTILITY_OFF,
)
from homehabits.sources.simulator import DemoSource, SimulationConfig
from homehabits.store import repository
from homehabits.store.records import NewSuggestion, RunStatus, RunSummary
from tests.api.conftest import HA_TOKEN, Running
from tests.fakes.fake_home_assistant import FakeHomeAssistant

CONFIG = SimulationConfig(days=30, deployed_timing=True)


def _month_after_deploy() -> Source:
    return DemoSource(CONFIG)


@pytest.fixture
def home_assistant() -> FakeHomeAssistant:
    # the simulated home's Home Assistant (2024.3: the legacy dialect), both lights included
    fake = FakeHomeAssistant(token=HA_TOKEN, version="2024.3.3", reload_delay=0.01)
    fake.show_entities_of(DemoSource(CONFIG).home.context)
    return fake


def _suggestion(raw: dict[str, Any], fingerprint: str, habit: Pattern) -> NewSuggestion:
    automation = {key: value for key, value in raw.items() if key != "id"}
    return NewSuggestion(
        fingerprint=fingerprint,
        kind=habit.kind.value,
        title=str(raw["alias"]),
        description=str(raw["description"]),
        rationale="",
        category="lighting",
        confidence=0.8,
        score=0.7,
        sensitive=False,
        sensitive_reason=None,
        target_entity=habit.target_entity,
        trigger_entity=None,
        area_id=None,
        area_name=None,
        automation=automation,
        yaml=automation_to_yaml(automation),
        dialect="legacy",
        diff=None,
        pattern=pattern_to_dict(habit),
        author="template",
    )


def _deployed_suggestions() -> list[NewSuggestion]:
    landing = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity=LANDING_LIGHT,
        target_state="on",
        time_of_day=time(7, 0),
        weekdays=ALL_DAYS,
        confidence=0.8,
        known_as=EARLY_FINGERPRINT,
    )
    utility = Pattern(
        kind=HabitKind.AUTO_OFF,
        target_entity=UTILITY_LIGHT,
        target_state="off",
        trigger_state="on",
        duration_seconds=300.0,
        confidence=0.8,
        known_as=TIMER_FINGERPRINT,
    )
    return [
        _suggestion(LANDING_ON, EARLY_FINGERPRINT, landing),
        _suggestion(UTILITY_OFF, TIMER_FINGERPRINT, utility),
    ]


@pytest.fixture
async def lived_with(
    start_service: Callable[..., AbstractAsyncContextManager[Running]],
    make_settings: Callable[..., object],
) -> AsyncIterator[tuple[Running, list[int]]]:
    """Both deployed through the API, a simulated month, and the run over it."""
    settings = make_settings(analysis_days=30)
    async with start_service(settings=settings, source_factory=_month_after_deploy) as running:
        sessions = running.service.sessions
        home = DemoSource(CONFIG).home
        run_id = await repository.create_run(
            sessions, "cli", "earlier", home.window_start, home.window_end
        )
        summary = RunSummary(status=RunStatus.SUCCEEDED, time_zone="Europe/Berlin")
        ids = await repository.complete_run(sessions, run_id, summary, [], _deployed_suggestions())
        for suggestion_id in ids:
            for step in ("approve", "deploy"):
                answer = await running.client.post(f"/api/suggestions/{suggestion_id}/{step}")
                assert answer.status_code == 200, answer.text
        run = await running.run_analysis()
        assert run["status"] == "succeeded", run
        yield running, ids


def _checked(automation: dict[str, Any], deployed: dict[str, Any]) -> None:
    """Valid in both dialects, and safe as an edit of the deployed automation in each."""
    context = DemoSource(CONFIG).home.context
    for dialect in (Dialect.LEGACY, Dialect.MODERN):
        revised = convert_dialect(automation, dialect)
        check_automation(revised, dialect)
        verdict = judge(revised, context, before=convert_dialect(deployed, dialect))
        assert not verdict.sensitive, verdict.reason


async def _revision_of(running: Running, alias: str) -> dict[str, Any]:
    listed = (await running.client.get("/api/suggestions", params={"kind": "revision"})).json()
    found = [item for item in listed["items"] if f"'{alias}'" in item["title"]]
    if len(found) != 1:
        raise AssertionError([item["title"] for item in listed["items"]])
    revision: dict[str, Any] = (
        await running.client.get(f"/api/suggestions/{found[0]['id']}")
    ).json()
    return revision


async def test_the_07_00_light_switched_on_at_06_40_is_moved_there_and_deploys(
    lived_with: tuple[Running, list[int]],
) -> None:
    running, [landing_id, _] = lived_with
    revision = await _revision_of(running, "Landing light on at 07:00")

    assert revision["status"] == "pending"
    assert revision["title"].startswith("Move 'Landing light on at 07:00' from 07:00 to 06:")
    assert "when you turn it on yourself" in revision["description"]
    automation = revision["automation"]
    _checked(automation, LANDING_ON)
    [trigger] = automation["trigger"]
    hour, minute, _ = (int(part) for part in trigger["at"].split(":"))
    assert abs(hour * 60 + minute - EARLY_MINUTE) <= 3, trigger
    assert f"+  at: '{trigger['at']}'" in revision["diff"] or trigger["at"] in revision["diff"]

    deployed = await running.client.post(f"/api/suggestions/{revision['id']}/approve")
    assert deployed.status_code == 200, deployed.text
    deployed = await running.client.post(f"/api/suggestions/{revision['id']}/deploy")
    assert deployed.status_code == 200, deployed.text
    live = running.home_assistant.automations[f"homehabits_{EARLY_FINGERPRINT}"]
    assert live["trigger"] == [{"platform": "time", "at": trigger["at"]}]
    original = (await running.client.get(f"/api/suggestions/{landing_id}")).json()
    assert original["status"] == "removed"


async def test_the_5_minute_auto_off_people_undo_waits_as_long_as_they_stay(
    lived_with: tuple[Running, list[int]],
) -> None:
    running, _ = lived_with
    revision = await _revision_of(running, "Utility room light off after 5 min")

    assert revision["title"].startswith("Let 'Utility room light off after 5 min' wait ")
    assert "instead of 5 min before switching it off" in revision["description"]
    automation = revision["automation"]
    _checked(automation, UTILITY_OFF)
    [trigger] = automation["trigger"]
    waits = duration_to_seconds(trigger["for"])
    assert waits is not None
    low, high = SESSION_MINUTES
    assert low * 60 <= waits <= high * 60, trigger
    assert (trigger["entity_id"], trigger["to"]) == (UTILITY_LIGHT, "on")
    assert "your own sessions lasted" in revision["rationale"]


def test_the_planted_mornings_are_early_and_the_evenings_cut_short() -> None:
    home = DemoSource(CONFIG).home
    frame = home.frame
    landing = frame.filter(frame["entity_id"] == LANDING_LIGHT)
    by_hand_on = landing.filter((landing["state"] == "on") & (landing["origin"] == "user"))
    minutes = [
        moment.astimezone(home.context.zone).hour * 60 + moment.astimezone(home.context.zone).minute
        for moment in by_hand_on["time"].to_list()
    ]
    assert minutes
    assert all(abs(minute - EARLY_MINUTE) <= 6 for minute in minutes)
    utility = frame.filter(frame["entity_id"] == UTILITY_LIGHT)
    cut = utility.filter((utility["state"] == "off") & (utility["origin"] == "automation"))
    assert cut.height >= 2 * CONFIG.days  # two or more cuts an evening
    plain = DemoSource(SimulationConfig(days=3)).home
    assert plain.frame.filter(plain.frame["entity_id"] == UTILITY_LIGHT).is_empty()
    assert LANDING_LIGHT not in plain.context.entities
    assert "deployed at the wrong time" in DemoSource(CONFIG).description
