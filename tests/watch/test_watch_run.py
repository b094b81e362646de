"""A simulated month after deploy, end to end: the run watches, the API, CLI and page show it."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import httpx
import pytest
from typer.testing import CliRunner

from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.cli import app
from homehabits.config import INGRESS_PROXY
from homehabits.context import HomeContext
from homehabits.patterns.habit import ALL_DAYS, HabitKind, Pattern, pattern_to_dict
from homehabits.sources.base import Source
from homehabits.sources.simulation.deployed import (
    ARMCHAIR_LAMP,
    DEPLOYED_AUTOMATION,
    DEPLOYED_FINGERPRINT,
    NEVER_FIRES_ID,
    REMOVED_ENTITIES,
    REMOVED_ENTITY_ID,
    REVERT_WEEKDAY,
)
from homehabits.sources.simulator import DemoSource, SimulationConfig
from homehabits.store import repository
from homehabits.store.records import NewSuggestion, RunStatus, RunSummary
from homehabits.watch import AutomationWatch, WatchedAutomation
from tests.api.conftest import HA_TOKEN, Running
from tests.fakes.fake_home_assistant import FakeHomeAssistant

BERLIN = ZoneInfo("Europe/Berlin")
CONFIG = SimulationConfig(days=30, deployed_reverts=True)
_INGRESS = "/api/hassio_ingress/abc123"


def _month_after_deploy() -> Source:
    return DemoSource(CONFIG)


def _context() -> HomeContext:
    return DemoSource(CONFIG).home.context


@pytest.fixture
def home_assistant() -> FakeHomeAssistant:
    # the simulated home's Home Assistant (2024.3: the legacy dialect), the lamp included
    fake = FakeHomeAssistant(token=HA_TOKEN, version="2024.3.3", reload_delay=0.01)
    fake.show_entities_of(_context())
    return fake


def _deployed_suggestion() -> NewSuggestion:
    habit = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity=ARMCHAIR_LAMP,
        target_state="on",
        time_of_day=time(21, 45),
        spread_minutes=8.0,
        weekdays=ALL_DAYS,
        occurrences=20,
        days_observed=20,
        days_possible=28,
        adherence=0.71,
        confidence=0.8,
        score=0.7,
        # the evenings the person switched it on by hand, in the month before it was deployed
        evidence_times=tuple(
            datetime(2024, 9, 10 + day, 19, 40 + day % 11, tzinfo=UTC) for day in range(20)
        ),
        known_as=DEPLOYED_FINGERPRINT,
    )
    automation = {k: v for k, v in DEPLOYED_AUTOMATION.items() if k != "id"}
    return NewSuggestion(
        fingerprint=DEPLOYED_FINGERPRINT,
        kind="time_of_day",
        title="Armchair lamp on at 21:45",
        description="Turns on the armchair lamp at 21:45 every evening.",
        rationale="You switched it on around 21:45 on 20 of 28 evenings.",
        category="lighting",
        confidence=0.8,
        score=0.7,
        sensitive=False,
        sensitive_reason=None,
        target_entity=ARMCHAIR_LAMP,
        trigger_entity=None,
        area_id="living_room",
        area_name="Living room",
        automation=automation,
        yaml=automation_to_yaml(automation),
        dialect="legacy",
        diff=None,
        pattern=pattern_to_dict(habit),
        author="template",
    )


async def _deploy(running: Running) -> int:
    """The lamp's suggestion stored as an earlier run found it, approved and deployed."""
    sessions = running.service.sessions
    start, end = DemoSource(CONFIG).home.window_start, DemoSource(CONFIG).home.window_end
    run_id = await repository.create_run(sessions, "cli", "earlier", start, end)
    summary = RunSummary(status=RunStatus.SUCCEEDED, time_zone="Europe/Berlin")
    [suggestion_id] = await repository.complete_run(
        sessions, run_id, summary, [], [_deployed_suggestion()]
    )
    approved = await running.client.post(f"/api/suggestions/{suggestion_id}/approve")
    assert approved.status_code == 200, approved.text
    deployed = await running.client.post(f"/api/suggestions/{suggestion_id}/deploy")
    assert deployed.status_code == 200, deployed.text
    assert f"homehabits_{DEPLOYED_FINGERPRINT}" in running.home_assistant.automations
    return suggestion_id


@pytest.fixture
async def lived_with(
    start_service: Callable[..., AbstractAsyncContextManager[Running]],
    make_settings: Callable[..., object],
) -> AsyncIterator[tuple[Running, int, dict[str, object]]]:
    """A deployed lamp automation, a simulated month, and the run over it."""
    settings = make_settings(analysis_days=30)
    async with start_service(settings=settings, source_factory=_month_after_deploy) as running:
        suggestion_id = await _deploy(running)
        run = await running.run_analysis()
        assert run["status"] == "succeeded", run
        yield running, suggestion_id, run


