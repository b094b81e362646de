"""Test helpers shipped with the package: the fake OpenAI-compatible server."""

from __future__ import annotations

from homehabits.testing.fake_openai import (
    IN_PROCESS_BASE_URL,
    FakeMode,
    FakeOpenAIServer,
    default_answer,
    facts_of,
)

__all__ = ["IN_PROCESS_BASE_URL", "FakeMode", "FakeOpenAIServer", "default_answer", "facts_of"]
