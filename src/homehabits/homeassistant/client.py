"""Home Assistant's REST API and config API: reading the home and deploying automations.

All HTTP goes through one `httpx.AsyncClient` (tests hand in a transport) and the WebSocket
through `homehabits.homeassistant.websocket`. Every answer comes back as a record of
`homehabits.homeassistant.records`, and every call that fails for want of an answer is tried
again by the one `RetryPolicy`. The token is sent in the `Authorization` header and the
WebSocket `auth` message only: it never appears in a log record, an exception message or a repr.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Final, TypeVar
from urllib.parse import quote

import httpx

from homehabits.automations.dialects import parse_version
from homehabits.exceptions import (
    DeployError,
    HomeAssistantError,
    NotHomeAssistantError,
)
from homehabits.homeassistant._errors import token_refused, unreachable
from homehabits.homeassistant.records import (
    REGISTRY_COMMANDS,
    HaConfig,
    HaRegistries,
    HaState,
    LogbookEntry,
    config_of,
    logbook_entry_of,
    registries_of,
    state_of,
)
from homehabits.homeassistant.retry import RETRYABLE, RetryPolicy, ServerAnswerError
from homehabits.homeassistant.websocket import WsConnect, default_ws_connect, run_commands

__all__ = ["LABELS_SINCE", "HomeAssistantClient", "has_labels"]

#: The first Home Assistant with labels and automation categories (both came in 2024.4).
LABELS_SINCE: Final = (2024, 4)

_AUTOMATION_POLL_SECONDS: Final = 0.25

_T = TypeVar("_T")


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
        self._retry = RetryPolicy(retries=max(0, retries), backoff=backoff)
        # a test's transport may stand for a whole Home Assistant and bring its WebSocket too
        # (the fake's does), so the callers that pass one transport need not pass two
        self._ws_connect: WsConnect = (
            ws_connect or getattr(transport, "ws_connect", None) or default_ws_connect
        )
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
        return config_of(body)

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
        entries = (logbook_entry_of(item) for item in _list_of_dicts(body, self.url, path))
        return [entry for entry in entries if entry is not None]

    async def read_registries(self, automation_entity_ids: Iterable[str] = ()) -> HaRegistries:
        """Entity, device and area registries, users and automation configs, over one WebSocket."""
        automation_ids = sorted(set(automation_entity_ids))
        commands: list[dict[str, Any]] = [{"type": kind} for kind in REGISTRY_COMMANDS]
        commands += [{"type": "automation/config", "entity_id": eid} for eid in automation_ids]

        async def session() -> list[Any]:
            return await run_commands(
                self.url,
                self._token,
                commands,
                connect=self._ws_connect,
                timeout=self._timeout,
            )

        answers = await self._retried("WebSocket", "/api/websocket", session)
        return registries_of(answers, automation_ids)

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
                        if state.entity_id.startswith("automation.") and (
                            state.automation_id == str(automation_id)
                        ):
                            return state.entity_id
                    await asyncio.sleep(_AUTOMATION_POLL_SECONDS)
        except TimeoutError:
            raise DeployError(
                f"automation {automation_id!r} was saved but did not appear in Home Assistant "
                f"within {timeout:g} s — check Home Assistant's log for errors in automations.yaml"
            ) from None

    # -- services --------------------------------------------------------------------------

    async def call_service(self, domain: str, service: str, data: Mapping[str, Any]) -> None:
        """Call a service (`POST /api/services/<domain>/<service>`), e.g. a notification."""
        path = f"/api/services/{quote(domain, safe='')}/{quote(service, safe='')}"
        response = await self._request("POST", path, json=dict(data))
        if response.status_code != httpx.codes.OK:
            said = _message_of(response)
            raise HomeAssistantError(
                f"Home Assistant at {self.url} answered {response.status_code} to "
                f"{domain}.{service}: {said or response.reason_phrase}",
                status=response.status_code,
                ha_message=said,
            )

    # -- labels and categories -------------------------------------------------------------

    async def label_automation(self, entity_id: str, *, label: str, category: str) -> None:
        """Give an automation a label and a category, each created when the home lacks it.

        Labels the entity already has are kept; its automation category is replaced.
        Only for Home Assistant 2024.4 and later (`has_labels`).
        """
        labels, categories, entry = await self._ws(
            [
                {"type": "config/label_registry/list"},
                {"type": "config/category_registry/list", "scope": "automation"},
                {"type": "config/entity_registry/get", "entity_id": entity_id},
            ]
        )
        label_id = _id_named(labels, label, "label_id")
        category_id = _id_named(categories, category, "category_id")
        creates: list[dict[str, Any]] = []
        if label_id is None:
            creates.append({"type": "config/label_registry/create", "name": label})
        if category_id is None:
            creates.append(
                {"type": "config/category_registry/create", "scope": "automation", "name": category}
            )
        created = iter(await self._ws(creates) if creates else [])
        if label_id is None:
            label_id = _text_field(next(created), "label_id")
        if category_id is None:
            category_id = _text_field(next(created), "category_id")
        had = entry.get("labels") if isinstance(entry, dict) else None
        kept = [str(item) for item in had if item != label_id] if isinstance(had, list) else []
        await self._ws(
            [
                {
                    "type": "config/entity_registry/update",
                    "entity_id": entity_id,
                    "labels": [*kept, label_id],
                    "categories": {"automation": category_id},
                }
            ]
        )

    async def _ws(self, commands: list[dict[str, Any]]) -> list[Any]:
        """Commands over one WebSocket session, retried like every call."""

        async def session() -> list[Any]:
            return await run_commands(
                self.url, self._token, commands, connect=self._ws_connect, timeout=self._timeout
            )

        return await self._retried("WebSocket", "/api/websocket", session)

    # -- AI Task ---------------------------------------------------------------------------

    async def get_ai_task_preferred_entity(self) -> str | None:
        """The AI Task entity the owner prefers for data tasks (`ai_task/preferences/get`).

        None when none is preferred, or where AI Task is not loaded (the command is unknown).
        """
        (preferences,) = await self._ws([{"type": "ai_task/preferences/get"}])
        found = preferences.get("gen_data_entity_id") if isinstance(preferences, dict) else None
        return found if isinstance(found, str) and found else None

    async def generate_data(
        self,
        task_name: str,
        instructions: str,
        structure: Mapping[str, Any],
        entity_id: str | None = None,
    ) -> dict[str, Any]:
        """AI Task's structured answer: `ai_task.generate_data` with `return_response`.

        Returns the service response, `{"data": {...}, "conversation_id": ...}`. A Home
        Assistant without the service (no AI Task, or before 2025.8) answers 400, raised as a
        HomeAssistantError with that status; without an entity and no preferred one it
        answers 500, tried again like every 5xx.
        """
        path = "/api/services/ai_task/generate_data"
        body: dict[str, Any] = {
            "task_name": task_name,
            "instructions": instructions,
            "structure": dict(structure),
        }
        if entity_id:
            body["entity_id"] = entity_id
        # Home Assistant only looks whether the key is in the query, not at its value
        response = await self._request("POST", path, params={"return_response": ""}, json=body)
        said = _message_of(response)
        if response.status_code != httpx.codes.OK:
            raise HomeAssistantError(
                f"Home Assistant answered {response.status_code} to POST {path}: "
                f"{said or response.text[:120] or response.reason_phrase}",
                status=response.status_code,
                ha_message=said,
            )
        answer = self._json_of(response, "POST", path)
        service_response = answer.get("service_response") if isinstance(answer, dict) else None
        if not isinstance(service_response, dict):
            raise NotHomeAssistantError(
                f"{self.url}{path} did not answer with a service response: {str(answer)[:120]!r}",
                status=response.status_code,
            )
        return service_response

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
                raise ServerAnswerError(response.status_code, _message_of(response))
            return response

        response = await self._retried(method, path, once)
        if response.status_code in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
            raise token_refused(self.url, response.status_code, _message_of(response))
        return response

    async def _retried(self, method: str, path: str, attempt: Callable[[], Awaitable[_T]]) -> _T:
        """`attempt` under the retry policy; what still fails becomes a HomeAssistantError."""
        try:
            return await self._retry.run(attempt, where=self.url, what=f"{method} {path}")
        except ServerAnswerError as err:
            raise HomeAssistantError(
                f"Home Assistant at {self.url} answered {err.status} to {method} {path} "
                f"{self._retry.tries} time(s): {err.message or 'server error'}",
                status=err.status,
                ha_message=err.message,
            ) from None
        except RETRYABLE as err:
            raise unreachable(self.url, err, self._timeout) from None


def has_labels(version: str | None) -> bool:
    """Whether a Home Assistant of this version has labels and automation categories."""
    parsed = parse_version(version)
    return parsed is not None and parsed >= LABELS_SINCE


def _id_named(entries: Any, name: str, key: str) -> str | None:
    """The id of the registry entry called `name` (case-insensitive, as Home Assistant's)."""
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if isinstance(entry, dict) and str(entry.get("name", "")).casefold() == name.casefold():
            return _text_field(entry, key)
    return None


def _text_field(entry: Any, key: str) -> str:
    value = entry.get(key) if isinstance(entry, dict) else None
    if not isinstance(value, str) or not value:
        raise NotHomeAssistantError(f"Home Assistant answered a registry entry without {key}")
    return value


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
