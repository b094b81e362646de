"""How fast the run's watch phase reads every automation of a big simulated home.

Run: python bench/watch.py [--events 1000000]. Simulates a home of about that many events with
"reverts after deploy" planted, cleans it as the run does, then watches the deployed lamp
automation and every automation of the owner's (watch_automations) over the window. Prints
the seconds and what was found; asserts nothing.
"""

from __future__ import annotations

import argparse
import time

__all__ = ["main"]


def main() -> None:
    """Simulate one big home and time the watch over all its automations."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="watches to time; the best counts")
    args = parser.parse_args()

    from homehabits.event_cleaning import clean_events
    from homehabits.sources.simulation.deployed import DEPLOYED_AUTOMATION
    from homehabits.sources.simulator import SimulationConfig, simulate_home
    from homehabits.watch import WatchedAutomation, owner_automations, watch_automations

    base = simulate_home(SimulationConfig(deployed_reverts=True)).frame.height
    home = simulate_home(
        SimulationConfig(size=max(0.01, args.events / base), deployed_reverts=True)
    )
    history = clean_events(home.frame)
    ours = WatchedAutomation(
        alias=str(DEPLOYED_AUTOMATION["alias"]),
        config=DEPLOYED_AUTOMATION,
        automation_id=str(DEPLOYED_AUTOMATION["id"]),
        entity_id="automation.armchair_lamp_on_at_21_45",
        suggestion_id=1,
    )
    automations = [ours, *owner_automations(home.context, [ours.automation_id])]
    best = float("inf")
    found = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        found = watch_automations(
            history,
            home.context,
            automations,
            window_start=home.window_start,
            window_end=home.window_end,
        )
        best = min(best, time.perf_counter() - started)
    print(f"{home.frame.height:,} events, {len(automations)} automations watched in {best:.3f} s")
    for watched in found:
        problems = f"  [{'; '.join(watched.problems)}]" if watched.problems else ""
        print(f"  {watched.automation.alias}: {watched.words}{problems}")


if __name__ == "__main__":
    main()
