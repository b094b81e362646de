"""Writers: the words of a suggestion, from a template or an OpenAI-compatible model."""

from __future__ import annotations

from homehabits.writers.ai_task import AiTaskConfig
from homehabits.writers.cache import MemoryWordsCache, WordsCache, cache_key
from homehabits.writers.model import ModelConfig
from homehabits.writers.prompt import CATEGORIES, PROMPT_VERSION
from homehabits.writers.template import template_words
from homehabits.writers.words import Words, WritingReport
from homehabits.writers.writing import WriterConfig, write_words, writer_config

__all__ = [
    "CATEGORIES",
    "PROMPT_VERSION",
    "AiTaskConfig",
    "MemoryWordsCache",
    "ModelConfig",
    "Words",
    "WordsCache",
    "WriterConfig",
    "WritingReport",
    "cache_key",
    "template_words",
    "write_words",
    "writer_config",
]