async def test_the_deployed_lamps_saturday_reverts_show_in_the_api_cli_and_page(
    lived_with: tuple[Running, int, dict[str, object]],
) -> None:
    running, suggestion_id, run = lived_with
    assert "watch" in run["phase_seconds"]  # type: ignore[operator]

    detail = (await running.client.get(f"/api/suggestions/{suggestion_id}")).json()
    track = detail["track_record"]
    assert track["run_id"] == run["id"]
    assert track["fires"] >= 20
    assert re.match(
        r"fired \d+ times; undone [2-5] times, all on Saturdays, usually \d minutes? after it; "
        r"done by hand 2 times when it had not fired$",
        track["words"],
    ), track["words"]
    assert len(track["reverts"]) >= 2
    for revert in track["reverts"]:
        fired = _utc(revert["fired_at"]).astimezone(BERLIN)
        undone = _utc(revert["undone_at"])
        assert fired.weekday() == REVERT_WEEKDAY
        assert 60 <= (undone - _utc(revert["fired_at"])).total_seconds() <= 6 * 60
        assert (revert["entity_id"], revert["set_to"], revert["back_to"]) == (
            ARMCHAIR_LAMP,
            "on",
            "off",
        )
    assert len(track["misses"]) == 2

    page = html.unescape((await running.client.get("/")).text)
    card = page.split(f'id="suggestion-{suggestion_id}"', 1)[1].split('<li class="card"', 1)[0]
    line = re.search(r'<p class="track-record" data-track-record>(.*?)</p>', card)
    assert line is not None
    assert re.sub(r"<[^>]+>", "", line.group(1)) == f"Since it was deployed: {track['words']}."

    db = running.service.settings.database_url
    shown = await asyncio.to_thread(
        CliRunner().invoke, app, ["suggestions", "show", str(suggestion_id), "--db", db]
    )
    assert shown.exit_code == 0, shown.output
    assert f"Track record: {track['words']}" in " ".join(shown.output.split())


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_the_owners_never_firing_and_removed_entity_automations_are_listed_first(
    lived_with: tuple[Running, int, dict[str, object]],
) -> None:
    running, _, run = lived_with
    listed = (await running.client.get("/api/automations")).json()
    assert listed["run_id"] == run["id"]
    items = {item["automation_id"]: item for item in listed["items"]}
    # ours is a deployed suggestion, not one of the owner's own
    assert f"homehabits_{DEPLOYED_FINGERPRINT}" not in items
    never = items[NEVER_FIRES_ID]
    assert (never["fires"], never["last_fired"]) == (0, None)
    assert never["problems"] == ["never fired in 30 days"]
    removed = items[REMOVED_ENTITY_ID]
    assert removed["missing_entities"] == list(REMOVED_ENTITIES)
    assert removed["problems"][0].startswith("names entities the home no longer has")
    watering = items["garden_watering"]
    assert watering["fires"] >= 25
    assert watering["problems"] == []
    assert watering["words"].startswith(f"fired {watering['fires']} times")
    # those with problems come first
    troubled = [bool(item["problems"]) for item in listed["items"]]
    assert troubled == sorted(troubled, reverse=True)
    assert listed["items"][0]["automation_id"] == REMOVED_ENTITY_ID  # two problems

    db = running.service.settings.database_url
    cli = await asyncio.to_thread(CliRunner().invoke, app, ["automations", "--db", db])
    assert cli.exit_code == 0, cli.output
    text = " ".join(cli.output.split())
    assert text.index("Porch lantern on motion") < text.index("Garden watering at 05:30")
    assert "names entities the home no longer has: binary_sensor.porch_motion" in text
    assert (
        "Entrance light when the lock jams (automation.entrance_light_when_the_lock_jams)" in text
    )

    page = html.unescape((await running.client.get("/automations")).text)
    assert 'href="/automations" aria-current="page">Your automations' in page
    assert "It never fired in 30 days." in page
    assert "It names entities the home no longer has: binary_sensor.porch_motion" in page


async def test_the_automations_page_works_under_the_ingress_prefix(
    start_service: Callable[..., AbstractAsyncContextManager[Running]],
    make_settings: Callable[..., object],
) -> None:
    settings = make_settings(ingress=True)
    async with start_service(settings=settings) as running:
        sessions = running.service.sessions
        context = _context()
        start, end = DemoSource(CONFIG).home.window_start, DemoSource(CONFIG).home.window_end
        run_id = await repository.create_run(sessions, "cli", "demo", start, end)
        summary = RunSummary(status=RunStatus.SUCCEEDED, phase_seconds={"watch": 0.01})
        await repository.complete_run(sessions, run_id, summary, [], [])
        never = next(a for a in context.automations if a.automation_id == NEVER_FIRES_ID)
        watched = WatchedAutomation(alias=never.alias, config={}, automation_id=never.automation_id)
        await repository.store_watch(
            sessions,
            run_id,
            [AutomationWatch(watched, words="never fired in 30 days", problems=("never fired",))],
        )
        proxy = httpx.ASGITransport(app=running.app, client=(INGRESS_PROXY, 40000))
        async with httpx.AsyncClient(transport=proxy, base_url="http://homehabits.test") as client:
            page = await client.get("/automations", headers={"X-Ingress-Path": _INGRESS})
            suggestions = await client.get("/", headers={"X-Ingress-Path": _INGRESS})
    assert page.status_code == 200
    assert f'href="{_INGRESS}/automations" aria-current="page"' in page.text
    assert f'href="{_INGRESS}/runs"' in page.text
    assert "Entrance light when the lock jams" in page.text
    assert f'href="{_INGRESS}/automations"' in suggestions.text
