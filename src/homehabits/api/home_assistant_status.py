"""Whether the configured Home Assistant answers and takes the token, as /health reports it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import httpx

from homehabits.config import Settings
from homehabits.exceptions import (
    HomeAssistantAuthError,
    HomeAssistantError,
    HomeAssistantUnreachableError,
)
from homehabits.homeassistant import HomeAssistantClient

__all__ = ["HomeAssistantCheck", "HomeAssistantState", "HomeAssistantStatus"]

# /health may be polled every few seconds: Home Assistant is asked at most this often
_RECHECK_SECONDS: Final = 30.0
_CHECK_TIMEOUT_SECONDS: Final = 5.0


class HomeAssistantState(StrEnum):
    """How the last check of Home Assistant went."""

    OK = "ok"
    NOT_CONFIGURED = "not_configured"  # no HOMEHABITS_HA_URL/_TOKEN: nothing to deploy to
    TOKEN_REFUSED = "token_refused"
    UNREACHABLE = "unreachable"
    ERROR = "error"  # it answered, but not as Home Assistant should


@dataclass(frozen=True, slots=True)
class HomeAssistantStatus:
    """The outcome of one check, with the reason when it is not ok."""

    state: HomeAssistantState
    detail: str | None = None

    @property
    def healthy(self) -> bool:
        """Whether deploys can work (or no Home Assistant is configured at all)."""
        return self.state in (HomeAssistantState.OK, HomeAssistantState.NOT_CONFIGURED)


class HomeAssistantCheck:
    """Asks Home Assistant's `/api/` with the configured token, remembering the answer a while."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None) -> None:
        self._settings = settings
        self._transport = transport
        self._last: HomeAssistantStatus | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    async def status(self) -> HomeAssistantStatus:
        """The current status, asked again once the remembered one is older than 30 s."""
        settings = self._settings
        if not settings.ha_url or not settings.ha_token:
            return HomeAssistantStatus(HomeAssistantState.NOT_CONFIGURED)
        async with self._lock:
            fresh = time.monotonic() - self._checked_at < _RECHECK_SECONDS
            if self._last is None or not fresh:
                self._last = await self._ask(settings.ha_url, settings.ha_token)
                self._checked_at = time.monotonic()
            return self._last

    async def _ask(self, url: str, token: str) -> HomeAssistantStatus:
        timeout = min(self._settings.ha_timeout_seconds, _CHECK_TIMEOUT_SECONDS)
        try:
            async with HomeAssistantClient(
                url, token, timeout=timeout, transport=self._transport, retries=0
            ) as client:
                await client.check()
        except HomeAssistantAuthError as err:
            return HomeAssistantStatus(
                HomeAssistantState.TOKEN_REFUSED,
                f"Home Assistant refused the token (HOMEHABITS_HA_TOKEN): {err}",
            )
        except HomeAssistantUnreachableError as err:
            return HomeAssistantStatus(HomeAssistantState.UNREACHABLE, str(err))
        except HomeAssistantError as err:
            return HomeAssistantStatus(HomeAssistantState.ERROR, str(err))
        return HomeAssistantStatus(HomeAssistantState.OK)
