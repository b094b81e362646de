"""Service accounts: a configured one that does not exist is a warning, a machine-like user
is proposed, and a confirmed one's actions are never mined as a person's habits."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from homehabits.app import create_app
from homehabits.cli import app as cli_app
from homehabits.config import Settings
from homehabits.job import AnalysisRunner
from homehabits.patterns.service_accounts import propose_service_accounts
from homehabits.sources.ha_api import HomeAssistantApiSource
from homehabits.sources.ha_config import HaConfigSource
from homehabits.store import repository
from homehabits.store.engine import make_engine, make_sessionmaker
from homehabits.store.migrations import migrate
from homehabits.store.records import RunRecord, RunStatus
from tests.fakes.fake_home_assistant import FakeHomeAssistant
from tests.service_account_home import FLOWS, build_home_with_a_machine_user
from tests.shared_fixture import HA_FIXTURE

Sessions = async_sessionmaker[AsyncSession]
UNKNOWN = (
    "service user 'Node-RED' is not a user of this Home Assistant: "
    "its actions are counted as a person's"
)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}"


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[Sessions]:
    engine = make_engine(db_url)
    await migrate(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return build_home_with_a_machine_user(tmp_path / "ha")


def _settings(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"database_url": db_url, "analysis_days": 15, **overrides}
    return Settings(_env_file=None, **values)


async def _run(settings: Settings, sessions: Sessions, folder: Path) -> tuple[RunRecord, set[str]]:
    result = await AnalysisRunner(
        settings, sessions, lambda: HaConfigSource(folder, service_users=settings.service_users)
    ).run("cli")
    assert result.run.status is RunStatus.SUCCEEDED, result.run.summary.errors
    targets = {s.target_entity for s in result.suggestions}
    return result.run, targets


async def test_a_user_switching_things_like_a_machine_is_proposed_as_a_service_account(
    home: Path,
) -> None:
    source = HaConfigSource(home)
    context = await source.read_context()
    end = source.default_window_end()
    assert end is not None
    read = await source.read_events(end - timedelta(days=15), end + timedelta(seconds=1), context)

    (proposal,) = propose_service_accounts(read.frame, context)

    assert proposal.user_id == FLOWS
    assert proposal.name == "flows"
    words = "; ".join(proposal.evidence)
    assert "exactly 07:30:00 on 14 different days" in words
    assert "several entities within a second" in words
    assert "no person is linked" in words
    assert "add it to HOMEHABITS_SERVICE_USERS" in proposal.warning()


async def test_a_user_named_like_node_red_is_proposed_for_its_name(tmp_path: Path) -> None:
    folder = build_home_with_a_machine_user(tmp_path / "ha", machine_name="Node-RED")
    source = HaConfigSource(folder)
    context = await source.read_context()
    end = source.default_window_end()
    assert end is not None
    read = await source.read_events(end - timedelta(days=15), end + timedelta(seconds=1), context)

    (proposal,) = propose_service_accounts(read.frame, context)

    assert "its name 'Node-RED' is that of an automation tool" in proposal.evidence


async def test_the_real_home_assistant_fixture_proposes_no_service_account(
    tmp_path: Path, db_url: str, sessions: Sessions
) -> None:
    folder = tmp_path / "config"
    shutil.copytree(HA_FIXTURE, folder)
    result = await AnalysisRunner(
        _settings(db_url, analysis_days=30), sessions, lambda: HaConfigSource(folder)
    ).run("cli")

    assert result.run.summary.service_account_proposals == []
    assert not any("service account" in w for w in result.run.summary.warnings)


async def test_a_proposed_service_account_is_in_the_run_record_and_confirming_it_stops_mining_it(
    home: Path, db_url: str, sessions: Sessions
) -> None:
    first, targets = await _run(_settings(db_url), sessions, home)
    assert "light.aquarium" in targets, "before: the flow's actions look like a habit"
    (proposed,) = first.summary.service_account_proposals
    assert proposed["user_id"] == FLOWS
    assert any(
        w.startswith("user 'flows' looks like a service account") for w in first.summary.warnings
    )

    assert await repository.confirm_service_account(sessions, FLOWS, "flows")
    second, targets = await _run(_settings(db_url), sessions, home)

    assert "light.aquarium" not in targets
    assert "switch.aquarium_pump" not in targets
    assert second.summary.service_account_proposals == []
    patterns = await repository.list_patterns(sessions, run_id=second.id)
    assert {p.target_entity for p in patterns} == {"light.hall_ceiling"}


async def test_a_service_user_setting_by_name_stops_mining_its_actions(
    home: Path, db_url: str, sessions: Sessions
) -> None:
    run, targets = await _run(_settings(db_url, service_users=["flows"]), sessions, home)

    assert targets == {"light.hall_ceiling"}
    assert run.summary.warnings == []


async def test_an_unknown_service_user_is_a_warning_in_the_run_record(
    home: Path, db_url: str, sessions: Sessions
) -> None:
    run, _ = await _run(_settings(db_url, service_users=["Node-RED", "flows"]), sessions, home)

    assert run.summary.warnings == [UNKNOWN]
    assert run.summary.status is RunStatus.SUCCEEDED


def test_an_unknown_service_user_is_a_warning_in_the_cli_output(
    home: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEHABITS_SERVICE_USERS", "Node-RED")
    runner = CliRunner()
    args = ["analyze", "--ha-config", str(home), "--db", db_url, "--days", "15"]

    shown = runner.invoke(cli_app, args)
    as_json = runner.invoke(cli_app, [*args, "--json"])

    assert shown.exit_code == 0, shown.output
    assert f"warning: {UNKNOWN}" in " ".join(shown.output.split())
    document = json.loads(as_json.stdout)
    assert document["run"]["warnings"][0] == UNKNOWN
    assert document["run"]["service_account_proposals"][0]["user_id"] == FLOWS


async def test_warnings_and_proposals_are_on_the_pages_and_one_click_confirms(
    home: Path, db_url: str
) -> None:
    settings = _settings(db_url, service_users=["Node-RED"])
    service = create_app(
        settings, source_factory=lambda: HaConfigSource(home, service_users=["Node-RED"])
    )
    async with service.router.lifespan_context(service):
        transport = httpx.ASGITransport(app=service)
        async with httpx.AsyncClient(transport=transport, base_url="http://hh.test") as client:
            started = await client.post("/api/analysis/run")
            await service.state.service.runner.wait()
            run = (await client.get(f"/api/analysis/runs/{started.json()['run_id']}")).json()
            runs_page = (await client.get("/runs")).text
            review_page = (await client.get("/")).text
            confirmed = await client.post(
                "/api/analysis/service-accounts", json={"user_id": FLOWS, "name": "flows"}
            )
            again = await client.post(
                "/api/analysis/service-accounts", json={"user_id": FLOWS, "name": "flows"}
            )
            bad = await client.post("/api/analysis/service-accounts", json={"user_id": "<x>"})

    assert run["warnings"][0] == UNKNOWN
    assert run["service_account_proposals"][0]["name"] == "flows"
    for page in (runs_page, review_page):
        assert "service user &#39;Node-RED&#39; is not a user of this Home Assistant" in page
        assert f'data-user-id="{FLOWS}"' in page
        assert "It is a service account" in page
    assert confirmed.status_code == 200
    assert confirmed.json() == {"user_id": FLOWS, "name": "flows", "newly_confirmed": True}
    assert again.json()["newly_confirmed"] is False
    assert bad.status_code == 422


async def test_the_user_of_homehabits_own_token_never_counts_as_a_person(
    db_url: str, sessions: Sessions
) -> None:
    fake = FakeHomeAssistant(token="live-token-4e7a1b9c2d", version="2024.11.1")
    fake.add_user("Anna")
    fake.users[fake.token_user_id] = {
        "id": fake.token_user_id,
        "name": "homehabits",
        "is_owner": False,
        "is_active": True,
        "system_generated": False,
    }
    fake.add_entity("light.porch", name="Porch light", state="off", attributes={})
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    for day in range(1, 10):
        # what a deploy test or a deployed override looks like: done with homehabits' token
        fake.record(
            "light.porch", "on", now - timedelta(days=day, hours=-7), user_id=fake.token_user_id
        )
        fake.record(
            "light.porch", "off", now - timedelta(days=day, hours=-8), user_id=fake.token_user_id
        )

    def source() -> HomeAssistantApiSource:
        return HomeAssistantApiSource(
            "http://ha.local:8123",
            "live-token-4e7a1b9c2d",
            transport=fake.transport(),
            ws_connect=fake.ws_connect,
            backoff=0.0,
        )

    result = await AnalysisRunner(_settings(db_url), sessions, source).run("cli")

    assert result.run.status is RunStatus.SUCCEEDED, result.run.summary.errors
    assert result.suggestions == []
    assert result.run.summary.service_account_proposals == []
    confirmed = await repository.confirmed_service_accounts(sessions)
    assert confirmed == {fake.token_user_id: "homehabits"}


async def test_the_owners_own_token_keeps_the_owners_habits(
    db_url: str, sessions: Sessions
) -> None:
    """A token made on the owner's profile is a person's: their habits are still learnt."""
    fake = FakeHomeAssistant(token="owner-token-6b2f90", version="2024.11.1")
    anna = fake.add_user("Anna", user_id=fake.token_user_id)  # the first user: the owner
    fake.set_state("person.anna", "home", {"user_id": anna, "friendly_name": "Anna"})
    fake.add_entity("light.porch", name="Porch light", state="off", attributes={})
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    for day in range(1, 15):
        fake.record("light.porch", "on", now - timedelta(days=day, hours=-7), user_id=anna)
        fake.record("light.porch", "off", now - timedelta(days=day, hours=-9), user_id=anna)
    # an earlier version took the token's user for homehabits' own and remembered it
    await repository.confirm_service_account(
        sessions, anna, "Anna", reason=repository.OWN_TOKEN_REASON
    )

    def source() -> HomeAssistantApiSource:
        return HomeAssistantApiSource(
            "http://ha.local:8123",
            "owner-token-6b2f90",
            transport=fake.transport(),
            ws_connect=fake.ws_connect,
            backoff=0.0,
        )

    result = await AnalysisRunner(_settings(db_url), sessions, source).run("cli")

    assert result.run.status is RunStatus.SUCCEEDED, result.run.summary.errors
    assert {s.target_entity for s in result.suggestions} == {"light.porch"}
    assert await repository.confirmed_service_accounts(sessions) == {}
    assert any(
        "user 'Anna' of homehabits' token belongs to a person" in warning
        for warning in result.run.summary.warnings
    )
