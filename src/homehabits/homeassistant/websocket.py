"""Home Assistant's WebSocket API: log in with the token, send commands, collect the results.

All traffic goes through one `WsConnect` callable (tests hand in an in-process one). The token
is sent in the `auth` message only, and the websockets library's frame log never shows it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

from websockets.asyncio.client import connect as _websockets_connect

from homehabits.exceptions import HomeAssistantError, NotHomeAssistantError
from homehabits.homeassistant._errors import token_refused
from homehabits.homeassistant.records import text_or_none

__all__ = ["WebSocketLike", "WsConnect", "default_ws_connect", "run_commands", "ws_url"]

_LOGGER = logging.getLogger(__name__)

#: The websockets library logs every frame at DEBUG, the `auth` frame (with the token) included.
_FRAME_LOGGER = logging.getLogger(f"{__name__}.frames")

_MAX_MESSAGE_BYTES: Final = 64 * 2**20  # a large home's entity registry is several MiB

# Listing users needs an admin token, and an automation may have no stored config: the home
# can still be read without them. AI Task's preferences are unknown where it is not loaded.
_MAY_BE_REFUSED: Final = frozenset(
    {"config/auth/list", "auth/current_user", "automation/config", "ai_task/preferences/get"}
)


class _DropTokenFrames(logging.Filter):
    """Drops any WebSocket log record that shows an `auth` frame."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return False
        return "access_token" not in message


_FRAME_LOGGER.addFilter(_DropTokenFrames())


class WebSocketLike(Protocol):
    """The part of a WebSocket connection the client uses."""

    async def send(self, message: str) -> None:
        """Send one text message."""
        ...

    async def recv(self) -> str | bytes:
        """Receive one message."""
        ...


#: Opens a WebSocket to a `ws://…/api/websocket` URL, as an async context manager.
WsConnect = Callable[[str], AbstractAsyncContextManager[WebSocketLike]]


def default_ws_connect(url: str) -> AbstractAsyncContextManager[WebSocketLike]:
    """A real WebSocket connection, whose frame log never shows the token."""
    return _websockets_connect(url, logger=_FRAME_LOGGER, max_size=_MAX_MESSAGE_BYTES)


def ws_url(url: str) -> str:
    """The WebSocket API's address for Home Assistant at `url` (wss for https)."""
    scheme = "wss" if urlsplit(url).scheme == "https" else "ws"
    return f"{scheme}://{url.split('://', 1)[1]}/api/websocket"


async def run_commands(
    url: str,
    token: str,
    commands: Sequence[dict[str, Any]],
    *,
    connect: WsConnect,
    timeout: float,  # noqa: ASYNC109 - one deadline for the whole session, via asyncio.timeout
) -> list[Any]:
    """Log in, send every command, and return each result (None for a refused optional one)."""
    async with asyncio.timeout(timeout), connect(ws_url(url)) as ws:
        hello = await _receive(ws)
        if hello.get("type") != "auth_required":
            raise NotHomeAssistantError(
                f"{url}/api/websocket did not ask for authentication like Home Assistant"
            )
        await ws.send(json.dumps({"type": "auth", "access_token": token}))
        verdict = await _receive(ws)
        if verdict.get("type") == "auth_invalid":
            raise token_refused(url, 401, text_or_none(verdict.get("message")))
        if verdict.get("type") != "auth_ok":
            raise NotHomeAssistantError(
                f"{url}/api/websocket answered the login with {verdict.get('type')!r}"
            )
        for number, command in enumerate(commands, start=1):
            await ws.send(json.dumps({"id": number, **command}))
        results: dict[int, Any] = {}
        while len(results) < len(commands):
            message = await _receive(ws)
            if message.get("type") != "result" or not isinstance(message.get("id"), int):
                continue  # events and pongs are not answers
            results[message["id"]] = _result(url, message, commands)
    return [results.get(number) for number in range(1, len(commands) + 1)]


def _result(url: str, message: dict[str, Any], commands: Sequence[dict[str, Any]]) -> Any:
    if message.get("success"):
        return message.get("result")
    error = message.get("error") or {}
    command = commands[message["id"] - 1]
    code = error.get("code")
    if command["type"] in _MAY_BE_REFUSED:
        _LOGGER.info(
            "Home Assistant at %s refused %s (%s): %s",
            url,
            command["type"],
            code,
            error.get("message"),
        )
        return None
    if code == "unauthorized":
        raise token_refused(url, 403, text_or_none(error.get("message")))
    raise HomeAssistantError(
        f"Home Assistant at {url} refused {command['type']} over the WebSocket: "
        f"{error.get('message') or code}",
        ha_message=text_or_none(error.get("message")),
    )


async def _receive(ws: WebSocketLike) -> dict[str, Any]:
    raw = await ws.recv()
    try:
        message = json.loads(raw)
    except ValueError:
        raise NotHomeAssistantError("the WebSocket sent something that is not JSON") from None
    if not isinstance(message, dict):
        raise NotHomeAssistantError("the WebSocket sent JSON that is not a message object")
    return message
