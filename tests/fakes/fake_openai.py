"""A fake OpenAI-compatible Chat Completions server, for tests and the writer benchmark.

Run it on 127.0.0.1 in a background thread::

    with FakeOpenAIServer(latency=0.2, fault_rate=0.1) as server:
        config = ModelConfig(base_url=server.base_url, api_key=None, model="fake")

or in-process, with no socket, through `server.http_client()` (an httpx.AsyncClient on an
ASGITransport) and `IN_PROCESS_BASE_URL`. It counts requests and the most it had in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Sequence
from enum import StrEnum
from types import TracebackType
from typing import Any, Final

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["IN_PROCESS_BASE_URL", "FakeMode", "FakeOpenAIServer", "default_answer", "facts_of"]

IN_PROCESS_BASE_URL: Final = "http://fake-openai.invalid/v1"

_JSON: Final = "application/json"
_FACTS = re.compile(r"<<<FACTS\s*(\{.*\})\s*FACTS>>>", re.DOTALL)


class FakeMode(StrEnum):
    """How the fake answers a request that is not a fault."""

    VALID = "valid"  # the JSON words, as the content
    FENCED = "fenced"  # the JSON words in a ```json fence, with prose around
    MALFORMED = "malformed"  # something that is not JSON
    REJECT_JSON_SCHEMA = "reject_json_schema"  # 400 for response_format json_schema
    REJECT_RESPONSE_FORMAT = "reject_response_format"  # 400 for any response_format
    HANG = "hang"  # never answers (until the server stops)
    GARBAGE = "garbage"  # 200 with a body that is not JSON at all (a broken proxy)
    NO_CHOICES = "no_choices"  # 200 with JSON that is not a chat completion


Answer = Callable[[dict[str, Any]], dict[str, Any]]


class _Server(uvicorn.Server):
    """uvicorn's server, telling the starting thread when it listens (or has given up)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()

    def serve_once(self) -> None:
        """Serve until told to exit; a server that could not start still sets `ready`."""
        try:
            self.run()
        finally:
            self.ready.set()


