"""The OpenAI-compatible writer: Chat Completions with bounded concurrency, retries and fallbacks.

Retries are the OpenAI SDK's own (`max_retries`): it tries again after 408, 409, 429 and 5xx
answers and lost connections, waits what a server's Retry-After asks (else an exponential
backoff with jitter). Every HTTP call it makes, retries included, passes through one
`_CountedCalls` transport, which counts it for the run record and gives it our deadline.

Any server that speaks OpenAI's Chat Completions works through `base_url`:

- OpenAI: `https://api.openai.com/v1`
- Azure OpenAI: `https://<resource>.openai.azure.com/openai/v1` (the v1 API), with the
  resource's key as `api_key` and the *deployment* name as `model`
- Ollama: `http://localhost:11434/v1`; vLLM: `http://localhost:8000/v1`;
  LM Studio: `http://localhost:1234/v1` (no key needed for these)
- OpenRouter: `https://openrouter.ai/api/v1`
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, cast

import httpx
import openai
from openai import AsyncOpenAI

from homehabits.automations.draft import Draft
from homehabits.config import Settings
from homehabits.context import HomeContext
from homehabits.exceptions import ConfigError, ModelResponseError, WriterError
from homehabits.writers.answers import checked_words, log_unusable
from homehabits.writers.prompt import RESPONSE_SCHEMA, build_messages
from homehabits.writers.words import Words

__all__ = ["ModelConfig", "ModelWriter"]

_LOGGER = logging.getLogger(__name__)

# what the server is asked to shape its answer as, most precise first
_FORMATS: Final[tuple[dict[str, Any] | None, ...]] = (
    {"type": "json_schema", "json_schema": RESPONSE_SCHEMA},
    {"type": "json_object"},
    None,
)


@dataclass(frozen=True)
class ModelConfig:
    """How to reach an OpenAI-compatible model, how hard to push it and what it costs."""

    base_url: str
    api_key: str | None
    model: str
    concurrent_limit: int = 5
    timeout_seconds: float = 30.0
    phase_deadline_seconds: float = 300.0
    max_retries: int = 3
    price_in_per_million: float = 0.0
    price_out_per_million: float = 0.0

    def __post_init__(self) -> None:
        """Refuse limits that would stall or flood the writer."""
        if self.concurrent_limit < 1:
            raise ConfigError(f"concurrent_limit must be at least 1, not {self.concurrent_limit}")
        if self.max_retries < 0:
            raise ConfigError(f"max_retries must be 0 or more, not {self.max_retries}")

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelConfig | None:
        """The model of the settings, or None when no model is configured."""
        if not settings.model_enabled or not settings.openai_base_url or not settings.openai_model:
            return None
        prices = settings.openai_prices.get(settings.openai_model, {})
        return cls(
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key,
            model=settings.openai_model,
            concurrent_limit=settings.openai_concurrent_limit,
            timeout_seconds=settings.openai_timeout_seconds,
            phase_deadline_seconds=settings.openai_phase_deadline_seconds,
            max_retries=settings.openai_max_retries,
            price_in_per_million=prices.get("input", 0.0),
            price_out_per_million=prices.get("output", 0.0),
        )

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        """What so many tokens cost, in the currency of the prices."""
        return (
            tokens_in * self.price_in_per_million + tokens_out * self.price_out_per_million
        ) / 1_000_000


class ModelWriter:
    """One run's conversation with the model: shared limit, shared knowledge of the server.

    Every draft's request, the SDK's retries of it included, waits for the one semaphore, so
    at most `concurrent_limit` calls are in flight and a slow call holds only its own slot.
    """

    def __init__(
        self, config: ModelConfig, *, http_client: httpx.AsyncClient | None = None
    ) -> None:
        """A writer for one run; pass `http_client` to route the calls (tests, proxies)."""
        self.config = config
        self.calls = 0
        self.tokens_in = 0
        self.tokens_out = 0
        self.cost = 0.0
        self._http_client = http_client
        # made at the first call: a run served from the cache never pays for the TLS setup
        self._client: AsyncOpenAI | None = None
        self._own_http: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(config.concurrent_limit)
        self._format = 0  # index into _FORMATS: what this server has accepted so far

    async def aclose(self) -> None:
        """Close the HTTP clients made here; a lent one stays open for its owner."""
        if self._client is not None:
            await self._client.close()
        if self._own_http is not None:
            await self._own_http.aclose()

    def _sdk(self) -> AsyncOpenAI:
        if self._client is None:
            sender = self._http_client
            if sender is None:
                self._own_http = sender = httpx.AsyncClient(
                    timeout=self.config.timeout_seconds, follow_redirects=True
                )
            counted = _CountedCalls(sender, self.config.timeout_seconds, self._count_call)
            self._client = AsyncOpenAI(
                base_url=self.config.base_url,
                api_key=self.config.api_key or "not-needed",
                timeout=self.config.timeout_seconds,
                max_retries=self.config.max_retries,
                http_client=cast(Any, httpx.AsyncClient(transport=counted)),
            )
        return self._client

    def _count_call(self) -> None:
        self.calls += 1

    async def write(self, draft: Draft, context: HomeContext, reference: Words) -> Words:
        """The model's words for one draft, checked; raises WriterError when they cannot be used."""
        messages = build_messages(draft, context, reference)
        try:
            completion = await self._complete(messages)
            tokens_in, tokens_out = _usage(completion)
        except ModelResponseError as err:
            log_unusable("the model's", draft, err)
            raise
        return checked_words(
            _text_of(completion),
            draft,
            context,
            reference,
            who="the model's",
            author=self.config.model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost=self.config.cost(tokens_in, tokens_out),
        )

    async def _complete(self, messages: list[dict[str, str]]) -> Any:
        while True:
            try:
                return await self._call(messages)
            except _FormatRefusedError:
                continue  # asked again at once, in the next format: not a retry
            except (openai.RateLimitError, openai.InternalServerError) as err:
                raise WriterError(
                    f"the model answered {err.status_code} {_tries(err)} times: {_reason(err)}"
                ) from err
            except (openai.APITimeoutError, _NoAnswerInTimeError) as err:
                raise WriterError(self._timed_out()) from err
            except openai.APIConnectionError as err:
                raise WriterError(f"the model could not be reached: {err}") from err
            except openai.APIStatusError as err:
                raise WriterError(
                    f"the model refused the request ({err.status_code}): {_reason(err)}"
                ) from err

    async def _call(self, messages: list[dict[str, str]]) -> Any:
        async with self._slots:
            # chosen once the slot is ours, so a refusal learnt meanwhile is not repeated
            level = self._format
            request: dict[str, Any] = {"model": self.config.model, "messages": messages}
            if _FORMATS[level] is not None:
                request["response_format"] = _FORMATS[level]
            try:
                completion = await self._sdk().chat.completions.create(**request)
            except ValueError as err:  # the SDK could not decode the body (JSONDecodeError)
                raise ModelResponseError(
                    f"the model's server answered with a body that is not JSON ({err})"
                ) from None
            except openai.BadRequestError as err:
                if level + 1 < len(_FORMATS) and _about_response_format(err):
                    # remembered for the rest of the run: later calls skip the refused format
                    self._format = max(self._format, level + 1)
                    raise _FormatRefusedError from err
                raise
        tokens_in, tokens_out = _usage(completion)
        self.tokens_in += tokens_in
        self.tokens_out += tokens_out
        self.cost += self.config.cost(tokens_in, tokens_out)
        return completion

    def _timed_out(self) -> str:
        return f"the model did not answer within {self.config.timeout_seconds:g} s"


