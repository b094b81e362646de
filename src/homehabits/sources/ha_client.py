"""A small client for Home Assistant's REST and WebSocket APIs, returning plain dataclasses.

All HTTP goes through one `httpx.AsyncClient` (tests hand in a transport) and all WebSocket
traffic through one `ws_connect` callable (tests hand in an in-process one). The token is sent
in the `Authorization` header and the WebSocket `auth` message only: it never appears in a log
record, an exception message or a repr.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from types import TracebackType
from typing import Any, Final, Protocol
from urllib.parse import quote, urlsplit

import httpx
from websockets.asyncio.client import connect as _websockets_connect
from websockets.exceptions import WebSocketException

from homehabits.exceptions import (
    DeployError,
    HomeAssistantAuthError,
    HomeAssistantError,
    HomeAssistantTimeoutError,
    HomeAssistantUnreachableError,
    NotHomeAssistantError,
)
from homehabits.sources.ha_records import (
    HaConfig,
    HaRegistries,
    HaState,
    LogbookEntry,
    number_or_none,
    state_of,
    text_or_none,
    timestamp,
)

__all__ = [
    "HaConfig",
    "HaRegistries",
    "HaState",
    "HomeAssistantClient",
    "LogbookEntry",
    "WebSocketLike",
    "WsConnect",
]

_LOGGER = logging.getLogger(__name__)

#: The websockets library logs every frame at DEBUG, the `auth` frame (with the token) included.
_WS_LOGGER = logging.getLogger(f"{__name__}.websocket")

_WS_MAX_MESSAGE_BYTES: Final = 64 * 2**20  # a large home's entity registry is several MiB
_AUTOMATION_POLL_SECONDS: Final = 0.25


class _DropTokenFrames(logging.Filter):
    """Drops any WebSocket log record that shows an `auth` frame."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return False
        return "access_token" not in message


_WS_LOGGER.addFilter(_DropTokenFrames())


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


