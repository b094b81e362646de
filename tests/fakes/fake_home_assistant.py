"""A small fake Home Assistant: the REST and WebSocket endpoints homehabits uses, as an ASGI app.

Seed it, then point a client at it in one of two ways::

    fake = FakeHomeAssistant(token="secret-token", version="2024.11.1")
    fake.add_area("kitchen", "Kitchen")
    fake.add_entity("light.kitchen", name="Kitchen light", area_id="kitchen")
    fake.record("light.kitchen", "on", when, user_id=fake.add_user("Anna"))

    # in-process: HTTP through httpx's ASGI transport, the WebSocket through `fake.ws_connect`
    client = HomeAssistantClient("http://ha.local:8123", "secret-token",
                                 transport=fake.transport(), ws_connect=fake.ws_connect)

    # end to end: a real uvicorn server on 127.0.0.1 (real sockets, real websockets library)
    base_url, stop = serve_in_thread(fake.app)
    ...
    stop()

Endpoints, with Home Assistant's response shapes: `GET /api/`, `GET /api/config`,
`GET /api/states`, `GET /api/history/period/<start>?end_time=&filter_entity_id=`,
`GET /api/logbook/<start>?end_time=`, `GET|POST|DELETE /api/config/automation/config/<id>` and
`/api/websocket` (auth handshake, `config/{entity,device,area}_registry/list`,
`config/auth/list`, `automation/config`, `config/label_registry/{list,create}`,
`config/category_registry/{list,create}` (from 2024.4, as real), `config/entity_registry/{get,update}`,
`persistent_notification/get`, `ai_task/preferences/get`, `ping`), `POST /api/services/<domain>/<service>`
(`persistent_notification.create`/`dismiss`, and the `notify.*` names in `notify_services`;
any other service answers 400 as real Home Assistant does). Every HTTP request needs
`Authorization: Bearer <token>` (else 401).

AI Task (2025.8 and later): `add_ai_task("ai_task.openai")` gives the home an AI Task entity
and `POST /api/services/ai_task/generate_data?return_response` answers as Home Assistant does,
`{"changed_states": [], "service_response": {"conversation_id": …, "data": {…}}}`, with the
data from `ai_task_answer(body)` (by default the facts' reference words). Like the real one it
answers 400 `400: Bad Request` (text) when the service does not exist (no AI Task, or before
2025.8) or the data is invalid, 400 with a message without `return_response`, and 500 when no
entity is given and none is preferred, or the entity does not exist. `ai_task_latency` slows
each task down; `ai_task_max_in_flight` is the most tasks answered at once.

For tests: `requests` records every request (`count()` sums them), `fail()` makes the next
answers an error status, `delay()` slows answers down, `serve_html` turns the fake into a web
page that is not Home Assistant, `automations` holds the saved configs, and
`reload_delay` is how long a saved automation takes to appear as an `automation.*` state.

Fault modes, each undone by `heal()`: `go_down()` (every connection refused), `hang()` (requests
wait until healed, beyond any timeout), `fail(500)` / `fail(401)`, `answer_garbage()` (200 with a
body that is not JSON) and `never_load = True` (automations are saved but never show up).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from homehabits.context import HomeContext
from tests.fakes.serving import InProcessWebSocket, in_process_websocket, serve_in_thread

__all__ = ["FakeHomeAssistant", "RecordedRequest", "ai_task_facts", "serve_in_thread"]

_MODERN_SINCE = (2024, 10)
_CATEGORIES_SINCE = (2024, 4)
_AI_TASK_SINCE = (2025, 8)
_LAST_REPORTED_SINCE = (2024, 4)  # states show last_reported from 2024.4 (2024.3.3 does not)
# Home Assistant's two unit systems as /api/config shows them (2024.3 and later; 2025 adds area).
_METRIC = {
    "length": "km",
    "accumulated_precipitation": "mm",
    "mass": "g",
    "pressure": "Pa",
    "temperature": "°C",
    "volume": "L",
    "wind_speed": "m/s",
}
_US_CUSTOMARY = {
    "length": "mi",
    "accumulated_precipitation": "in",
    "mass": "lb",
    "pressure": "psi",
    "temperature": "°F",
    "volume": "gal",
    "wind_speed": "mph",
}
_STATIC_ATTRIBUTES = ("friendly_name", "device_class", "supported_color_modes", "icon")
_AUTOMATION_KEYS = {
    "id",
    "alias",
    "description",
    "mode",
    "max",
    "max_exceeded",
    "variables",
    "trigger_variables",
    "initial_state",
    "trace",
}


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake answered (`method` is `WS` for a WebSocket command)."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class _Change:
    entity_id: str
    state: str
    when: datetime
    attributes: dict[str, Any]
    user_id: str | None
    cause: dict[str, str]  # the logbook's context_* fields of the event that started it


@dataclass
class _Fault:
    path_prefix: str
    status: int | None = None
    times: int = 1
    seconds: float = 0.0
    hang: bool = False  # wait until `heal()`
    garbage: bool = False  # answer 200 with a body that is not JSON


class _FaultyTransport(httpx.AsyncBaseTransport):
    """The fake's in-process transport, which refuses every connection while it is down."""

    def __init__(self, fake: FakeHomeAssistant) -> None:
        self._fake = fake
        self._asgi = httpx.ASGITransport(app=fake.app)

    def ws_connect(self, url: str) -> AbstractAsyncContextManager[InProcessWebSocket]:
        """The fake's WebSocket too: a client given only this transport reaches both."""
        if self._fake.down:
            self._fake.requests.append(RecordedRequest("WS", "connect"))
            raise ConnectionRefusedError(111, "Connection refused")
        return self._fake.ws_connect(url)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._fake.down:
            self._fake.requests.append(RecordedRequest(request.method, request.url.path))
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return await self._asgi.handle_async_request(request)


