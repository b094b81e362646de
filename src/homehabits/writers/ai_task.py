"""Home Assistant's own AI Task as the writer: `ai_task.generate_data` with a structured output.

Home Assistant 2025.8 and later route a task to the AI Task entity the owner set up (OpenAI,
Google, Ollama … configured in Home Assistant): homehabits needs no API key of its own. The
rules are the model writer's: the facts are data in the instructions, never instructions;
the answer is read and checked like a model's (`prompt.read_answer`, `checks.check_answer`);
at most `concurrent_limit` tasks are in flight. The call itself goes through
`homehabits.homeassistant`, which speaks to Home Assistant for every package.

Support is looked at once per run, at the first draft the cache cannot answer (`find_ai_task`,
which `homehabits check` shows too): a Home Assistant before 2025.8, one without an `ai_task.*`
entity (or without the chosen one), or one whose entities have none preferred while none is
chosen, gives every draft template words and the run one warning.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, Protocol

from homehabits.automations.dialects import parse_version
from homehabits.automations.draft import Draft
from homehabits.config import Settings
from homehabits.context import HomeContext
from homehabits.exceptions import (
    ConfigError,
    HomeAssistantError,
    ModelResponseError,
    WriterError,
)
from homehabits.writers.answers import checked_words
from homehabits.writers.prompt import (
    DESCRIPTION_MAX,
    RATIONALE_MAX,
    TITLE_MAX,
    build_messages,
)
from homehabits.writers.words import Words

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homehabits.homeassistant.records import HaConfig, HaState

__all__ = [
    "AI_TASK_SINCE",
    "STRUCTURE",
    "AiTaskClient",
    "AiTaskConfig",
    "AiTaskSupport",
    "AiTaskUnavailableError",
    "AiTaskWriter",
    "find_ai_task",
]

_LOGGER = logging.getLogger(__name__)

#: The first Home Assistant release with AI Task.
AI_TASK_SINCE: Final = (2025, 8)

_TASK_NAME: Final = "homehabits suggestion words"

#: The structured output asked for, in the selectors `ai_task.generate_data` takes.
STRUCTURE: Final[dict[str, Any]] = {
    "title": {
        "description": f"The suggestion's title, at most {TITLE_MAX} characters.",
        "required": True,
        "selector": {"text": {}},
    },
    "description": {
        "description": f"What the automation does, one or two sentences, at most "
        f"{DESCRIPTION_MAX} characters.",
        "required": True,
        "selector": {"text": {"multiline": True}},
    },
    "rationale": {
        "description": f"The evidence, as the counted facts say it, one or two sentences, "
        f"at most {RATIONALE_MAX} characters.",
        "required": True,
        "selector": {"text": {"multiline": True}},
    },
}


class AiTaskClient(Protocol):
    """What the writer needs of Home Assistant (a `HomeAssistantClient` has all of it)."""

    async def get_config(self) -> HaConfig:
        """The home's version, among others."""
        ...

    async def get_states(self) -> list[HaState]:
        """Every entity's current state."""
        ...

    async def get_ai_task_preferred_entity(self) -> str | None:
        """The AI Task entity preferred in Home Assistant's settings, if any."""
        ...

    async def generate_data(
        self,
        task_name: str,
        instructions: str,
        structure: Mapping[str, Any],
        entity_id: str | None = None,
    ) -> dict[str, Any]:
        """AI Task's service response."""
        ...

    async def aclose(self) -> None:
        """Close the connections."""
        ...


