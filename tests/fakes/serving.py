"""Two ways to reach an ASGI app in tests: a real uvicorn server in a thread, or in process."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from websockets.exceptions import ConnectionClosedOK

__all__ = ["InProcessWebSocket", "in_process_websocket", "serve_in_thread"]


def serve_in_thread(app: Any, port: int = 0) -> tuple[str, Any]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 in a thread; returns (base_url, stop)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fake-home-assistant", daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    else:
        server.should_exit = True
        raise RuntimeError("the fake Home Assistant did not start within 5 s")
    bound_port = server.servers[0].sockets[0].getsockname()[1]

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return f"http://127.0.0.1:{bound_port}", stop


class InProcessWebSocket:
    """A WebSocket client talking to an ASGI app in the same event loop."""

    def __init__(self) -> None:
        self.to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send(self, message: str) -> None:
        """Send one text message to the app."""
        await self.to_app.put({"type": "websocket.receive", "text": message})

    async def recv(self) -> str | bytes:
        """The next message the app sent; raises ConnectionClosedOK once it closed."""
        while True:
            event = await self.from_app.get()
            if event["type"] == "websocket.send":
                text = event.get("text")
                return text if text is not None else bytes(event.get("bytes") or b"")
            if event["type"] == "websocket.close":
                raise ConnectionClosedOK(None, None)


@asynccontextmanager
async def in_process_websocket(app: Any, url: str) -> AsyncIterator[InProcessWebSocket]:
    """Open an ASGI app's WebSocket route in the running event loop, without a server."""
    parts = urlsplit(url)
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": parts.scheme,
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(b"host", (parts.netloc or "testserver").encode())],
        "client": ("127.0.0.1", 50000),
        "server": (parts.hostname or "testserver", parts.port or 80),
        "subprotocols": [],
    }
    socket = InProcessWebSocket()
    await socket.to_app.put({"type": "websocket.connect"})
    task = asyncio.create_task(app(scope, socket.to_app.get, socket.from_app.put))
    try:
        yield socket
    finally:
        await socket.to_app.put({"type": "websocket.disconnect", "code": 1000})
        try:
            await asyncio.wait_for(task, timeout=5)
        except TimeoutError:
            task.cancel()