class FakeHomeAssistant:
    """The state of one fake home, and the ASGI app that serves it."""

    def __init__(
        self,
        *,
        token: str = "fake-token",
        version: str = "2024.11.1",
        time_zone: str = "Europe/Berlin",
        latitude: float = 52.52,
        longitude: float = 13.405,
        elevation: float = 34.0,
        location_name: str = "Home",
        temperature_unit: str = "°C",
        reload_delay: float = 0.05,
        logbook: bool = True,
    ) -> None:
        self.token = token
        self.version = version
        self.time_zone = time_zone
        self.latitude = latitude
        self.longitude = longitude
        self.elevation = elevation
        self.location_name = location_name
        self.temperature_unit = temperature_unit
        self.reload_delay = reload_delay
        self.logbook = logbook  # False: /api/logbook answers 404, as without `logbook:`
        self.serve_html = False  # True: every page is a router's HTML login page
        self.token_user_id = uuid.uuid4().hex  # the user `auth/current_user` names
        self.users_need_admin = False  # True: config/auth/list is refused, as for a non-admin
        self.down = False  # True: the in-process transport refuses every connection
        self.never_load = False  # True: saved automations never appear as entities
        self.states: dict[str, dict[str, Any]] = {}
        self.entity_registry: dict[str, dict[str, Any]] = {}
        self.device_registry: dict[str, dict[str, Any]] = {}
        self.area_registry: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.automations: dict[str, dict[str, Any]] = {}  # automation id -> saved config
        self.labels: dict[str, dict[str, Any]] = {}  # label id -> label registry entry
        self.categories: dict[str, dict[str, dict[str, Any]]] = {}  # scope -> id -> entry
        self.notifications: dict[str, dict[str, Any]] = {}  # persistent ones, by id
        self.notify_services: set[str] = set()  # e.g. {"mobile_app_pixel"}
        self.service_calls: list[tuple[str, str, dict[str, Any]]] = []
        self.requests: list[RecordedRequest] = []
        self._changes: list[_Change] = []
        self._faults: list[_Fault] = []
        self._healed: asyncio.Event | None = None
        self._held = 0
        self._holding = asyncio.Event()  # set once `hang()` holds a request
        self.ai_task_preferred: str | None = None  # the entity set as preferred in the home
        self.ai_task_answer: Callable[[dict[str, Any]], Any] = _ai_task_words
        self.ai_task_latency = 0.0
        self.ai_task_in_flight = 0
        self.ai_task_max_in_flight = 0
        self.ai_task_bodies: list[dict[str, Any]] = []
        self.app = self._build_app()

    # -- seeding ---------------------------------------------------------------------------

    def add_area(self, area_id: str, name: str) -> str:
        """Add an area to the area registry."""
        self.area_registry[area_id] = {
            "aliases": [],
            "area_id": area_id,
            "floor_id": None,
            "icon": None,
            "labels": [],
            "name": name,
            "picture": None,
        }
        return area_id

    def add_device(
        self,
        device_id: str,
        name: str,
        *,
        area_id: str | None = None,
        manufacturer: str | None = None,
        model: str | None = None,
        name_by_user: str | None = None,
    ) -> str:
        """Add a device to the device registry."""
        self.device_registry[device_id] = {
            "area_id": area_id,
            "config_entries": [],
            "connections": [],
            "disabled_by": None,
            "entry_type": None,
            "id": device_id,
            "identifiers": [["demo", device_id]],
            "labels": [],
            "manufacturer": manufacturer,
            "model": model,
            "name": name,
            "name_by_user": name_by_user,
            "sw_version": None,
            "via_device_id": None,
        }
        return device_id

    def add_entity(
        self,
        entity_id: str,
        *,
        name: str | None = None,
        original_name: str | None = None,
        device_id: str | None = None,
        area_id: str | None = None,
        platform: str = "demo",
        unique_id: str | None = None,
        has_entity_name: bool = False,
        disabled: bool = False,
        state: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> str:
        """Add an entity to the entity registry (and, given `state`, its current state)."""
        self.entity_registry[entity_id] = {
            "area_id": area_id,
            "categories": {},
            "config_entry_id": None,
            "device_id": device_id,
            "disabled_by": "user" if disabled else None,
            "entity_category": None,
            "entity_id": entity_id,
            "has_entity_name": has_entity_name,
            "hidden_by": None,
            "icon": None,
            "id": uuid.uuid4().hex,
            "labels": [],
            "name": name,
            "options": {},
            "original_name": original_name,
            "platform": platform,
            "translation_key": None,
            "unique_id": unique_id or entity_id,
        }
        if state is not None:
            self.set_state(entity_id, state, attributes)
        return entity_id

    def add_user(
        self, name: str, *, user_id: str | None = None, system_generated: bool = False
    ) -> str:
        """Add a user (as `config/auth/list` shows it); returns its hex id."""
        user_id = user_id or uuid.uuid4().hex
        # a system user (Supervisor, Home Assistant Content) has no login: no username, no credentials
        self.users[user_id] = {
            "id": user_id,
            "username": None if system_generated else name.lower().replace(" ", "_"),
            "name": name,
            "is_owner": not system_generated
            and not any(user["is_owner"] for user in self.users.values()),
            "is_active": True,
            "local_only": False,
            "system_generated": system_generated,
            "group_ids": ["system-admin"],
            "credentials": [] if system_generated else [{"type": "homeassistant"}],
        }
        return user_id

    def set_state(
        self,
        entity_id: str,
        state: str,
        attributes: Mapping[str, Any] | None = None,
        *,
        when: datetime | None = None,
    ) -> None:
        """Set an entity's current state, as `/api/states` shows it."""
        moment = _iso(when or datetime.now(UTC))
        shown: dict[str, Any] = {
            "entity_id": entity_id,
            "state": state,
            "attributes": dict(attributes or {}),
            "last_changed": moment,
            "last_updated": moment,
            "context": {"id": uuid.uuid4().hex.upper()[:26], "parent_id": None, "user_id": None},
        }
        if _version(self.version) >= _LAST_REPORTED_SINCE:
            shown["last_reported"] = moment
        self.states[entity_id] = shown

    def add_ai_task(self, entity_id: str = "ai_task.openai", *, preferred: bool = True) -> str:
        """Give the home an AI Task entity (an AI integration's), the preferred one if asked."""
        self.set_state(
            entity_id,
            "unknown",
            {"friendly_name": entity_id.split(".", 1)[1].replace("_", " ").title()},
        )
        if preferred:
            self.ai_task_preferred = entity_id
        return entity_id

    def show_entities_of(self, context: HomeContext) -> None:
        """Give every entity of a home a current state, with its name and device class."""
        for entity in context.entities.values():
            if entity.domain == "automation":
                continue  # automations appear when they are added or deployed
            attributes: dict[str, Any] = {"friendly_name": entity.name}
            if entity.device_class:
                attributes["device_class"] = entity.device_class
            self.set_state(entity.entity_id, "unknown", attributes)

    def record(
        self,
        entity_id: str,
        state: str,
        when: datetime,
        *,
        attributes: Mapping[str, Any] | None = None,
        user_id: str | None = None,
        automation: str | None = None,
        script: str | None = None,
        context_entity_id: str | None = None,
    ) -> None:
        """Record a state change in the history and the logbook, with its cause.

        `user_id`: a person (or service account) did it; `automation`/`script`: the entity id
        of the automation or script that did it (as the logbook's `context_*` fields name it,
        whatever its trigger); `context_entity_id`: another entity's change started it.
        Nothing: a device did it.
        """
        cause: dict[str, str] = {}
        if automation is not None:
            cause = {
                "context_event_type": "automation_triggered",
                "context_domain": "automation",
                "context_name": automation.split(".", 1)[1].replace("_", " ").capitalize(),
                "context_message": "triggered by time",
                "context_source": "time",
                "context_entity_id": automation,
            }
        elif script is not None:
            cause = {
                "context_event_type": "script_started",
                "context_domain": "script",
                "context_name": script.split(".", 1)[1],
                "context_message": "started",
                "context_entity_id": script,
            }
        elif user_id is not None:
            domain = entity_id.split(".", 1)[0]
            service = "turn_on" if state == "on" else "turn_off"
            cause = {
                "context_event_type": "call_service",
                "context_domain": domain,
                "context_service": service,
            }
        elif context_entity_id is not None:
            cause = {"context_entity_id": context_entity_id, "context_state": "on"}
        self._changes.append(
            _Change(entity_id, state, when, dict(attributes or {}), user_id, cause)
        )
        self._changes.sort(key=lambda change: change.when)
        latest = [change for change in self._changes if change.entity_id == entity_id][-1]
        current = self.states.get(entity_id, {}).get("attributes", {})
        # Names and classes stay; brightness and the like belong to the state.
        static = {key: current[key] for key in _STATIC_ATTRIBUTES if key in current}
        self.set_state(entity_id, latest.state, {**static, **latest.attributes}, when=latest.when)

    def add_automation(self, config: Mapping[str, Any]) -> str:
        """An automation the home already has (in automations.yaml); returns its entity id."""
        automation_id = str(config.get("id") or uuid.uuid4().hex)
        self.automations[automation_id] = {"id": automation_id, **config}
        return self._show_automation(automation_id)

    # -- inspection and faults -------------------------------------------------------------

    def count(self, path_prefix: str = "/", method: str | None = None) -> int:
        """How many requests were made to paths starting with `path_prefix`."""
        return sum(
            1
            for request in self.requests
            if request.path.startswith(path_prefix) and method in (None, request.method)
        )

    def fail(self, status: int, *, times: int = 1, path_prefix: str = "/api") -> None:
        """Answer the next `times` requests under `path_prefix` with `status`."""
        self._faults.append(_Fault(path_prefix, status=status, times=times))

    def delay(self, seconds: float, *, times: int = 1_000_000, path_prefix: str = "/api") -> None:
        """Wait `seconds` before answering requests under `path_prefix`."""
        self._faults.append(_Fault(path_prefix, seconds=seconds, times=times))

    def go_down(self) -> None:
        """Refuse every connection (through `transport()`), as a host that is off."""
        self.down = True

    def hang(self, *, path_prefix: str = "/api") -> None:
        """Keep requests under `path_prefix` waiting until `heal()`, as a stuck Home Assistant."""
        self._faults.append(_Fault(path_prefix, times=1_000_000, hang=True))

    def answer_garbage(self, *, times: int = 1_000_000, path_prefix: str = "/api") -> None:
        """Answer requests under `path_prefix` with 200 and a body that is not JSON."""
        self._faults.append(_Fault(path_prefix, times=times, garbage=True))

    def heal(self) -> None:
        """Undo every fault: up, answering, loading automations; held requests go on."""
        self.down = False
        self.never_load = False
        self._faults.clear()
        if self._healed is not None:
            self._healed.set()
            self._healed = None
        for automation_id in self.automations:
            if not any(
                state["attributes"].get("id") == automation_id
                for entity_id, state in self.states.items()
                if entity_id.startswith("automation.")
            ):
                self._show_automation(automation_id)

    def hanging(self) -> int:
        """How many requests are being held by `hang()` right now."""
        return self._held

    async def wait_until_hanging(self) -> None:
        """Return once a request is being held by `hang()`."""
        await self._holding.wait()

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport that sends requests straight into the app, in process."""
        return _FaultyTransport(self)

    def ws_connect(self, url: str) -> AbstractAsyncContextManager[InProcessWebSocket]:
        """Open the app's WebSocket in process (the client's injectable `ws_connect`)."""
        return in_process_websocket(self.app, url)

    # -- the app ---------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        routes = [
            Route("/api/", self._guard(self._api_running)),
            Route("/api/config", self._guard(self._config)),
            Route("/api/states", self._guard(self._states)),
            Route("/api/history/period/{start:path}", self._guard(self._history)),
            Route("/api/logbook/{start:path}", self._guard(self._logbook)),
            Route(
                "/api/config/automation/config/{automation_id}",
                self._guard(self._automation),
                methods=["GET", "POST", "DELETE"],
            ),
            Route(
                "/api/services/ai_task/generate_data",
                self._guard(self._ai_task_generate_data),
                methods=["POST"],
            ),
            Route("/api/services/{domain}/{service}", self._guard(self._service), methods=["POST"]),
            WebSocketRoute("/api/websocket", self._websocket),
        ]
        return Starlette(routes=routes)

    def _guard(self, handler: Any) -> Any:
        async def guarded(request: Request) -> Response:
            path = request.url.path
            self.requests.append(RecordedRequest(request.method, path, dict(request.query_params)))
            for fault in list(self._faults):
                if not path.startswith(fault.path_prefix):
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                if fault.seconds:
                    await asyncio.sleep(fault.seconds)
                if fault.hang:
                    await self._wait_until_healed()
                    break
                if fault.garbage:
                    return Response(b'{"result": "ok", <html>', media_type="application/json")
                if fault.status is not None:
                    return JSONResponse({"message": "Fake failure"}, status_code=fault.status)
            if self.serve_html:
                return HTMLResponse("<!doctype html><html><body>Router login</body></html>")
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return PlainTextResponse("401: Unauthorized", status_code=401)
            response: Response = await handler(request)
            return response

        return guarded

    async def _api_running(self, request: Request) -> Response:
        return JSONResponse({"message": "API running."})

    async def _config(self, request: Request) -> Response:
        return JSONResponse(
            {
                "components": ["automation", "history", "logbook", "websocket_api"],
                "config_dir": "/config",
                "elevation": self.elevation,
                "latitude": self.latitude,
                "location_name": self.location_name,
                "longitude": self.longitude,
                "time_zone": self.time_zone,
                "unit_system": _METRIC if self.temperature_unit == "°C" else _US_CUSTOMARY,
                "version": self.version,
                "state": "RUNNING",
                "safe_mode": False,
            }
        )

    async def _states(self, request: Request) -> Response:
        return JSONResponse(list(self.states.values()))

    async def _history(self, request: Request) -> Response:
        start, end = _period(request)
        if start is None or end is None:
            return JSONResponse({"message": "Invalid datetime"}, status_code=400)
        wanted = request.query_params.get("filter_entity_id")
        entity_ids = wanted.lower().split(",") if wanted else sorted(self._entities_seen())
        answer = []
        for entity_id in entity_ids:
            changes = [c for c in self._changes if c.entity_id == entity_id]
            before = [c for c in changes if c.when < start]
            rows = []
            if before:
                # Home Assistant dates the state in effect at the start with the start time.
                rows.append(_history_state(before[-1], at=start))
            rows += [_history_state(c) for c in changes if start <= c.when < end]
            if rows:
                answer.append(rows)
        return JSONResponse(answer)

    async def _logbook(self, request: Request) -> Response:
        if not self.logbook:
            return PlainTextResponse("404: Not Found", status_code=404)
        start, end = _period(request)
        if start is None or end is None:
            return JSONResponse({"message": "Invalid datetime"}, status_code=400)
        entries: list[dict[str, Any]] = []
        for change in self._changes:
            if not start <= change.when < end:
                continue
            triggered = change.cause.get("context_event_type") == "automation_triggered"
            if triggered:
                automation = change.cause["context_entity_id"]
                entries.append(
                    {
                        "when": _iso(change.when),
                        "name": change.cause["context_name"],
                        "message": "triggered by time",
                        "source": "time",
                        "entity_id": automation,
                        "context_id": uuid.uuid4().hex.upper()[:26],
                        "domain": "automation",
                    }
                )
            entry: dict[str, Any] = {
                "when": _iso(change.when),
                "state": change.state,
                "entity_id": change.entity_id,
                "name": self._friendly_name(change.entity_id),
            }
            if change.user_id is not None:
                entry["context_user_id"] = change.user_id
            entry.update(change.cause)
            entries.append(entry)
        return JSONResponse(entries)

    async def _automation(self, request: Request) -> Response:
        automation_id = request.path_params["automation_id"]
        if request.method == "GET":
            config = self.automations.get(automation_id)
            if config is None:
                return JSONResponse({"message": "Resource not found"}, status_code=404)
            return JSONResponse(config)
        if request.method == "DELETE":
            if automation_id not in self.automations:
                return JSONResponse({"message": "Resource not found"}, status_code=400)
            del self.automations[automation_id]
            self._after_reload(lambda: self._hide_automation(automation_id))
            return JSONResponse({"result": "ok"})
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"message": "Invalid JSON specified"}, status_code=400)
        problem = _automation_problem(body, modern=_version(self.version) >= _MODERN_SINCE)
        if problem is not None:
            return JSONResponse({"message": f"Message malformed: {problem}"}, status_code=400)
        self.automations[automation_id] = {"id": automation_id, **body}
        self._after_reload(lambda: self._show_automation(automation_id))
        return JSONResponse({"result": "ok"})

    async def _service(self, request: Request) -> Response:
        domain, service = request.path_params["domain"], request.path_params["service"]
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError:
            return JSONResponse({"message": "Data should be valid JSON."}, status_code=400)
        known = (domain == "persistent_notification" and service in ("create", "dismiss")) or (
            domain == "notify" and service in self.notify_services
        )
        if not known or not isinstance(data, dict):
            # real Home Assistant's answer to an unknown service: text, not JSON
            return PlainTextResponse("400: Bad Request", status_code=400)
        self.service_calls.append((domain, service, data))
        if domain == "persistent_notification":
            notification_id = str(data.get("notification_id") or uuid.uuid4().hex)
            if service == "dismiss":
                self.notifications.pop(notification_id, None)
            else:
                self.notifications[notification_id] = {
                    "message": data.get("message", ""),
                    "notification_id": notification_id,
                    "title": data.get("title"),
                    "created_at": datetime.now(UTC).isoformat(),
                }
        return JSONResponse([])

    async def _ai_task_generate_data(self, request: Request) -> Response:
        entities = sorted(e for e in self.states if e.startswith("ai_task."))
        # the service is registered by the ai_task integration, loaded with an AI Task entity
        if _version(self.version) < _AI_TASK_SINCE or not entities:
            return PlainTextResponse("400: Bad Request", status_code=400)
        if "return_response" not in request.query_params:
            return JSONResponse(
                {
                    "message": "Service call requires responses but caller did not ask for "
                    "responses. Add ?return_response to query parameters."
                },
                status_code=400,
            )
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return JSONResponse({"message": "Data should be valid JSON."}, status_code=400)
        if _ai_task_problem(body):
            return PlainTextResponse("400: Bad Request", status_code=400)
        entity_id = body.get("entity_id") or self.ai_task_preferred
        if entity_id is None or entity_id not in entities:
            # Home Assistant raises HomeAssistantError, which its API answers as a bare 500
            return PlainTextResponse(
                "500 Internal Server Error\n\nServer got itself in trouble", status_code=500
            )
        self.ai_task_bodies.append(body)
        self.ai_task_in_flight += 1
        self.ai_task_max_in_flight = max(self.ai_task_max_in_flight, self.ai_task_in_flight)
        try:
            if self.ai_task_latency:
                await asyncio.sleep(self.ai_task_latency)
            data = self.ai_task_answer(body)
        finally:
            self.ai_task_in_flight -= 1
        return JSONResponse(
            {
                "changed_states": [],
                "service_response": {
                    "conversation_id": uuid.uuid4().hex.upper()[:26],
                    "data": data,
                },
            }
        )

    async def _websocket(self, websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"type": "auth_required", "ha_version": self.version})
        try:
            login = await websocket.receive_json()
            if login.get("type") != "auth" or login.get("access_token") != self.token:
                await websocket.send_json(
                    {"type": "auth_invalid", "message": "Invalid access token or password"}
                )
                await websocket.close()
                return
            await websocket.send_json({"type": "auth_ok", "ha_version": self.version})
            while True:
                message = await websocket.receive_json()
                self.requests.append(RecordedRequest("WS", str(message.get("type"))))
                await websocket.send_json(self._ws_answer(message))
        except WebSocketDisconnect:
            return

    def _ws_answer(self, message: dict[str, Any]) -> dict[str, Any]:
        number, kind = message.get("id"), message.get("type")
        result: Any
        if kind == "config/entity_registry/list":
            result = list(self.entity_registry.values())
        elif kind == "config/device_registry/list":
            result = list(self.device_registry.values())
        elif kind == "config/area_registry/list":
            result = list(self.area_registry.values())
        elif kind == "config/auth/list":
            if self.users_need_admin:
                return _ws_error(number, "unauthorized", "Unauthorized")
            result = list(self.users.values())
        elif kind == "auth/current_user":
            result = self._current_user()
        elif kind == "automation/config":
            state = self.states.get(str(message.get("entity_id")))
            config = self.automations.get(str(state["attributes"].get("id"))) if state else None
            if config is None:
                return _ws_error(number, "not_found", "Entity not found")
            result = {"config": config}
        elif kind == "persistent_notification/get":
            result = list(self.notifications.values())
        elif kind == "config/label_registry/list":
            result = list(self.labels.values())
        elif kind == "config/label_registry/create":
            return self._create_label(number, message)
        elif kind and kind.startswith("config/category_registry/"):
            return self._category_command(number, kind, message)
        elif kind == "config/entity_registry/get":
            entry = self.entity_registry.get(str(message.get("entity_id")))
            if entry is None:
                return _ws_error(number, "not_found", "Entity not found")
            result = entry
        elif kind == "config/entity_registry/update":
            return self._update_entity(number, message)
        elif kind == "ai_task/preferences/get":
            # registered by the ai_task integration, which loads only with an AI Task entity
            if _version(self.version) < _AI_TASK_SINCE or not any(
                entity.startswith("ai_task.") for entity in self.states
            ):
                return _ws_error(number, "unknown_command", "Unknown command.")
            result = {"gen_data_entity_id": self.ai_task_preferred, "gen_image_entity_id": None}
        elif kind == "ping":
            return {"id": number, "type": "pong"}
        else:
            return _ws_error(number, "unknown_command", "Unknown command.")
        return {"id": number, "type": "result", "success": True, "result": result}

    def _create_label(self, number: Any, message: dict[str, Any]) -> dict[str, Any]:
        name = str(message.get("name", ""))
        label_id = _slug(name)
        if any(label["name"].casefold() == name.casefold() for label in self.labels.values()):
            return _ws_error(
                number, "invalid_info", f"The name {name} ({label_id}) is already in use"
            )
        label = {
            "color": message.get("color"),
            "description": message.get("description"),
            "icon": message.get("icon"),
            "label_id": label_id,
            "name": name,
        }
        if _version(self.version) >= _CATEGORIES_SINCE:
            now = datetime.now(UTC).timestamp()
            label.update(created_at=now, modified_at=now)
        self.labels[label_id] = label
        return {"id": number, "type": "result", "success": True, "result": label}

    def _category_command(self, number: Any, kind: str, message: dict[str, Any]) -> dict[str, Any]:
        if _version(self.version) < _CATEGORIES_SINCE:
            return _ws_error(number, "unknown_command", "Unknown command.")
        scope = message.get("scope")
        if not isinstance(scope, str):
            return _ws_error(
                number,
                "invalid_format",
                "required key not provided @ data['scope']. Got None",
            )
        in_scope = self.categories.setdefault(scope, {})
        if kind == "config/category_registry/list":
            return {
                "id": number,
                "type": "result",
                "success": True,
                "result": list(in_scope.values()),
            }
        if kind != "config/category_registry/create":
            return _ws_error(number, "unknown_command", "Unknown command.")
        name = str(message.get("name", ""))
        if any(entry["name"].casefold() == name.casefold() for entry in in_scope.values()):
            return _ws_error(number, "invalid_info", f"The name '{name}' is already in use")
        now = datetime.now(UTC).timestamp()
        category = {
            "category_id": uuid.uuid4().hex[:26].upper(),
            "created_at": now,
            "icon": message.get("icon"),
            "modified_at": now,
            "name": name,
        }
        in_scope[category["category_id"]] = category
        return {"id": number, "type": "result", "success": True, "result": category}

    def _update_entity(self, number: Any, message: dict[str, Any]) -> dict[str, Any]:
        entry = self.entity_registry.get(str(message.get("entity_id")))
        if entry is None:
            return _ws_error(number, "not_found", "Entity not found")
        if "categories" in message and _version(self.version) < _CATEGORIES_SINCE:
            return _ws_error(
                number, "invalid_format", "extra keys not allowed @ data['categories']"
            )
        for label_id in message.get("labels", []):
            if label_id not in self.labels:
                return _ws_error(number, "invalid_info", f"Label {label_id} does not exist")
        if "labels" in message:
            entry["labels"] = list(message["labels"])
        if "categories" in message:
            entry["categories"] = {**entry.get("categories", {}), **message["categories"]}
        return {"id": number, "type": "result", "success": True, "result": {"entity_entry": entry}}

    # -- helpers ---------------------------------------------------------------------------

    def _current_user(self) -> dict[str, Any]:
        """The token's user as `auth/current_user` shows it (an admin: it deploys)."""
        user = self.users.get(self.token_user_id, {})
        return {
            "id": self.token_user_id,
            "name": user.get("name", "homehabits"),
            "is_owner": user.get("is_owner", False),
            "is_admin": "system-admin" in user.get("group_ids", ["system-admin"]),
            "credentials": [{"auth_provider_type": "homeassistant", "auth_provider_id": None}],
            "mfa_modules": [{"id": "totp", "name": "Authenticator app", "enabled": False}],
        }

    async def _wait_until_healed(self) -> None:
        if self._healed is None:
            self._healed = asyncio.Event()
        healed = self._healed
        self._held += 1
        self._holding.set()
        try:
            await healed.wait()
        finally:
            self._held -= 1
            if not self._held:
                self._holding.clear()

    def _after_reload(self, apply: Any) -> None:
        if self.never_load:
            return
        asyncio.get_running_loop().call_later(self.reload_delay, apply)

    def _show_automation(self, automation_id: str) -> str:
        config = self.automations.get(automation_id)
        if config is None:
            return ""
        for entity_id, state in self.states.items():
            if (
                entity_id.startswith("automation.")
                and state["attributes"].get("id") == automation_id
            ):
                break
        else:
            entity_id = self._free_entity_id(
                "automation", str(config.get("alias") or automation_id)
            )
            self.entity_registry.setdefault(
                entity_id,
                {
                    "entity_id": entity_id,
                    "platform": "automation",
                    "unique_id": automation_id,
                    "id": uuid.uuid4().hex,
                    "name": None,
                    "original_name": config.get("alias"),
                    "device_id": None,
                    "area_id": None,
                    "disabled_by": None,
                    "has_entity_name": False,
                    "labels": [],
                    "categories": {},
                },
            )
        attributes = {
            "id": automation_id,
            "last_triggered": None,
            "mode": config.get("mode", "single"),
            "current": 0,
            "friendly_name": config.get("alias") or automation_id,
        }
        self.set_state(entity_id, "on", attributes)
        return entity_id

    def _hide_automation(self, automation_id: str) -> None:
        for entity_id, state in list(self.states.items()):
            if (
                entity_id.startswith("automation.")
                and state["attributes"].get("id") == automation_id
            ):
                del self.states[entity_id]
                self.entity_registry.pop(entity_id, None)

    def _free_entity_id(self, domain: str, name: str) -> str:
        base = f"{domain}.{_slug(name)}"
        candidate, number = base, 2
        while candidate in self.states or candidate in self.entity_registry:
            candidate, number = f"{base}_{number}", number + 1
        return candidate

    def _friendly_name(self, entity_id: str) -> str:
        state = self.states.get(entity_id)
        name = state["attributes"].get("friendly_name") if state else None
        return str(name) if name else entity_id.split(".", 1)[1].replace("_", " ")

    def _entities_seen(self) -> set[str]:
        return {change.entity_id for change in self._changes}