@dataclass(frozen=True)
class AiTaskConfig:
    """How to reach Home Assistant's AI Task, and how hard to push it."""

    ha_url: str
    ha_token: str = field(repr=False)
    entity_id: str | None = None  # None: the entity preferred in Home Assistant
    concurrent_limit: int = 5
    timeout_seconds: float = 30.0  # per task, Home Assistant's retries of it included
    phase_deadline_seconds: float = 300.0
    retries: int = 3
    backoff: float = 0.5
    # chosen by default (the add-on), not by the owner: a home without AI Task is no warning
    quiet_when_missing: bool = False

    def __post_init__(self) -> None:
        """Refuse limits that would stall or flood the writer."""
        if self.concurrent_limit < 1:
            raise ConfigError(f"concurrent_limit must be at least 1, not {self.concurrent_limit}")

    @property
    def model(self) -> str:
        """Who writes: the chosen entity, or `ai_task` for Home Assistant's preferred one."""
        return self.entity_id or "ai_task"

    @classmethod
    def from_settings(cls, settings: Settings) -> AiTaskConfig | None:
        """The AI Task of the settings, or None when it is not chosen."""
        if not settings.ai_task_enabled or not settings.ha_url or not settings.ha_token:
            return None
        return cls(
            ha_url=settings.ha_url,
            ha_token=settings.ha_token,
            entity_id=settings.ai_task_entity,
            # the same limits as the OpenAI-compatible model's: one setting per idea
            concurrent_limit=settings.openai_concurrent_limit,
            timeout_seconds=settings.openai_timeout_seconds,
            phase_deadline_seconds=settings.openai_phase_deadline_seconds,
            retries=settings.openai_max_retries,
            quiet_when_missing=settings.ai_task_if_available,
        )


@dataclass(frozen=True, slots=True)
class AiTaskSupport:
    """What one Home Assistant offers the AI Task writer, and which entity would write."""

    ha_version: str
    entities: tuple[str, ...] = ()  # the home's ai_task.* entities
    chosen: str | None = None  # HOMEHABITS_AI_TASK_ENTITY
    preferred: str | None = None  # the one preferred in Home Assistant's settings
    problem: str | None = None  # why the words would be the template's; None: AI Task writes

    @property
    def entity(self) -> str | None:
        """The AI Task entity that would write the words; None when none can."""
        if self.problem is not None:
            return None
        return self.chosen or self.preferred


async def find_ai_task(client: AiTaskClient, chosen: str | None) -> AiTaskSupport:
    """Whether this Home Assistant can write the words, and with which entity.

    The writer asks once per run; `homehabits check` asks the same to tell the owner.
    """
    version = (await client.get_config()).version
    parsed = parse_version(version)
    if parsed is None or parsed < AI_TASK_SINCE:
        return AiTaskSupport(
            version,
            chosen=chosen,
            problem=f"Home Assistant {version} has no AI Task (it came with 2025.8): "
            "the words are the template's",
        )
    entities = tuple(
        sorted(
            state.entity_id
            for state in await client.get_states()
            if state.entity_id.startswith("ai_task.")
        )
    )
    found = AiTaskSupport(version, entities, chosen)
    if chosen is not None:
        if chosen in entities:
            return found
        known = f" (it has {', '.join(entities)})" if entities else ""
        return replace(
            found,
            problem=f"Home Assistant has no AI Task entity {chosen}{known}: "
            "the words are the template's; check HOMEHABITS_AI_TASK_ENTITY",
        )
    if not entities:
        return replace(
            found,
            problem=f"Home Assistant {version} has no AI Task entity: the words are the "
            "template's (add an AI Task to an AI integration in Home Assistant, or set "
            "HOMEHABITS_WRITER=template)",
        )
    preferred = await client.get_ai_task_preferred_entity()
    found = replace(found, preferred=preferred)
    if preferred is None or preferred not in entities:
        # Home Assistant refuses a task that names no entity when none is preferred
        return replace(
            found,
            problem=f"Home Assistant has AI Task entities ({', '.join(entities)}) but none is "
            "preferred: the words are the template's; choose the preferred one in Home "
            "Assistant's settings (System → General) or set HOMEHABITS_AI_TASK_ENTITY",
        )
    return found


class AiTaskUnavailableError(WriterError):
    """This Home Assistant cannot run the task: every draft gets template words.

    `expected` is True when that is how the home is (too old, no AI Task entity): one warning;
    False when something failed (Home Assistant unreachable while asked): one error.
    """

    def __init__(self, message: str, *, expected: bool) -> None:
        super().__init__(message)
        self.expected = expected


