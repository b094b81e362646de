"""How fast every suggestion of a big simulated home replays, next to how fast it was mined.

Run: python bench/replay.py [--events 1000000]. Simulates a home of about that many events,
mines it, compiles every habit, then replays all the drafts' automations over the same window
at once (replay_automations), then once more with each of five candidate conditions (what
choosing conditions by replay costs). Prints the seconds of each phase and the ratio;
asserts nothing. Goal: all suggestions of a 1,000,000-event home replayed in ≤ 2 s.
"""

from __future__ import annotations

import argparse
import time

__all__ = ["main"]

# conditions of the kinds issue 12 tries on each habit: dark, night, someone home, weekdays
_CANDIDATES = (
    {"condition": "state", "entity_id": "sun.sun", "state": "below_horizon"},
    {"condition": "sun", "after": "sunset", "before": "sunrise", "after_offset": "-00:30:00"},
    {"condition": "time", "after": "22:00:00", "before": "06:00:00"},
    {"condition": "numeric_state", "entity_id": "zone.home", "above": 0},
    {"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "fri"]},
)


def main() -> None:
    """Simulate, mine, compile and replay one big home, timing mining and replay."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="replays to time; the best counts")
    args = parser.parse_args()

    from homehabits.automations import compile_patterns
    from homehabits.config import Dialect
    from homehabits.patterns import mine
    from homehabits.replay import replay_automations
    from homehabits.sources.simulator import SimulationConfig, simulate_home

    # events grow about linearly with the simulator's size factor: scale from a size-1 home,
    # then correct the size once by how far the first try fell short
    size = max(0.01, args.events / simulate_home(SimulationConfig(size=1.0)).frame.height)
    home = simulate_home(SimulationConfig(size=size))
    if abs(home.frame.height - args.events) > 0.02 * args.events:
        home = simulate_home(SimulationConfig(size=size * args.events / home.frame.height))
    window = {"window_start": home.window_start, "window_end": home.window_end}

    started = time.perf_counter()
    patterns = mine(home.frame, home.context, **window)
    mining = time.perf_counter() - started
    drafts = compile_patterns(patterns, home.context, dialect=Dialect.MODERN).drafts
    automations = [draft.automation for draft in drafts]

    timings = []
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        replays = replay_automations(automations, home.frame, home.context, **window)
        timings.append(time.perf_counter() - started)
    replay = min(timings)

    # what choosing conditions by replay costs: each suggestion again with each candidate
    trials = [
        {**automation, "conditions": [*automation.get("conditions", []), candidate]}
        for automation in automations
        for candidate in _CANDIDATES
    ]
    started = time.perf_counter()
    replay_automations(trials, home.frame, home.context, **window)
    trial_seconds = time.perf_counter() - started

    fires = sum(result.fires for result in replays)
    wrong = sum(result.wrong for result in replays)
    print(f"events           {home.frame.height:>12,}")
    print(f"habits mined     {len(patterns):>12,}")
    print(f"suggestions      {len(automations):>12,}")
    print(f"fires replayed   {fires:>12,}  (wrong {wrong / fires if fires else 0.0:.1%})")
    print(f"mining seconds   {mining:>12.2f}")
    print(f"replay seconds   {replay:>12.2f}  (best of {len(timings)}; goal ≤ 2 s)")
    print(f"first replay     {timings[0]:>12.2f}  (cold: polars and the sun tables warm up)")
    print(f"replay / mining  {replay / mining:>12.2f}")
    per = 1000 * replay / max(1, len(automations))
    print(f"per suggestion   {per:>12.1f} ms")
    print(
        f"with conditions  {trial_seconds:>12.2f}  ({len(trials)} trials: {len(_CANDIDATES)} each)"
    )


if __name__ == "__main__":
    main()