class HomeAssistantClient:
    """Talks to one Home Assistant; use as `async with HomeAssistantClient(url, token) as ha`."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        ws_connect: WsConnect | None = None,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._retries = max(0, retries)
        self._backoff = backoff
        self._ws_connect: WsConnect = ws_connect or _default_ws_connect
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"HomeAssistantClient(url={self.url!r})"

    async def __aenter__(self) -> HomeAssistantClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    # -- reading ---------------------------------------------------------------------------

    async def check(self) -> None:
        """Make sure the address is Home Assistant's API and the token is accepted."""
        body = await self._get_json("/api/")
        if not (isinstance(body, dict) and body.get("message") == "API running."):
            raise NotHomeAssistantError(
                f"{self.url}/api/ did not answer like Home Assistant "
                "(expected {'message': 'API running.'}) — is this the right address and port?"
            )

    async def get_config(self) -> HaConfig:
        """The home's version, time zone and location (`GET /api/config`)."""
        body = await self._get_json("/api/config")
        if not isinstance(body, dict) or "version" not in body:
            raise NotHomeAssistantError(
                f"{self.url}/api/config has no Home Assistant version — is this Home Assistant?"
            )
        return HaConfig(
            version=str(body["version"]),
            time_zone=str(body.get("time_zone") or "UTC"),
            latitude=number_or_none(body.get("latitude")),
            longitude=number_or_none(body.get("longitude")),
            elevation=number_or_none(body.get("elevation")),
            location_name=text_or_none(body.get("location_name")),
            temperature_unit=_temperature_unit(body.get("unit_system")),
        )

    async def get_states(self) -> list[HaState]:
        """Every entity's current state (`GET /api/states`)."""
        body = await self._get_json("/api/states")
        return [state_of(item) for item in _list_of_dicts(body, self.url, "/api/states")]

    async def get_history(
        self, start: datetime, end: datetime, entity_ids: Iterable[str]
    ) -> list[HaState]:
        """The states of some entities from start to end, with the state each had at start."""
        ids = sorted(set(entity_ids))
        if not ids:
            return []
        path = f"/api/history/period/{quote(start.isoformat(), safe='')}"
        params = {"end_time": end.isoformat(), "filter_entity_id": ",".join(ids)}
        body = await self._get_json(path, params=params)
        states: list[HaState] = []
        if not isinstance(body, list):
            raise NotHomeAssistantError(f"{self.url}{path} did not answer with a list of states")
        for per_entity in body:
            states.extend(state_of(item) for item in _list_of_dicts(per_entity, self.url, path))
        return states

    async def get_logbook(self, start: datetime, end: datetime) -> list[LogbookEntry] | None:
        """The logbook from start to end; None when this Home Assistant has no logbook."""
        path = f"/api/logbook/{quote(start.isoformat(), safe='')}"
        response = await self._request("GET", path, params={"end_time": end.isoformat()})
        if response.status_code == httpx.codes.NOT_FOUND:
            return None
        body = self._json_of(response, "GET", path)
        entries = []
        for item in _list_of_dicts(body, self.url, path):
            when = timestamp(item.get("when"))
            if when is None:
                continue
            entries.append(
                LogbookEntry(
                    when=when,
                    entity_id=text_or_none(item.get("entity_id")),
                    state=text_or_none(item.get("state")),
                    context_user_id=text_or_none(item.get("context_user_id")),
                    context_event_type=text_or_none(item.get("context_event_type")),
                    context_domain=text_or_none(item.get("context_domain")),
                    context_entity_id=text_or_none(item.get("context_entity_id")),
                )
            )
        return entries

    async def read_registries(self, automation_entity_ids: Iterable[str] = ()) -> HaRegistries:
        """Entity, device and area registries, users and automation configs, over one WebSocket."""
        commands: list[dict[str, Any]] = [
            {"type": "config/entity_registry/list"},
            {"type": "config/device_registry/list"},
            {"type": "config/area_registry/list"},
            {"type": "config/auth/list"},
            {"type": "auth/current_user"},
        ]
        automation_ids = sorted(set(automation_entity_ids))
        commands += [{"type": "automation/config", "entity_id": eid} for eid in automation_ids]
        answers = await self._with_retries(
            "WebSocket", "/api/websocket", self._ws_session, commands
        )
        entities, devices, areas, users, current_user = answers[:5]
        configs: dict[str, dict[str, Any]] = {}
        for entity_id, answer in zip(automation_ids, answers[5:], strict=True):
            config = answer.get("config") if isinstance(answer, dict) else None
            if isinstance(config, dict):
                configs[entity_id] = config
        return HaRegistries(
            entities=_dicts_or_empty(entities),
            devices=_dicts_or_empty(devices),
            areas=_dicts_or_empty(areas),
            users=_dicts_or_empty(users) if isinstance(users, list) else None,
            automation_configs=configs,
            token_user_id=text_or_none(current_user.get("id"))
            if isinstance(current_user, dict)
            else None,
        )

    # -- deploying -------------------------------------------------------------------------

    async def save_automation(self, automation_id: str, config: Mapping[str, Any]) -> None:
        """Create or replace an automation; Home Assistant checks it, writes it and reloads."""
        path = _automation_path(automation_id)
        response = await self._request("POST", path, json=dict(config))
        said = _message_of(response)
        if response.status_code == httpx.codes.BAD_REQUEST:
            raise DeployError(
                f"Home Assistant rejected automation {automation_id!r}: "
                f"{said or 'no reason given'}",
                status=response.status_code,
                ha_message=said,
            )
        if response.status_code != httpx.codes.OK:
            raise DeployError(
                f"Home Assistant answered {response.status_code} when saving automation "
                f"{automation_id!r}: {said or response.reason_phrase}",
                status=response.status_code,
                ha_message=said,
            )
        self._json_of(response, "POST", path)

    async def get_automation(self, automation_id: str) -> dict[str, Any] | None:
        """The stored config of an automation, or None when Home Assistant has none by that id."""
        path = _automation_path(automation_id)
        response = await self._request("GET", path)
        if response.status_code == httpx.codes.NOT_FOUND:
            return None
        body = self._json_of(response, "GET", path)
        if not isinstance(body, dict):
            raise NotHomeAssistantError(f"{self.url}{path} did not answer with an automation")
        return body

    async def delete_automation(self, automation_id: str) -> None:
        """Remove an automation; removing one that is already gone is not an error."""
        path = _automation_path(automation_id)
        response = await self._request("DELETE", path)
        if response.status_code == httpx.codes.OK:
            return
        message = _message_of(response)
        # Home Assistant answers 400 "Resource not found" for an id it does not have.
        if response.status_code in (400, 404) and message == "Resource not found":
            return
        raise DeployError(
            f"Home Assistant answered {response.status_code} when removing automation "
            f"{automation_id!r}: {message or response.reason_phrase}",
            status=response.status_code,
            ha_message=message,
        )

    async def wait_for_automation_entity(
        self,
        automation_id: str,
        timeout: float = 10.0,  # noqa: ASYNC109 - a polling budget, enforced with asyncio.timeout
    ) -> str:
        """Wait until the reloaded automation shows up as a state; return its entity id."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    for state in await self.get_states():
                        if state.entity_id.startswith("automation.") and str(
                            state.attributes.get("id")
                        ) == str(automation_id):
                            return state.entity_id
                    await asyncio.sleep(_AUTOMATION_POLL_SECONDS)
        except TimeoutError:
            raise DeployError(
                f"automation {automation_id!r} was saved but did not appear in Home Assistant "
                f"within {timeout:g} s — check Home Assistant's log for errors in automations.yaml"
            ) from None

    # -- plumbing --------------------------------------------------------------------------

    async def _get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        response = await self._request("GET", path, params=params)
        if response.status_code == httpx.codes.NOT_FOUND:
            raise NotHomeAssistantError(
                f"{self.url}{path} was not found — is this Home Assistant, with the API enabled?",
                status=response.status_code,
            )
        if response.status_code != httpx.codes.OK:
            said = _message_of(response)
            raise HomeAssistantError(
                f"Home Assistant at {self.url} answered {response.status_code} to GET {path}: "
                f"{said or response.reason_phrase}",
                status=response.status_code,
                ha_message=said,
            )
        return self._json_of(response, "GET", path)

    def _json_of(self, response: httpx.Response, method: str, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("content-type", "").split(";")[0] or "no content type"
            raise NotHomeAssistantError(
                f"{self.url} answered {method} {path} with {kind}, not Home Assistant's JSON "
                "— is this the right address and port?",
                status=response.status_code,
            ) from None

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """One HTTP request, retried on 5xx and on no answer; auth errors raised at once."""

        async def once() -> httpx.Response:
            async with asyncio.timeout(self._timeout):
                response = await self._http.request(method, path, params=params, json=json)
            if response.status_code >= httpx.codes.INTERNAL_SERVER_ERROR:
                raise _ServerError(response.status_code, _message_of(response))
            return response

        response: httpx.Response = await self._with_retries(method, path, once)
        if response.status_code in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
            raise self._auth_error(response.status_code, _message_of(response))
        return response

    async def _with_retries(
        self, method: str, path: str, attempt: Callable[..., Any], *args: Any
    ) -> Any:
        """Run `attempt` again after 5xx answers and lost connections, waiting longer each time."""
        for number in range(self._retries + 1):
            last = number == self._retries
            try:
                return await attempt(*args)
            except _ServerError as err:
                if last:
                    raise HomeAssistantError(
                        f"Home Assistant at {self.url} answered {err.status} to {method} {path} "
                        f"{number + 1} time(s): {err.message or 'server error'}",
                        status=err.status,
                        ha_message=err.message,
                    ) from None
                reason = f"answered {err.status}"
            except (httpx.TransportError, OSError, WebSocketException, TimeoutError) as err:
                if last:
                    raise self._unreachable(err) from None
                reason = type(err).__name__
            delay = self._backoff * 2**number
            _LOGGER.info(
                "Home Assistant at %s %s to %s %s; trying again in %.1f s",
                self.url,
                reason,
                method,
                path,
                delay,
            )
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _ws_session(self, commands: list[dict[str, Any]]) -> list[Any]:
        """Authenticate, send every command, and return each result (None for refused ones)."""
        async with asyncio.timeout(self._timeout), self._ws_connect(_ws_url(self.url)) as ws:
            hello = await _receive(ws)
            if hello.get("type") != "auth_required":
                raise NotHomeAssistantError(
                    f"{self.url}/api/websocket did not ask for authentication like Home Assistant"
                )
            await ws.send(json.dumps({"type": "auth", "access_token": self._token}))
            verdict = await _receive(ws)
            if verdict.get("type") == "auth_invalid":
                raise self._auth_error(401, text_or_none(verdict.get("message")))
            if verdict.get("type") != "auth_ok":
                raise NotHomeAssistantError(
                    f"{self.url}/api/websocket answered the login with {verdict.get('type')!r}"
                )
            for number, command in enumerate(commands, start=1):
                await ws.send(json.dumps({"id": number, **command}))
            results: dict[int, Any] = {}
            while len(results) < len(commands):
                message = await _receive(ws)
                if message.get("type") != "result" or not isinstance(message.get("id"), int):
                    continue  # events and pongs are not answers
                results[message["id"]] = self._ws_result(message, commands)
        return [results.get(number) for number in range(1, len(commands) + 1)]

    def _ws_result(self, message: dict[str, Any], commands: list[dict[str, Any]]) -> Any:
        if message.get("success"):
            return message.get("result")
        error = message.get("error") or {}
        command = commands[message["id"] - 1]
        code = error.get("code")
        # Listing users needs an admin token, and an automation may have no stored config: the
        # home can still be read without them.
        if command["type"] in ("config/auth/list", "auth/current_user", "automation/config"):
            _LOGGER.info(
                "Home Assistant at %s refused %s (%s): %s",
                self.url,
                command["type"],
                code,
                error.get("message"),
            )
            return None
        if code == "unauthorized":
            raise self._auth_error(403, text_or_none(error.get("message")))
        raise HomeAssistantError(
            f"Home Assistant at {self.url} refused {command['type']} over the WebSocket: "
            f"{error.get('message') or code}",
            ha_message=text_or_none(error.get("message")),
        )

    def _auth_error(self, status: int, said: str | None = None) -> HomeAssistantAuthError:
        return HomeAssistantAuthError(
            f"Home Assistant refused the token ({status}) at {self.url} — create a long-lived "
            "access token in your profile",
            status=status,
            ha_message=said,
        )

    def _unreachable(self, err: BaseException) -> HomeAssistantUnreachableError:
        if isinstance(err, TimeoutError | httpx.TimeoutException):
            return HomeAssistantTimeoutError(
                f"Home Assistant at {self.url} did not answer within {self._timeout:g} s "
                "— check that it is running and not overloaded"
            )
        return HomeAssistantUnreachableError(
            f"Home Assistant at {self.url} could not be reached ({type(err).__name__}) "
            "— check the address, the port and that it is running"
        )


class _ServerError(Exception):
    """A 5xx answer, worth trying again."""

    def __init__(self, status: int, message: str | None) -> None:
        super().__init__(status)
        self.status = status
        self.message = message


def _default_ws_connect(url: str) -> AbstractAsyncContextManager[WebSocketLike]:
    return _websockets_connect(url, logger=_WS_LOGGER, max_size=_WS_MAX_MESSAGE_BYTES)


async def _receive(ws: WebSocketLike) -> dict[str, Any]:
    raw = await ws.recv()
    try:
        message = json.loads(raw)
    except ValueError:
        raise NotHomeAssistantError("the WebSocket sent something that is not JSON") from None
    if not isinstance(message, dict):
        raise NotHomeAssistantError("the WebSocket sent JSON that is not a message object")
    return message


def _ws_url(url: str) -> str:
    scheme = "wss" if urlsplit(url).scheme == "https" else "ws"
    return f"{scheme}://{url.split('://', 1)[1]}/api/websocket"


def _automation_path(automation_id: str) -> str:
    return f"/api/config/automation/config/{quote(str(automation_id), safe='')}"


def _message_of(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    message = body.get("message") if isinstance(body, dict) else None
    return str(message) if message is not None else None


def _list_of_dicts(body: Any, url: str, path: str) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise NotHomeAssistantError(f"{url}{path} did not answer with a list")
    return [item for item in body if isinstance(item, dict)]


def _dicts_or_empty(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _temperature_unit(unit_system: Any) -> str:
    unit = unit_system.get("temperature") if isinstance(unit_system, dict) else None
    return "°F" if unit == "°F" else "°C"