def _text_of(completion: Any) -> str | None:
    """The answer's text, whatever the server sent in place of a chat completion."""
    try:
        choices = completion.choices
        return choices[0].message.content if choices else None
    except (AttributeError, IndexError, KeyError, TypeError):
        raise ModelResponseError(
            f"the model's server did not answer with a chat completion: {str(completion)[:120]!r}"
        ) from None


class _FormatRefusedError(Exception):
    """The server refused the answer format asked for; the next one is to be tried."""


def _usage(completion: Any) -> tuple[int, int]:
    usage = getattr(completion, "usage", None)
    if usage is None:
        return 0, 0
    return int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)


def _about_response_format(err: openai.BadRequestError) -> bool:
    said = f"{err.message} {err.body}".lower()
    return any(word in said for word in ("response_format", "json_schema", "json_object"))


def _reason(err: openai.APIStatusError) -> str:
    return str(err.message)[:200]


def _tries(err: openai.APIStatusError) -> int:
    """How many times the SDK sent the request that finally failed (it says so in a header)."""
    told = err.response.request.headers.get("x-stainless-retry-count", "")
    return int(told) + 1 if told.isdigit() else 1


class _NoAnswerInTimeError(Exception):
    """One HTTP call got no answer within the timeout; not an httpx error, so not retried."""


class _CountedCalls(httpx.AsyncBaseTransport):
    """The one door of every HTTP call to the model: counted, and given our deadline.

    The SDK's own timeout is not enforced by every transport (ASGI): ours is, on each call.
    A call without an answer in time is not tried again (a hung server would only hang again),
    so the timeout is raised as an error the SDK does not retry.
    """

    def __init__(
        self, sender: httpx.AsyncClient, timeout: float, on_call: Callable[[], None]
    ) -> None:
        self._sender = sender
        self._timeout = timeout
        self._on_call = on_call

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request through the sending client and read its whole answer in time."""
        self._on_call()
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._sender.send(request, stream=True)
                try:
                    # raw bytes: the headers still say how they are encoded
                    body = b"".join([chunk async for chunk in response.aiter_raw()])
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException) as err:
            raise _NoAnswerInTimeError from err
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=body,
            extensions={"http_version": response.extensions.get("http_version", b"HTTP/1.1")},
        )
