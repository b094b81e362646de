"""A writer's answer made the suggestion's words: read, checked, the sensitive note kept."""

from __future__ import annotations

import logging

from homehabits.automations.draft import Draft
from homehabits.context import HomeContext
from homehabits.exceptions import ModelResponseError
from homehabits.writers.checks import check_answer
from homehabits.writers.prompt import read_answer
from homehabits.writers.template import sensitive_note
from homehabits.writers.words import Words

__all__ = ["checked_words", "log_unusable"]

_LOGGER = logging.getLogger(__name__)


def checked_words(
    text: str | None,
    draft: Draft,
    context: HomeContext,
    reference: Words,
    *,
    who: str,
    author: str,
    tokens_in: int = 0,
    tokens_out: int = 0,
    cost: float = 0.0,
) -> Words:
    """The words in a model's (or AI Task's) answer `text`, checked against the draft.

    Raises ModelResponseError when they cannot be used, after one log line (`who` names the
    writer): the words then fall back to the template's, nothing is lost.
    """
    try:
        answer = read_answer(text, fallback_category=draft.category)
        check_answer(answer, draft, context, reference)
    except ModelResponseError as err:
        log_unusable(who, draft, err)
        raise
    description = answer.description
    note = sensitive_note(draft)
    if note and note not in description:
        description = f"{description.rstrip()} {note}"
    return Words(
        title=answer.title,
        description=description,
        rationale=answer.rationale,
        category=answer.category,
        author=author,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost=cost,
    )


def log_unusable(who: str, draft: Draft, err: ModelResponseError) -> None:
    """One log line, no traceback: `who`'s words for the draft fall back to the template's."""
    _LOGGER.warning(
        "%s words for %s cannot be used, template words instead: %s", who, draft.automation_id, err
    )
