"""How a call to Home Assistant is tried again: which failures, how often, how long to wait.

One policy for every call this package makes, REST and WebSocket alike: a 5xx answer or no
answer at all (a refused or dropped connection, a timeout) is tried again after a wait that
doubles each time; anything Home Assistant answered on purpose (401, 404, 400 …) is not.
A small class of our own rather than tenacity or stamina: the policy is one loop, and the
knobs the callers and tests need (`retries`, `backoff`, 0.0 for no wait) map onto it directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, TypeVar

import httpx
from websockets.exceptions import WebSocketException

__all__ = ["RETRYABLE", "RetryPolicy", "ServerAnswerError"]

_LOGGER = logging.getLogger(__name__)

_T = TypeVar("_T")


class ServerAnswerError(Exception):
    """A 5xx answer from Home Assistant, worth trying again."""

    def __init__(self, status: int, message: str | None) -> None:
        super().__init__(status)
        self.status = status
        self.message = message


#: The failures worth another try: a 5xx answer, or no answer at all.
RETRYABLE: Final = (
    ServerAnswerError,
    httpx.TransportError,
    OSError,
    WebSocketException,
    TimeoutError,
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Up to `retries` more tries after the first, waiting `backoff` seconds, then twice that…"""

    retries: int = 3
    backoff: float = 0.5

    @property
    def tries(self) -> int:
        """How many times a call is made at most."""
        return max(0, self.retries) + 1

    def delay(self, retry: int) -> float:
        """The wait before retry number `retry` (0 for the first retry)."""
        return float(self.backoff * 2**retry)

    async def run(self, attempt: Callable[[], Awaitable[_T]], *, where: str, what: str) -> _T:
        """Await `attempt()` until it succeeds or the tries run out; the last failure is raised.

        `where` (Home Assistant's address) and `what` (the request) only word the log line.
        """
        for retry in range(self.tries):
            try:
                return await attempt()
            except RETRYABLE as err:
                if retry + 1 == self.tries:
                    raise
                reason = (
                    f"answered {err.status}"
                    if isinstance(err, ServerAnswerError)
                    else type(err).__name__
                )
            delay = self.delay(retry)
            _LOGGER.info(
                "Home Assistant at %s %s to %s; trying again in %.1f s", where, reason, what, delay
            )
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover
