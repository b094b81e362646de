"""How well mine() finds the habits planted in the simulated home: precision and recall.

Run: python bench/quality.py [--seeds 5]. Prints a table per noise level; asserts nothing.
A found habit matches a planted one when it has the same kind, target entity and target state,
and: the same trigger entity (sequence, auto_off); clock habits within 20 minutes and on the
same day set; sun habits on the same sun event with the offset within 15 minutes. Every found
habit that matches nothing planted counts as a false positive.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterable

from homehabits.patterns import HabitKind, Pattern, mine
from homehabits.sources.simulator import PlantedHabit, SimulationConfig, simulate_home

__all__ = ["main", "matches", "score_home"]

NOISE_LEVELS = ("low", "default", "high")
CLOCK_MINUTES = 20
SUN_MINUTES = 15


def matches(found: Pattern, planted: PlantedHabit) -> bool:
    """Whether a found habit is the planted one (the rule in this module's docstring)."""
    if (found.kind, found.target_entity, found.target_state) != (
        planted.kind,
        planted.target_entity,
        planted.target_state,
    ):
        return False
    if found.kind in (HabitKind.SEQUENCE, HabitKind.AUTO_OFF):
        return found.trigger_entity == planted.trigger_entity
    if found.kind is HabitKind.TIME_OF_DAY:
        if found.time_of_day is None or planted.time_of_day is None:
            return False
        gap = _minutes(found.time_of_day) - _minutes(planted.time_of_day)
        near = abs((gap + 720) % 1440 - 720) <= CLOCK_MINUTES
        return near and tuple(sorted(found.weekdays)) == tuple(sorted(planted.weekdays))
    if found.kind is HabitKind.SUN:
        return (
            found.sun_event == planted.sun_event
            and found.sun_offset_minutes is not None
            and planted.sun_offset_minutes is not None
            and abs(found.sun_offset_minutes - planted.sun_offset_minutes) <= SUN_MINUTES
        )
    return True  # presence, override: the same target and state


def _minutes(clock: object) -> int:
    return clock.hour * 60 + clock.minute  # type: ignore[attr-defined,no-any-return]


def score_home(
    found: Iterable[Pattern], planted: Iterable[PlantedHabit]
) -> tuple[Counter[str], Counter[str], Counter[str], list[str]]:
    """True positives, false positives and misses per kind, and a line per mistake."""
    hits: Counter[str] = Counter()
    false: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    mistakes: list[str] = []
    left = list(planted)
    for pattern in found:
        twin = next((habit for habit in left if matches(pattern, habit)), None)
        if twin is None:
            false[pattern.kind.value] += 1
            mistakes.append(f"  false positive: {_describe(pattern)}")
        else:
            hits[pattern.kind.value] += 1
            left.remove(twin)
    for habit in left:
        missed[habit.kind.value] += 1
        mistakes.append(
            f"  missed: {habit.kind.value} {habit.target_entity} → {habit.target_state}"
            f" ({habit.description})"
        )
    return hits, false, missed, mistakes


def _describe(pattern: Pattern) -> str:
    when = pattern.time_of_day.strftime("%H:%M") if pattern.time_of_day else ""
    trigger = (
        f" after {pattern.trigger_entity}→{pattern.trigger_state}" if pattern.trigger_entity else ""
    )
    sun = f" {pattern.sun_event}{pattern.sun_offset_minutes:+d}" if pattern.sun_event else ""
    return (
        f"{pattern.kind.value} {pattern.target_entity} → {pattern.target_state}{trigger} "
        f"{when}{sun} {pattern.day_type} (confidence {pattern.confidence:.2f})"
    )


def _ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "  - "


def main() -> None:
    """Simulate, mine and score every seed at every noise level; print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="list every mistake")
    args = parser.parse_args()
    kinds = [kind.value for kind in HabitKind]
    for noise in NOISE_LEVELS:
        hits: Counter[str] = Counter()
        false: Counter[str] = Counter()
        missed: Counter[str] = Counter()
        seconds = 0.0
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            home = simulate_home(SimulationConfig(seed=seed, noise=noise, randomize=True))
            started = time.perf_counter()
            found = mine(
                home.frame, home.context, window_start=home.window_start, window_end=home.window_end
            )
            seconds += time.perf_counter() - started
            h, f, m, mistakes = score_home(found, home.truth)
            hits += h
            false += f
            missed += m
            if args.verbose and mistakes:
                print(f"seed {seed}, noise {noise}:")
                print("\n".join(mistakes))
        print(f"\nnoise {noise}: {args.seeds} seeds, mine() {seconds / args.seeds:.2f} s a home")
        print(
            f"{'kind':<12} {'found':>5} {'false+':>6} {'missed':>6} {'precision':>9} {'recall':>6}"
        )
        for kind in [*kinds, "overall"]:
            if kind == "overall":
                tp, fp, fn = sum(hits.values()), sum(false.values()), sum(missed.values())
            else:
                tp, fp, fn = hits[kind], false[kind], missed[kind]
            print(
                f"{kind:<12} {tp:>5} {fp:>6} {fn:>6} {_ratio(tp, tp + fp):>9} {_ratio(tp, tp + fn):>6}"
            )


if __name__ == "__main__":
    main()
