"""Who would write the words of the next run, and why: what `homehabits check` shows.

The choice is the run's own (`Settings.model_enabled`, `ai_task_enabled`,
`ai_task_if_available`); what Home Assistant offers is the AI Task writer's own look
(`find_ai_task`). Nothing here writes a word or calls a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from homehabits.config import Settings, WriterChoice
from homehabits.exceptions import HomeAssistantError
from homehabits.writers.ai_task import AiTaskClient, AiTaskSupport, find_ai_task

__all__ = ["WriterOutlook", "WriterPick", "writer_outlook"]


@dataclass(frozen=True, slots=True)
class WriterPick:
    """One answer to "who writes the words": the writer, its model or entity, and why."""

    writer: str  # template | openai | ai_task
    author: str | None  # the model's name or the AI Task entity; None for the template
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """The pick as plain data, for --json."""
        return {"writer": self.writer, "author": self.author, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class WriterOutlook:
    """The writer of the settings, the one HOMEHABITS_WRITER=auto would pick, and AI Task."""

    setting: str
    chosen: WriterPick
    auto: WriterPick
    ai_task: AiTaskSupport | None  # None: Home Assistant was not asked (see ai_task_unknown)
    ai_task_unknown: str | None = None  # why Home Assistant was not or could not be asked
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The outlook as plain data, for --json."""
        support = self.ai_task
        return {
            "setting": self.setting,
            "writes": self.chosen.as_dict(),
            "auto_would_pick": self.auto.as_dict(),
            "ai_task": {
                "asked": support is not None,
                "why_not_asked": self.ai_task_unknown,
                "ha_version": support.ha_version if support else None,
                "entities": list(support.entities) if support else [],
                "preferred": support.preferred if support else None,
                "chosen": support.chosen if support else None,
                "would_write": support.entity if support else None,
                "problem": support.problem if support else None,
            },
        }


async def writer_outlook(settings: Settings, client: AiTaskClient | None) -> WriterOutlook:
    """Who would write the words with these settings; `client` reaches Home Assistant.

    Without a client (no HOMEHABITS_HA_URL / HA_TOKEN) AI Task is reported as not asked.
    """
    unknown: str | None = None
    support: AiTaskSupport | None = None
    any_entity: AiTaskSupport | None = None  # what `auto` would find: no entity chosen
    if client is None:
        unknown = "HOMEHABITS_HA_URL and HOMEHABITS_HA_TOKEN are needed to ask Home Assistant"
    else:
        try:
            support = await find_ai_task(client, settings.ai_task_entity)
            any_entity = support
            if settings.ai_task_entity is not None:
                any_entity = await find_ai_task(client, None)
                # shown too: the chosen entity writes, but the owner may prefer another
                support = replace(support, preferred=any_entity.preferred)
        except HomeAssistantError as err:
            support = any_entity = None
            unknown = f"could not ask Home Assistant about AI Task: {err}"
    chosen = _pick(settings, settings.writer, support, unknown)
    auto = _pick(settings, WriterChoice.AUTO, any_entity, unknown)
    warnings: list[str] = []
    if settings.writer is WriterChoice.AI_TASK and chosen.writer != WriterChoice.AI_TASK.value:
        warnings.append(f"HOMEHABITS_WRITER=ai_task, but {chosen.reason}")
    return WriterOutlook(
        setting=settings.writer.value,
        chosen=chosen,
        auto=auto,
        ai_task=support,
        ai_task_unknown=unknown,
        warnings=warnings,
    )


def _pick(
    settings: Settings,
    writer: WriterChoice,
    support: AiTaskSupport | None,
    unknown: str | None,
) -> WriterPick:
    """The writer a run would use with HOMEHABITS_WRITER=`writer`, the rest as set."""
    as_if = settings.model_copy(update={"writer": writer})
    if writer is WriterChoice.TEMPLATE:
        return WriterPick("template", None, "HOMEHABITS_WRITER=template: the built-in words")
    if as_if.model_enabled:
        why = (
            "HOMEHABITS_WRITER=openai"
            if writer is WriterChoice.OPENAI
            else "an OpenAI-compatible model is configured"
        )
        return WriterPick("openai", as_if.openai_model, f"{why} ({as_if.openai_base_url})")
    if writer is WriterChoice.AUTO and not as_if.ai_task_if_available:
        hint = ""
        if settings.writer is WriterChoice.AUTO and support is not None and support.entity:
            hint = f"; set HOMEHABITS_WRITER=ai_task for {support.entity} to write them"
        return WriterPick(
            "template",
            None,
            "no OpenAI-compatible model is configured, and outside the add-on auto does not "
            f"ask Home Assistant's AI Task{hint}",
        )
    # ai_task chosen, or auto in the add-on: Home Assistant's AI Task where it has one
    if support is None:
        return WriterPick("template", None, unknown or "Home Assistant was not asked")
    if support.entity is None:
        return WriterPick("template", None, support.problem or "no AI Task entity")
    who = (
        "the chosen entity (HOMEHABITS_AI_TASK_ENTITY)"
        if support.chosen
        else "the AI Task entity preferred in Home Assistant"
    )
    return WriterPick("ai_task", support.entity, f"Home Assistant {support.ha_version}: {who}")
