"""The words cache: a model's words for a habit, kept so the next run need not ask again."""

from __future__ import annotations

import hashlib
from typing import Protocol

from homehabits.writers.prompt import PROMPT_VERSION
from homehabits.writers.words import Words

__all__ = ["MemoryWordsCache", "WordsCache", "cache_key"]


class WordsCache(Protocol):
    """Where a model's words are kept between runs (the store's table, or memory)."""

    async def get(self, key: str) -> Words | None:
        """The words kept under `key`, if any."""
        ...

    async def put(self, key: str, words: Words) -> None:
        """Keep `words` under `key`, replacing what was there."""
        ...


class MemoryWordsCache:
    """A WordsCache in a dict: for tests, benchmarks and one-off runs."""

    def __init__(self) -> None:
        """An empty cache."""
        self.entries: dict[str, Words] = {}

    async def get(self, key: str) -> Words | None:
        """The words kept under `key`, if any."""
        return self.entries.get(key)

    async def put(self, key: str, words: Words) -> None:
        """Keep `words` under `key`."""
        self.entries[key] = words

    def __len__(self) -> int:
        """How many words are kept."""
        return len(self.entries)


def cache_key(
    fingerprint: str, model: str, prompt_version: str = PROMPT_VERSION, *, writer: str = "openai"
) -> str:
    """The cache key of a habit's words: the same habit, writer, model and prompt give the same key.

    `writer` keeps Home Assistant's AI Task words apart from an OpenAI-compatible model's even
    if their names met; the OpenAI writer's keys are the ones it had before there were two.
    """
    kind = "" if writer == "openai" else f"{writer}|"
    digest = hashlib.sha256(f"{kind}{prompt_version}|{model}|{fingerprint}".encode()).hexdigest()
    return f"words:{digest[:32]}"