def _automation_problem(body: Any, *, modern: bool) -> str | None:
    """Why Home Assistant would reject an automation config, in its own words; None if fine."""
    if not isinstance(body, dict):
        return "expected a dictionary"
    allowed = _AUTOMATION_KEYS | {"trigger", "condition", "action"}
    if modern:
        allowed |= {"triggers", "conditions", "actions"}
    for key in body:
        if key not in allowed:
            return f"extra keys not allowed @ data['{key}']"
    for modern_key, legacy_key in (("triggers", "trigger"), ("actions", "action")):
        if modern_key in body and legacy_key in body:
            return f"Cannot specify both '{legacy_key}' and '{modern_key}'. Please use '{modern_key}' only."
        name = modern_key if modern else legacy_key
        if not body.get(modern_key) and not body.get(legacy_key):
            return f"required key not provided @ data['{name}']"
    triggers = body.get("triggers", body.get("trigger"))
    for number, trigger in enumerate(triggers if isinstance(triggers, list) else [triggers]):
        where = f"data['{'triggers' if modern else 'trigger'}'][{number}]"
        if not isinstance(trigger, dict):
            return f"expected a dictionary @ {where}"
        if "platform" in trigger and "trigger" in trigger:
            return f"Cannot specify both 'platform' and 'trigger'. Please use 'trigger' only. @ {where}"
        if "trigger" in trigger and not modern:
            return f"extra keys not allowed @ {where}['trigger']"
        if "platform" not in trigger and "trigger" not in trigger:
            return f"required key not provided @ {where}['{'trigger' if modern else 'platform'}']"
    actions = body.get("actions", body.get("action"))
    for number, step in enumerate(actions if isinstance(actions, list) else [actions]):
        if isinstance(step, dict) and "action" in step and not modern:
            return f"Unable to determine action @ data['action'][{number}]"
    return None