class FakeOpenAIServer:
    """An OpenAI-compatible Chat Completions server with settable latency, faults and modes."""

    def __init__(
        self,
        *,
        latency: float = 1.5,
        fault_rate: float = 0.0,
        mode: FakeMode = FakeMode.VALID,
        seed: int = 0,
        retry_after: float = 1.0,
        faults: Sequence[int] = (),
        latency_for: Callable[[str], float | None] | None = None,
        answer: Answer | None = None,
    ) -> None:
        """A server not yet listening; `faults` are statuses to answer first, in order."""
        self.latency = latency
        self.fault_rate = fault_rate
        self.mode = mode
        self.retry_after = retry_after
        self.latency_for = latency_for
        self.answer = answer or default_answer
        self._random = random.Random(seed)
        self._scripted = list(faults)
        self._ids = itertools.count(1)
        self._closing = threading.Event()
        # the loops and events of the requests that hang: stop() wakes them from its thread
        self._hanging: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._hanging_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = IN_PROCESS_BASE_URL
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
            ]
        )
        self.reset()

    def reset(self) -> None:
        """Set every counter back to zero."""
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.faults_sent = 0
        self.received: list[dict[str, Any]] = []  # request bodies, in arrival order
        self.completed: list[str] = []  # the user message of each answered request, in order

    def fail_next(self, *statuses: int) -> None:
        """Answer the next requests with these HTTP statuses (429 carries Retry-After)."""
        self._scripted.extend(statuses)

    def http_client(self) -> httpx.AsyncClient:
        """An httpx client that reaches this server in-process, without a socket."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app))

    # --- serving in a thread ---------------------------------------------------------------

    def start(self) -> str:
        """Listen on 127.0.0.1 on a free port; returns the base_url (…/v1)."""
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = server = _Server(config)
        self._thread = threading.Thread(target=server.serve_once, name="fake-openai", daemon=True)
        self._thread.start()
        if not server.ready.wait(timeout=10) or not server.started:
            raise RuntimeError("the fake OpenAI server did not start")
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    def stop(self) -> None:
        """Stop listening; hanging requests are let go."""
        self._closing.set()
        with self._hanging_lock:
            hanging = list(self._hanging)
        for loop, released in hanging:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nothing waits
                loop.call_soon_threadsafe(released.set)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        """Start the server for the `with` block."""
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()

    # --- the API ---------------------------------------------------------------------------

    async def _models(self, request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        self.requests += 1
        self.received.append(body)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        user_text = _user_text(body)
        try:
            fault = self._fault()
            if fault is not None:
                self.faults_sent += 1
                return self._error(fault)
            refused = self._refused_format(body.get("response_format"))
            if refused is not None:
                return refused
            await self._wait(user_text)
            content = self._content(self.answer(body))
            if self.mode is FakeMode.GARBAGE:
                return Response(b'{"id": "chatcmpl-x", "choices": [<html>', media_type=_JSON)
            if self.mode is FakeMode.NO_CHOICES:
                return JSONResponse({"id": "chatcmpl-x", "choices": "none today"})
            return JSONResponse(self._completion(body, content))
        finally:
            self.in_flight -= 1
            self.completed.append(user_text)

    def _fault(self) -> int | None:
        if self._scripted:
            return self._scripted.pop(0)
        if self.fault_rate > 0 and self._random.random() < self.fault_rate:
            return self._random.choice((429, 500))
        return None

    def _error(self, status: int) -> JSONResponse:
        headers: dict[str, str] = {}
        if status == 429:
            headers["Retry-After"] = f"{self.retry_after:g}"
            message, kind = "Rate limit reached, try again later.", "rate_limit_exceeded"
        else:
            message, kind = "The server had an error while processing your request.", "server_error"
        return JSONResponse(
            {"error": {"message": message, "type": kind, "param": None, "code": None}},
            status_code=status,
            headers=headers,
        )

    def _refused_format(self, response_format: Any) -> JSONResponse | None:
        kind = response_format.get("type") if isinstance(response_format, dict) else None
        refuses = (self.mode is FakeMode.REJECT_JSON_SCHEMA and kind == "json_schema") or (
            self.mode is FakeMode.REJECT_RESPONSE_FORMAT and kind is not None
        )
        if not refuses:
            return None
        message = f"Invalid parameter: 'response_format' of type '{kind}' is not supported."
        return JSONResponse(
            {
                "error": {
                    "message": message,
                    "type": "invalid_request_error",
                    "param": "response_format",
                    "code": None,
                }
            },
            status_code=400,
        )

    async def _wait(self, user_text: str) -> None:
        if self.mode is FakeMode.HANG:
            await self._hang()
            return
        chosen = self.latency_for(user_text) if self.latency_for else None
        await asyncio.sleep(self.latency if chosen is None else chosen)

    async def _hang(self) -> None:
        """Wait until stop() lets the request go (or the client gives up)."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._hanging_lock:
            self._hanging.add(waiter)
        try:
            # checked after registering, so a stop() in between cannot be missed
            if not self._closing.is_set():
                await waiter[1].wait()
        finally:
            with self._hanging_lock:
                self._hanging.discard(waiter)

    def _content(self, words: dict[str, Any]) -> str:
        text = json.dumps(words, ensure_ascii=False)
        if self.mode is FakeMode.FENCED:
            return f"Sure! Here are the words you asked for:\n```json\n{text}\n```\nHope it helps."
        if self.mode is FakeMode.MALFORMED:
            return "Title: " + str(words.get("title", "")) + " (I could not produce JSON"
        return text

    def _completion(self, body: dict[str, Any], content: str) -> dict[str, Any]:
        prompt = sum(len(str(message.get("content", ""))) for message in body.get("messages", []))
        prompt_tokens = max(1, prompt // 4)
        completion_tokens = max(1, len(content) // 4)
        return {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


def default_answer(body: dict[str, Any]) -> dict[str, Any]:
    """Words made from the facts' reference words, as a polite model would rephrase them."""
    facts = facts_of(body)
    reference = facts.get("reference_words") or {}
    return {
        "title": reference.get("title") or "A habit worth automating",
        "description": reference.get("description") or "Does what you usually do by hand.",
        "rationale": "From your history: " + (reference.get("rationale") or "a steady habit."),
        "category": facts.get("category") or "convenience",
    }


def facts_of(body: dict[str, Any]) -> dict[str, Any]:
    """The facts block of a request's user message, as data (empty when there is none)."""
    found = _FACTS.search(_user_text(body))
    if not found:
        return {}
    try:
        facts = json.loads(found.group(1))
    except ValueError:
        return {}
    return facts if isinstance(facts, dict) else {}


def _user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            return str(message.get("content", ""))
    return ""
