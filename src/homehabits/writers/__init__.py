"""Writers: the words of a suggestion, from a template or an OpenAI-compatible model."""

from __future__ import annotations

from homehabits.writers.words import Words, WritingReport

__all__ = ["Words", "WritingReport"]