class AiTaskWriter:
    """One run's tasks for Home Assistant's AI Task: support looked at once, shared limit."""

    def __init__(self, config: AiTaskConfig, *, client: AiTaskClient | None = None) -> None:
        """A writer for one run; pass `client` to route the calls (tests)."""
        self.config = config
        self.calls = 0
        self.tokens_in = 0  # Home Assistant does not say what the task cost
        self.tokens_out = 0
        self.cost = 0.0
        self._client = client
        self._own_client: AiTaskClient | None = None
        self._slots = asyncio.Semaphore(config.concurrent_limit)
        self._support_lock = asyncio.Lock()
        self._support_checked = False
        self._unavailable: AiTaskUnavailableError | None = None

    async def aclose(self) -> None:
        """Close the client made here; a lent one stays open for its owner."""
        if self._own_client is not None:
            await self._own_client.aclose()

    def _ha(self) -> AiTaskClient:
        if self._client is None:
            # made at the first call: a run served from the cache never talks to Home Assistant
            from homehabits.homeassistant.client import HomeAssistantClient

            self._own_client = self._client = HomeAssistantClient(
                self.config.ha_url,
                self.config.ha_token,
                timeout=self.config.timeout_seconds,
                retries=self.config.retries,
                backoff=self.config.backoff,
            )
        return self._client

    async def write(self, draft: Draft, context: HomeContext, reference: Words) -> Words:
        """AI Task's words for one draft, checked; raises WriterError when they cannot be used."""
        await self._check_support()
        instructions = _instructions(draft, context, reference)
        data = await self._generate(instructions)
        return checked_words(
            _text_of(data), draft, context, reference, who="AI Task's", author=self.config.model
        )

    async def _generate(self, instructions: str) -> Any:
        async with self._slots:
            self.calls += 1
            try:
                async with asyncio.timeout(self.config.timeout_seconds):
                    response = await self._ha().generate_data(
                        _TASK_NAME, instructions, STRUCTURE, self.config.entity_id
                    )
            except TimeoutError as err:
                raise WriterError(
                    f"Home Assistant's AI Task did not answer within "
                    f"{self.config.timeout_seconds:g} s"
                ) from err
            except HomeAssistantError as err:
                if err.status == 400:
                    # what Home Assistant answers when it has no ai_task.generate_data service
                    self._unavailable = AiTaskUnavailableError(
                        f"Home Assistant has no ai_task.generate_data service ({err}): "
                        "template words instead",
                        expected=True,
                    )
                    raise self._unavailable from err
                raise WriterError(f"Home Assistant's AI Task failed: {err}") from err
        if not isinstance(response, dict) or "data" not in response:
            raise ModelResponseError(f"AI Task's answer holds no data: {str(response)[:120]!r}")
        return response["data"]

    async def _check_support(self) -> None:
        async with self._support_lock:
            if not self._support_checked:
                self._support_checked = True
                try:
                    self._unavailable = await self._support()
                except HomeAssistantError as err:
                    self._unavailable = AiTaskUnavailableError(
                        f"could not ask Home Assistant whether it has AI Task ({err}): "
                        "template words instead",
                        expected=False,
                    )
        if self._unavailable is not None:
            raise self._unavailable

    async def _support(self) -> AiTaskUnavailableError | None:
        support = await find_ai_task(self._ha(), self.config.entity_id)
        if support.problem is None:
            return None
        return AiTaskUnavailableError(support.problem, expected=True)


def _instructions(draft: Draft, context: HomeContext, reference: Words) -> str:
    """The model writer's messages as one text: the rules, then the facts as a data block."""
    return "\n\n".join(message["content"] for message in build_messages(draft, context, reference))


def _text_of(data: Any) -> str:
    """The answer's data as the text `read_answer` reads: a structured answer, or a JSON text."""
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        return json.dumps(data, ensure_ascii=False)
    raise ModelResponseError(f"AI Task's answer is not structured data: {str(data)[:120]!r}")
