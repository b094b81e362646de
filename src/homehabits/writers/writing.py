"""The writing phase: words for every draft, from the model where it can, the template where not.

The model is an OpenAI-compatible one (`model.py`) or Home Assistant's own AI Task
(`ai_task.py`), chosen by `writer_config` from the settings; both follow the same rules here:
the cache first, at most so many calls in flight, the phase deadline, and the template's
words for every draft the model could not write, with the reason in the run record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

import httpx

from homehabits.automations.draft import Draft
from homehabits.config import Settings
from homehabits.context import HomeContext
from homehabits.exceptions import WriterError
from homehabits.writers.ai_task import (
    AiTaskClient,
    AiTaskConfig,
    AiTaskUnavailableError,
    AiTaskWriter,
)
from homehabits.writers.cache import WordsCache, cache_key
from homehabits.writers.model import ModelConfig, ModelWriter
from homehabits.writers.template import template_words
from homehabits.writers.words import Words, WritingReport

__all__ = ["WriterConfig", "write_words", "writer_config"]

_LOGGER = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

#: Who writes the words when not the template: an OpenAI-compatible model or the AI Task.
WriterConfig = ModelConfig | AiTaskConfig


class _Writer(Protocol):
    calls: int
    tokens_in: int
    tokens_out: int
    cost: float

    async def write(self, draft: Draft, context: HomeContext, reference: Words) -> Words: ...

    async def aclose(self) -> None: ...


def writer_config(settings: Settings) -> WriterConfig | None:
    """The writer the settings choose; None: the template writes every word."""
    if settings.ai_task_enabled:
        return AiTaskConfig.from_settings(settings)
    return ModelConfig.from_settings(settings)


async def write_words(
    drafts: Sequence[Draft],
    context: HomeContext,
    *,
    model: WriterConfig | None = None,
    cache: WordsCache | None = None,
    http_client: httpx.AsyncClient | None = None,
    ai_task_client: AiTaskClient | None = None,
    window_days: int | None = None,
    on_progress: Progress | None = None,
) -> tuple[list[Words], WritingReport]:
    """Words for each draft, in the drafts' order; template words wherever the model fails.

    `http_client` routes an OpenAI-compatible model's calls, `ai_task_client` the AI Task's
    (tests); by default each writer makes its own.
    """
    report = WritingReport()
    templates = [template_words(draft, context, window_days=window_days) for draft in drafts]
    total = len(drafts)
    if model is None or total == 0:
        for done in range(1, total + 1):
            _tell(on_progress, done, total)
        return templates, report

    written: list[Words | None] = [None] * total
    finished = 0
    writer: _Writer
    if isinstance(model, AiTaskConfig):
        writer = AiTaskWriter(model, client=ai_task_client)
        key_of = _key_maker(model.model, "ai_task")
    else:
        writer = ModelWriter(model, http_client=http_client)
        key_of = _key_maker(model.model, "openai")
    unavailable: list[AiTaskUnavailableError] = []

    async def write_one(index: int) -> None:
        nonlocal finished
        written[index] = await _words_for(
            drafts[index], context, templates[index], writer, key_of, cache, report, unavailable
        )
        finished += 1
        _tell(on_progress, finished, total)

    tasks = [asyncio.create_task(write_one(index)) for index in range(total)]
    try:
        async with asyncio.timeout(model.phase_deadline_seconds):
            await asyncio.gather(*tasks)
    except TimeoutError:
        late = sum(words is None for words in written)
        report.fallbacks += late
        report.errors.append(
            f"the model had not written {late} of {total} suggestions when the "
            f"{model.phase_deadline_seconds:g} s deadline of the writing phase passed: "
            "they got template words"
        )
        _tell(on_progress, total, total)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await writer.aclose()

    if unavailable:
        quiet = isinstance(model, AiTaskConfig) and model.quiet_when_missing
        _unavailable_once(unavailable, report, quiet=quiet)
    report.model_calls = writer.calls
    report.tokens_in = writer.tokens_in
    report.tokens_out = writer.tokens_out
    report.cost = writer.cost
    return [words or template for words, template in zip(written, templates, strict=True)], report


async def _words_for(
    draft: Draft,
    context: HomeContext,
    template: Words,
    writer: _Writer,
    key_of: Callable[[str], str],
    cache: WordsCache | None,
    report: WritingReport,
    unavailable: list[AiTaskUnavailableError],
) -> Words:
    key = key_of(draft.pattern.fingerprint)
    if cache is not None:
        try:
            cached = await cache.get(key)
        except Exception as err:  # a broken cache costs a call, never the words
            _LOGGER.warning("words cache could not be read: %s", err)
            cached = None
        if cached is not None:
            report.cache_hits += 1
            return replace(cached, cached=True, tokens_in=0, tokens_out=0, cost=0.0)
    try:
        words = await writer.write(draft, context, template)
    except AiTaskUnavailableError as err:
        # the same reason for every draft: said once, after the phase, not once per draft
        unavailable.append(err)
        return template
    except WriterError as err:
        return _fallback(draft, template, report, str(err))
    except Exception as err:  # whatever goes wrong with one draft must not cost the others
        _LOGGER.exception("writing the words of %s failed", draft.automation_id)
        return _fallback(draft, template, report, f"{type(err).__name__}: {err}")
    if cache is not None:
        try:
            await cache.put(key, words)
        except Exception as err:
            _LOGGER.warning("words cache could not be written: %s", err)
    return words


def _key_maker(model: str, writer: str) -> Callable[[str], str]:
    def key_of(fingerprint: str) -> str:
        return cache_key(fingerprint, model, writer=writer)

    return key_of


def _unavailable_once(
    unavailable: list[AiTaskUnavailableError], report: WritingReport, *, quiet: bool
) -> None:
    """One line for the run record: a warning when the home has no AI Task, else an error.

    `quiet`: AI Task was only tried (the add-on's default), so a home without it says nothing.
    """
    first = unavailable[0]
    if first.expected and quiet:
        _LOGGER.info("%s", first)
        return
    _LOGGER.warning("%s", first)
    if first.expected:
        report.warnings.append(str(first))
        return
    report.fallbacks += len(unavailable)
    report.errors.append(f"{len(unavailable)} suggestions got template words: {first}")


def _fallback(draft: Draft, template: Words, report: WritingReport, reason: str) -> Words:
    report.fallbacks += 1
    report.errors.append(f"'{template.title}' ({draft.pattern.fingerprint}): {reason}")
    return template


def _tell(on_progress: Progress | None, done: int, total: int) -> None:
    if on_progress is not None:
        on_progress(done, total)
