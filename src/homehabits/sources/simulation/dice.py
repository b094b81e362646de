"""The dice of a simulated home: the demo's fixed parameters, or ones drawn from the seed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

__all__ = ["Dice"]

T = TypeVar("T")


class Dice:
    """Parameters as planted in the demo home, or drawn from the seed when randomizing."""

    def __init__(self, seed: int, randomize: bool, stream: int = 1) -> None:
        """Dice for this seed; another stream draws independently of the first."""
        self._rng = np.random.default_rng([seed, stream])
        self._randomize = randomize

    @property
    def randomize(self) -> bool:
        """Whether the parameters are drawn (else every call returns its default)."""
        return self._randomize

    def choose(self, default: T, options: Sequence[T]) -> T:
        """One of the options, or the default in the demo home."""
        if not self._randomize:
            return default
        return options[int(self._rng.integers(len(options)))]

    def number(self, default: float, low: float, high: float, step: float = 1.0) -> float:
        """A number from low to high rounded to step, or the default in the demo home."""
        if not self._randomize:
            return default
        return float(round(self._rng.uniform(low, high) / step) * step)

    def whole(self, default: int, low: int, high: int) -> int:
        """A whole number from low to high (both included), or the default."""
        if not self._randomize:
            return default
        return int(self._rng.integers(low, high + 1))

    def maybe(self, default: bool, chance: float) -> bool:
        """True with this chance, or the default in the demo home."""
        if not self._randomize:
            return default
        return bool(self._rng.random() < chance)

    def some(
        self, default: tuple[T, ...], options: Sequence[T], count: tuple[int, int]
    ) -> tuple[T, ...]:
        """A few distinct options (as many as count allows), or the default."""
        if not self._randomize:
            return default
        size = int(self._rng.integers(count[0], count[1] + 1))
        picked = self._rng.choice(len(options), size=min(size, len(options)), replace=False)
        return tuple(options[int(index)] for index in sorted(picked))

    def jitter(self, default: float) -> float:
        """How far a person strays from the habit's time (minutes, one sd)."""
        return self.number(default, 5.0, 12.0, 0.5)

    def adherence(self, default: float) -> float:
        """On what share of the habit's days the person does it."""
        return self.number(default, 0.75, 0.95, 0.01)

    def days(self, default: tuple[int, ...], count: tuple[int, int]) -> tuple[int, ...]:
        """A few weekdays (Mon–Fri), as many as count allows."""
        if not self._randomize:
            return default
        size = int(self._rng.integers(count[0], count[1] + 1))
        return tuple(sorted(int(d) for d in self._rng.choice(5, size=size, replace=False)))
