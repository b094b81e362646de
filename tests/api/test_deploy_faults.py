"""Deploying to a Home Assistant that is down, slow, failing or odd: `deploy_failed`, bounded, retryable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from homehabits import review
from homehabits.config import Settings
from tests.api.conftest import Running
from tests.fakes.fake_home_assistant import FakeHomeAssistant

StartService = Callable[..., AbstractAsyncContextManager[Running]]

_TIMEOUT = 0.3  # settings.ha_timeout_seconds for these tests
_ENTITY_WAIT = 0.5
# four tries of the timeout, the client's backoff between them (0.5 + 1 + 2 s), the entity wait
_BOUND_SECONDS = 4 * _TIMEOUT + 3.5 + _ENTITY_WAIT + 2.0


def _go_down(ha: FakeHomeAssistant) -> None:
    ha.go_down()


def _hang(ha: FakeHomeAssistant) -> None:
    ha.hang()


def _answer_500(ha: FakeHomeAssistant) -> None:
    ha.fail(500, times=1000)


def _answer_401(ha: FakeHomeAssistant) -> None:
    ha.fail(401, times=1000)


def _answer_garbage(ha: FakeHomeAssistant) -> None:
    ha.answer_garbage()


def _never_load(ha: FakeHomeAssistant) -> None:
    ha.never_load = True


# fault, the status the API answers, words the stored reason must contain
FAULTS: dict[str, tuple[Callable[[FakeHomeAssistant], None], int, str]] = {
    "down": (_go_down, 502, "could not be reached"),
    "slow beyond the timeout": (_hang, 504, f"did not answer within {_TIMEOUT:g} s"),
    "500": (_answer_500, 502, "answered 500"),
    "401": (_answer_401, 502, "refused the access token"),
    "malformed JSON": (_answer_garbage, 502, "not Home Assistant's JSON"),
    "accepts but never loads": (_never_load, 502, "did not appear in Home Assistant"),
}


@pytest.fixture
async def faulty(
    start_service: StartService,
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Running]:
    monkeypatch.setattr(review, "_ENTITY_WAIT_SECONDS", _ENTITY_WAIT)
    async with start_service(make_settings(ha_timeout_seconds=_TIMEOUT)) as service:
        await service.run_analysis()
        yield service


async def _approved(running: Running) -> dict[str, Any]:
    page = (await running.client.get("/api/suggestions", params={"status": "pending"})).json()
    chosen: dict[str, Any] = next(item for item in page["items"] if not item["sensitive"])
    approved = await running.client.post(f"/api/suggestions/{chosen['id']}/approve")
    assert approved.status_code == 200, approved.text
    return chosen


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_deploy_to_a_faulty_home_assistant_fails_in_bounded_time_and_a_retry_succeeds(
    faulty: Running, fault: str
) -> None:
    inject, expected_status, reason = FAULTS[fault]
    chosen = await _approved(faulty)
    inject(faulty.home_assistant)

    began = time.monotonic()
    failed = await faulty.client.post(f"/api/suggestions/{chosen['id']}/deploy")
    took = time.monotonic() - began
    stored = (await faulty.client.get(f"/api/suggestions/{chosen['id']}")).json()
    faulty.home_assistant.heal()
    retried = await faulty.client.post(f"/api/suggestions/{chosen['id']}/deploy")

    assert failed.status_code == expected_status, failed.text
    assert reason in failed.json()["detail"]
    assert stored["status"] == "deploy_failed"
    assert reason in stored["deploy_message"]
    assert took < _BOUND_SECONDS
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "deployed"


async def test_the_service_answers_other_requests_while_a_deploy_waits_on_a_stuck_home_assistant(
    faulty: Running,
) -> None:
    chosen = await _approved(faulty)
    faulty.home_assistant.hang(path_prefix="/api/config")  # /api/ (the health check) answers

    deploying = asyncio.create_task(faulty.client.post(f"/api/suggestions/{chosen['id']}/deploy"))
    async with asyncio.timeout(5):  # the deploy is inside Home Assistant now
        await faulty.home_assistant.wait_until_hanging()
    listed = await faulty.client.get("/api/suggestions")
    health = await faulty.client.get("/health")
    was_waiting = not deploying.done()
    failed = await deploying

    assert was_waiting
    assert listed.status_code == 200
    assert health.status_code == 200
    assert failed.status_code == 504


@pytest.mark.parametrize(
    ("fault", "expected_status"), [("down", 502), ("slow beyond the timeout", 504)]
)
async def test_undeploy_from_a_faulty_home_assistant_keeps_the_suggestion_deployed(
    faulty: Running, fault: str, expected_status: int
) -> None:
    chosen = await _approved(faulty)
    deployed = await faulty.client.post(f"/api/suggestions/{chosen['id']}/deploy")
    assert deployed.status_code == 200, deployed.text
    FAULTS[fault][0](faulty.home_assistant)

    refused = await faulty.client.post(f"/api/suggestions/{chosen['id']}/undeploy")
    stored = (await faulty.client.get(f"/api/suggestions/{chosen['id']}")).json()
    faulty.home_assistant.heal()
    retried = await faulty.client.post(f"/api/suggestions/{chosen['id']}/undeploy")

    assert refused.status_code == expected_status, refused.text
    assert stored["status"] == "deployed"
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "removed"
