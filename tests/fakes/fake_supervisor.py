"""A fake Home Assistant Supervisor: the Core API proxy at /core and the ingress proxy.

`/core/api/...` is the fake Home Assistant (it takes the add-on's SUPERVISOR_TOKEN), as
`http://supervisor/core` is inside an add-on. `/api/hassio_ingress/<token>/<path>` forwards to
the add-on like the Supervisor's ingress: from its own address (PROXY_ADDRESS, another
loopback address here), with X-Ingress-Path and the signed-in user's X-Remote-User-* headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from tests.fakes.fake_home_assistant import FakeHomeAssistant

__all__ = ["PROXY_ADDRESS", "FakeSupervisor", "IngressUser"]

#: Where the fake ingress proxy connects from (the real one is 172.30.32.2).
PROXY_ADDRESS = "127.0.0.2"

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "upgrade", "content-length", "host"}
)


@dataclass
class IngressUser:
    """The Home Assistant user the fake Supervisor says is signed in."""

    id: str = "8f2c4e1a9b7d4c3e"
    name: str = "ada"
    display_name: str = "Ada Lovelace"


@dataclass
class FakeSupervisor:
    """The Supervisor as an add-on sees it; set `addon_url` once the add-on listens."""

    home_assistant: FakeHomeAssistant
    ingress_token: str = "Xk3b9QeZr7TfLm2pWs5vYc8dNh4jGa6u"
    user: IngressUser | None = field(default_factory=IngressUser)
    addon_url: str = ""
    forwarded: list[str] = field(default_factory=list)

    @property
    def ingress_path(self) -> str:
        """The prefix the add-on's page lives under."""
        return f"/api/hassio_ingress/{self.ingress_token}"

    @property
    def app(self) -> Starlette:
        """The ASGI app to serve."""
        return Starlette(
            routes=[
                Mount("/core", app=self.home_assistant.app),
                Route("/hassio/ingress/homehabits", self._frontend),
                Route(
                    "/api/hassio_ingress/{token}/{path:path}",
                    self._ingress,
                    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                ),
            ]
        )

    async def _frontend(self, request: Request) -> Response:
        # Home Assistant's frontend shows the add-on's page in an iframe, same origin
        return HTMLResponse(
            f'<!doctype html><title>Home Assistant</title><iframe src="{self.ingress_path}/" '
            'style="width:100%;height:800px"></iframe>'
        )

    async def _ingress(self, request: Request) -> Response:
        if request.path_params["token"] != self.ingress_token:
            return PlainTextResponse("401: Unauthorized", status_code=401)
        path = request.path_params["path"]
        self.forwarded.append(f"{request.method} /{path}")
        headers = {
            key: value for key, value in request.headers.items() if key.lower() not in _HOP_BY_HOP
        }
        headers["X-Ingress-Path"] = self.ingress_path
        if self.user is not None:
            headers["X-Remote-User-Id"] = self.user.id
            headers["X-Remote-User-Name"] = self.user.name
            headers["X-Remote-User-Display-Name"] = self.user.display_name
        transport = httpx.AsyncHTTPTransport(local_address=PROXY_ADDRESS)
        async with httpx.AsyncClient(transport=transport, timeout=30) as client:
            answer = await client.request(
                request.method,
                f"{self.addon_url}/{path}",
                params=request.query_params,
                content=await request.body(),
                headers=headers,
            )
        kept = [
            (key, value)
            for key, value in answer.headers.multi_items()
            if key.lower() not in _HOP_BY_HOP | {"content-encoding"}
        ]
        response = Response(answer.content, status_code=answer.status_code)
        for key, value in kept:
            response.headers.append(key, value)
        return response
