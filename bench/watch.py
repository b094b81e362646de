"""How fast the run's watch phase reads every automation of a big simulated home.

Run: python bench/watch.py [--events 1000000]. Simulates a home of about that many events with
"reverts after deploy" and "deployed at the wrong time" planted, cleans it as the run does,
then watches the three deployed automations and every automation of the owner's
(watch_automations) over the window, and proposes the revisions (propose_revisions: a
condition, turned off, or moved to the person's time or delay). Prints the seconds and what
was found; asserts nothing.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

__all__ = ["main"]


def _deployed(suggestion_id: int, raw: dict[str, Any], kind: str, target: str) -> Any:
    """A deployed suggestion of the given automation, as the store would hand it over."""
    from homehabits.automations.yaml_text import automation_to_yaml
    from homehabits.patterns.habit import HabitKind, Pattern, pattern_to_dict
    from homehabits.store.records import NewSuggestion, SuggestionRecord

    habit = Pattern(kind=HabitKind(kind), target_entity=target, target_state="on")
    new = NewSuggestion(
        fingerprint=str(raw["id"]).removeprefix("homehabits_"),
        kind=kind,
        title=str(raw["alias"]),
        description="",
        rationale="",
        category="lighting",
        confidence=0.8,
        score=0.7,
        sensitive=False,
        sensitive_reason=None,
        target_entity=target,
        trigger_entity=None,
        area_id=None,
        area_name=None,
        automation=raw,
        yaml=automation_to_yaml(raw),
        dialect="legacy",
        diff=None,
        pattern=pattern_to_dict(habit),
        author="template",
    )
    now = datetime.now(UTC)
    return SuggestionRecord(
        **asdict(new), id=suggestion_id, run_id=1, status="deployed", created_at=now, updated_at=now
    )


def main() -> None:
    """Simulate one big home and time the watch over all its automations."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="watches to time; the best counts")
    args = parser.parse_args()

    from homehabits.config import WatchSettings
    from homehabits.event_cleaning import clean_events
    from homehabits.sources.simulation.deployed import ARMCHAIR_LAMP, DEPLOYED_AUTOMATION
    from homehabits.sources.simulation.deployed_timing import (
        LANDING_LIGHT,
        LANDING_ON,
        UTILITY_LIGHT,
        UTILITY_OFF,
    )
    from homehabits.sources.simulator import SimulationConfig, simulate_home
    from homehabits.watch import WatchedAutomation, owner_automations, watch_automations
    from homehabits.watch.revise import propose_revisions
    from homehabits.writers.template import template_words

    planted = {"deployed_reverts": True, "deployed_timing": True}
    base = simulate_home(SimulationConfig(**planted)).frame.height
    home = simulate_home(SimulationConfig(size=max(0.01, args.events / base), **planted))
    history = clean_events(home.frame)
    records = [
        _deployed(1, DEPLOYED_AUTOMATION, "time_of_day", ARMCHAIR_LAMP),
        _deployed(2, LANDING_ON, "time_of_day", LANDING_LIGHT),
        _deployed(3, UTILITY_OFF, "auto_off", UTILITY_LIGHT),
    ]
    ours = [
        WatchedAutomation(
            alias=record.title,
            config=record.automation,
            automation_id=str(record.automation["id"]),
            suggestion_id=record.id,
        )
        for record in records
    ]
    automations = [*ours, *owner_automations(home.context, [a.automation_id for a in ours])]
    best = float("inf")
    revising = float("inf")
    found = []
    revisions = []
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
        started = time.perf_counter()
        revisions = propose_revisions(
            found[: len(ours)],
            {record.id: record for record in records},
            history,
            home.context,
            window_start=home.window_start,
            window_end=home.window_end,
            settings=WatchSettings(),
        )
        revising = min(revising, time.perf_counter() - started)
    print(f"{home.frame.height:,} events, {len(automations)} automations watched in {best:.3f} s")
    for watched in found:
        problems = f"  [{'; '.join(watched.problems)}]" if watched.problems else ""
        print(f"  {watched.automation.alias}: {watched.words}{problems}")
    print(f"{len(revisions)} revisions proposed in {revising:.3f} s")
    for revision in revisions:
        words = template_words(revision.draft, home.context)
        print(f"  {words.title}: {words.description}")


if __name__ == "__main__":
    main()
