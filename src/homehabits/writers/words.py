"""The Words type: what a writer says about a suggestion, and who said it at what cost."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Words", "WritingReport"]


@dataclass(frozen=True, slots=True)
class Words:
    """Title, description and rationale of one suggestion."""

    title: str
    description: str
    rationale: str
    category: str
    author: str = "template"  # "template" or the model's name
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    cached: bool = False


@dataclass(slots=True)
class WritingReport:
    """What the writing phase did: model calls, tokens, cost and what went wrong."""

    model_calls: int = 0
    cache_hits: int = 0
    fallbacks: int = 0  # suggestions that got template words because the model failed
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    errors: list[str] = field(default_factory=list)
    # what the run record shows without making the run partial (a home without AI Task)
    warnings: list[str] = field(default_factory=list)
