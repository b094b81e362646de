"""The writing phase: words for every draft, from the model where it can, the template where not."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

import httpx

from homehabits.automations.draft import Draft
from homehabits.context import HomeContext
from homehabits.exceptions import WriterError
from homehabits.writers.cache import WordsCache, cache_key
from homehabits.writers.model import ModelConfig, ModelWriter
from homehabits.writers.template import template_words
from homehabits.writers.words import Words, WritingReport

__all__ = ["write_words"]

_LOGGER = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


async def write_words(
    drafts: Sequence[Draft],
    context: HomeContext,
    *,
    model: ModelConfig | None = None,
    cache: WordsCache | None = None,
    http_client: httpx.AsyncClient | None = None,
    window_days: int | None = None,
    on_progress: Progress | None = None,
) -> tuple[list[Words], WritingReport]:
    """Words for each draft, in the drafts' order; template words wherever the model fails."""
    report = WritingReport()
    templates = [template_words(draft, context, window_days=window_days) for draft in drafts]
    total = len(drafts)
    if model is None or total == 0:
        for done in range(1, total + 1):
            _tell(on_progress, done, total)
        return templates, report

    written: list[Words | None] = [None] * total
    finished = 0
    writer = ModelWriter(model, http_client=http_client)

    async def write_one(index: int) -> None:
        nonlocal finished
        written[index] = await _words_for(
            drafts[index], context, templates[index], writer, cache, report
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

    report.model_calls = writer.calls
    report.tokens_in = writer.tokens_in
    report.tokens_out = writer.tokens_out
    report.cost = writer.cost
    return [words or template for words, template in zip(written, templates, strict=True)], report


async def _words_for(
    draft: Draft,
    context: HomeContext,
    template: Words,
    writer: ModelWriter,
    cache: WordsCache | None,
    report: WritingReport,
) -> Words:
    key = cache_key(draft.pattern.fingerprint, writer.config.model)
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


def _fallback(draft: Draft, template: Words, report: WritingReport, reason: str) -> Words:
    report.fallbacks += 1
    report.errors.append(f"'{template.title}' ({draft.pattern.fingerprint}): {reason}")
    return template


def _tell(on_progress: Progress | None, done: int, total: int) -> None:
    if on_progress is not None:
        on_progress(done, total)
