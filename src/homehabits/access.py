"""Who may use the service: the API token, compared in constant time, the sign-in cookie, and
Home Assistant's ingress (only its proxy may connect; it names the signed-in user).

Shared by the API (which takes the token as a bearer header or the cookie) and the review page
(whose sign-in form sets the cookie), so neither imports the other.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from homehabits.store.history import REVIEWER

__all__ = [
    "INGRESS_SCOPE_KEY",
    "TOKEN_COOKIE",
    "Ingress",
    "IngressGate",
    "IngressUser",
    "ingress_of",
    "token_matches",
]

#: The HttpOnly cookie the review page's sign-in form sets.
TOKEN_COOKIE = "homehabits_token"
#: Where the ingress gate leaves what it learnt of a request, in the ASGI scope.
INGRESS_SCOPE_KEY = "homehabits.ingress"

# the Supervisor's prefix is /api/hassio_ingress/<token>; anything else in the header is not
# trusted into a link (it would be an open redirect, or markup in an attribute)
_INGRESS_PATH = re.compile(r"/api/hassio_ingress/[A-Za-z0-9_\-]{1,128}")
_MOST_NAME = 100

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def token_matches(given: str | None, expected: str) -> bool:
    """Whether a presented token is the API token, compared in constant time."""
    if not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True, slots=True)
class IngressUser:
    """The Home Assistant user the Supervisor signed in, from its X-Remote-User-* headers."""

    id: str
    name: str
    display_name: str

    @property
    def label(self) -> str:
        """The user as the page shows them: their display name, else their user name."""
        return self.display_name or self.name or self.id

    @property
    def reviewer(self) -> str:
        """The user as the review history records them: the name and the stable id."""
        return f"{self.label} ({self.id})" if self.id and self.label != self.id else self.label


@dataclass(frozen=True, slots=True)
class Ingress:
    """One request through ingress: the path prefix its links take, and who sent it."""

    base: str
    user: IngressUser | None


def ingress_of(scope: Mapping[str, Any]) -> Ingress | None:
    """What the ingress gate found for this request; None outside ingress."""
    found = scope.get(INGRESS_SCOPE_KEY)
    return found if isinstance(found, Ingress) else None


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name, "").strip()
    return value[:_MOST_NAME] if value.isprintable() else ""


def _read_ingress(raw_headers: list[tuple[bytes, bytes]]) -> Ingress:
    headers = {
        key.decode("latin-1").lower(): value.decode("utf-8", "replace")
        for key, value in raw_headers
    }
    path = headers.get("x-ingress-path", "").strip().rstrip("/")
    base = path if _INGRESS_PATH.fullmatch(path) else ""
    user_id = _header(headers, "x-remote-user-id")
    name = _header(headers, "x-remote-user-name")
    display = _header(headers, "x-remote-user-display-name")
    user = IngressUser(user_id, name, display) if user_id or name or display else None
    return Ingress(base=base, user=user)


class IngressGate:
    """ASGI middleware for ingress: only the Supervisor's proxy gets in; it names the user.

    Every other address is refused with 403 before any route runs. The user it names is
    recorded as the reviewer of whatever the request changes.
    """

    def __init__(self, app: ASGIApp, proxy: str) -> None:
        self._app = app
        self._proxy = proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse, or pass the request on with what ingress said about it."""
        if scope["type"] not in {"http", "websocket"}:
            await self._app(scope, receive, send)
            return
        client = scope.get("client")
        host = client[0] if client else ""
        # the container's own health check asks from inside; nothing else but the proxy
        own_check = scope["type"] == "http" and scope.get("path") == "/health" and _loopback(host)
        if host != self._proxy and not own_check:
            await _refuse(scope, send)
            return
        ingress = _read_ingress(list(scope.get("headers") or []))
        scope[INGRESS_SCOPE_KEY] = ingress
        # the review library writes the history far from the request; a context variable
        # carries the reviewer there without every door taking one more argument
        reviewer = REVIEWER.set(ingress.user.reviewer if ingress.user else None)
        try:
            await self._app(scope, receive, send)
        finally:
            REVIEWER.reset(reviewer)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _refuse(scope: Scope, send: Send) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = b"homehabits runs behind Home Assistant's ingress: open it from the sidebar.\n"
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