def _ai_task_problem(body: Any) -> bool:
    """Whether Home Assistant's schema of `ai_task.generate_data` refuses the data."""
    if not isinstance(body, dict):
        return True
    allowed = {"task_name", "entity_id", "instructions", "structure", "attachments"}
    if set(body) - allowed or not body.get("task_name") or not body.get("instructions"):
        return True
    entity_id = body.get("entity_id")
    if entity_id is not None and not re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", str(entity_id)):
        return True
    structure = body.get("structure", {})
    if not isinstance(structure, dict):
        return True
    for spec in structure.values():
        if not isinstance(spec, dict) or not isinstance(spec.get("selector"), dict):
            return True
        if set(spec) - {"description", "required", "selector"}:
            return True
    return False


def _ai_task_words(body: dict[str, Any]) -> dict[str, Any]:
    """What a polite AI Task answers: the reference words of the facts in the instructions."""
    facts = ai_task_facts(body)
    reference = facts.get("reference_words") or {}
    return {
        "title": reference.get("title") or "A habit worth automating",
        "description": reference.get("description") or "Does what you usually do by hand.",
        "rationale": "From your history: " + (reference.get("rationale") or "a steady habit."),
    }


def ai_task_facts(body: dict[str, Any]) -> dict[str, Any]:
    """The facts block of a task's instructions, as data (empty when there is none)."""
    found = re.search(r"<<<FACTS\n(.*?)\nFACTS>>>", str(body.get("instructions", "")), re.DOTALL)
    if not found:
        return {}
    try:
        facts = json.loads(found.group(1))
    except ValueError:
        return {}
    return facts if isinstance(facts, dict) else {}


def _history_state(change: _Change, *, at: datetime | None = None) -> dict[str, Any]:
    moment = _iso(at or change.when)
    return {
        "entity_id": change.entity_id,
        "state": change.state,
        "attributes": change.attributes,
        "last_changed": moment,
        "last_updated": moment,
    }


def _period(request: Request) -> tuple[datetime | None, datetime | None]:
    start = _parse(request.path_params["start"])
    end_text = request.query_params.get("end_time")
    end = _parse(end_text) if end_text else None
    if start is not None and end_text is None:
        end = start + timedelta(days=1)  # Home Assistant's default period
    return start, end


def _parse(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _version(text: str) -> tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "unnamed"


def _ws_error(number: Any, code: str, message: str) -> dict[str, Any]:
    return {
        "id": number,
        "type": "result",
        "success": False,
        "error": {"code": code, "message": message},
    }
