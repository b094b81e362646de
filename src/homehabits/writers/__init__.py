"""Writers: the words of a suggestion, from a template or an OpenAI-compatible model."""

from __future__ import annotations

from homehabits.writers.cache import MemoryWordsCache, WordsCache, cache_key
from homehabits.writers.model import ModelConfig
from homehabits.writers.prompt import CATEGORIES, PROMPT_VERSION
from homehabits.writers.template import template_words
from homehabits.writers.words import Words, WritingReport
from homehabits.writers.writing import write_words

__all__ = [
    "CATEGORIES",
    "PROMPT_VERSION",
    "MemoryWordsCache",
    "ModelConfig",
    "Words",
    "WordsCache",
    "WritingReport",
    "cache_key",
    "template_words",
    "write_words",
]
