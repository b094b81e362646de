"""The one retry policy for Home Assistant: what is tried again, how often, how long it waits."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from homehabits.exceptions import HomeAssistantAuthError
from homehabits.homeassistant import RetryPolicy
from homehabits.homeassistant.retry import ServerAnswerError


class _Flaky:
    """Fails with the given errors in turn, then answers "ok"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the policy asks for, without waiting them."""
    asked: list[float] = []

    async def no_wait(seconds: float) -> None:
        asked.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", no_wait)
    return asked


async def test_a_server_error_and_a_lost_connection_are_tried_again_waiting_twice_as_long(
    waits: list[float],
) -> None:
    attempt = _Flaky(ServerAnswerError(503, "starting"), httpx.ConnectError("refused"))

    answer = await RetryPolicy(retries=3, backoff=0.5).run(attempt, where="ha", what="GET /")

    assert answer == "ok"
    assert attempt.calls == 3
    assert waits == [0.5, 1.0]


async def test_the_last_failure_is_raised_once_the_tries_run_out(waits: list[float]) -> None:
    attempt = _Flaky(*(ServerAnswerError(500, None) for _ in range(5)))

    with pytest.raises(ServerAnswerError):
        await RetryPolicy(retries=2, backoff=0.0).run(attempt, where="ha", what="GET /")

    assert attempt.calls == 3
    assert RetryPolicy(retries=2).tries == 3


async def test_an_answer_given_on_purpose_is_not_tried_again(waits: list[float]) -> None:
    attempt = _Flaky(HomeAssistantAuthError("refused the token (401)", status=401))

    with pytest.raises(HomeAssistantAuthError):
        await RetryPolicy().run(attempt, where="ha", what="GET /")

    assert attempt.calls == 1
    assert waits == []


async def test_no_retries_means_one_try(waits: list[float]) -> None:
    attempt = _Flaky(TimeoutError())

    with pytest.raises(TimeoutError):
        await RetryPolicy(retries=0).run(attempt, where="ha", what="GET /")

    assert attempt.calls == 1
