"""Benchmark: the model writer against the fake OpenAI server — one at a time, concurrent, cached, faulty.

Run: `python bench/llm.py [--latency 1.5] [--sizes 10 50] [--limit 5] [--fault-rate 0.2]`.
Prints a table; asserts nothing. The ideal for n drafts is ceil(n / limit) × latency: what a
perfectly packed set of `limit` slots needs when every call takes `latency` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from dataclasses import dataclass
from datetime import time as clock_time
from pathlib import Path

from homehabits.automations.draft import Draft
from homehabits.config import Dialect
from homehabits.context import Entity, HomeContext
from homehabits.patterns.habit import HabitKind, Pattern
from homehabits.writers import MemoryWordsCache, ModelConfig, write_words

# run as `python bench/llm.py` from the repository root: the fake model server lives in tests/
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fakes.fake_openai import FakeOpenAIServer


@dataclass(frozen=True)
class _Row:
    drafts: int
    run: str
    seconds: float
    ideal: float
    calls: int | str
    max_in_flight: int | str
    fallbacks: int | str


def _simulated_drafts() -> tuple[HomeContext, list[Draft]]:
    """Drafts of the simulated home, mined and compiled, when those parts exist."""
    try:
        from homehabits.automations import compile_patterns
        from homehabits.patterns.mining import mine
        from homehabits.sources.simulator import simulate_home
    except ImportError:
        return HomeContext(time_zone="Europe/Berlin"), []
    home = simulate_home()
    patterns = mine(
        home.frame, home.context, window_start=home.window_start, window_end=home.window_end
    )
    compiled = compile_patterns(patterns, home.context, dialect=Dialect.MODERN)
    return home.context, list(compiled.drafts)


def _lamp_drafts(context: HomeContext, count: int) -> tuple[HomeContext, list[Draft]]:
    """`count` more drafts: lamps switched on by hand, each at its own minute."""
    entities = dict(context.entities)
    drafts = []
    for n in range(count):
        entity_id = f"light.bench_lamp_{n}"
        entities[entity_id] = Entity(entity_id, f"Reading lamp {n}")
        hour, minute = 6 + n % 14, (n * 7) % 60
        pattern = Pattern(
            kind=HabitKind.TIME_OF_DAY,
            target_entity=entity_id,
            target_state="on",
            time_of_day=clock_time(hour, minute),
            spread_minutes=6.0,
            occurrences=22,
            days_observed=22,
            days_possible=30,
            confidence=0.8,
        )
        automation = {
            "id": f"homehabits_{pattern.fingerprint}",
            "alias": f"Reading lamp {n} on at {hour:02d}:{minute:02d}",
            "triggers": [{"trigger": "time", "at": f"{hour:02d}:{minute:02d}:00"}],
            "conditions": [],
            "actions": [{"action": "light.turn_on", "target": {"entity_id": entity_id}}],
            "mode": "single",
        }
        drafts.append(Draft(pattern, automation, str(automation), Dialect.MODERN, "lighting"))
    widened = HomeContext(
        time_zone=context.time_zone,
        location=context.location,
        ha_version=context.ha_version,
        entities=entities,
        devices=context.devices,
        areas=context.areas,
        automations=context.automations,
    )
    return widened, drafts


async def _timed(
    server: FakeOpenAIServer,
    drafts: list[Draft],
    context: HomeContext,
    config: ModelConfig,
    cache: MemoryWordsCache | None = None,
) -> tuple[float, int, int, int]:
    server.reset()
    started = time.perf_counter()
    words, report = await write_words(drafts, context, model=config, cache=cache)
    seconds = time.perf_counter() - started
    if len(words) != len(drafts):
        print(f"!! {len(words)} words for {len(drafts)} drafts", file=sys.stderr)
    return seconds, report.model_calls, server.max_in_flight, report.fallbacks


async def _bench(latency: float, sizes: list[int], limit: int, fault_rate: float) -> list[_Row]:
    simulated_context, simulated = _simulated_drafts()
    rows: list[_Row] = []
    with FakeOpenAIServer(latency=latency, retry_after=1.0, seed=42) as server:
        for size in sizes:
            context, extra = _lamp_drafts(simulated_context, max(0, size - len(simulated)))
            drafts = (simulated + extra)[:size]
            ideal = math.ceil(size / limit) * latency

            def config(concurrent: int) -> ModelConfig:
                return ModelConfig(
                    base_url=server.base_url,
                    api_key=None,
                    model="fake-model",
                    concurrent_limit=concurrent,
                    timeout_seconds=max(30.0, latency * 4),
                    phase_deadline_seconds=3600.0,
                )

            server.fault_rate = 0.0
            seconds, calls, peak, fallbacks = await _timed(server, drafts, context, config(1))
            rows.append(
                _Row(size, "one at a time (limit 1)", seconds, ideal, calls, peak, fallbacks)
            )
            cache = MemoryWordsCache()
            seconds, calls, peak, fallbacks = await _timed(
                server, drafts, context, config(limit), cache
            )
            rows.append(
                _Row(size, f"concurrent (limit {limit})", seconds, ideal, calls, peak, fallbacks)
            )
            rows.append(_Row(size, f"ideal ceil(n/{limit}) × latency", ideal, ideal, "", "", ""))
            seconds, calls, peak, fallbacks = await _timed(
                server, drafts, context, config(limit), cache
            )
            rows.append(_Row(size, "cached rerun", seconds, ideal, calls, peak, fallbacks))
            server.fault_rate = fault_rate
            seconds, calls, peak, fallbacks = await _timed(server, drafts, context, config(limit))
            rows.append(
                _Row(
                    size,
                    f"{fault_rate:.0%} faults (limit {limit})",
                    seconds,
                    ideal,
                    f"{calls} ({server.faults_sent} faults)",
                    peak,
                    fallbacks,
                )
            )
    return rows


def _print(rows: list[_Row], latency: float) -> None:
    print(f"model writer against the fake server, latency {latency:g} s per call\n")
    header = f"{'drafts':>6}  {'run':<28} {'seconds':>8} {'× ideal':>8} {'calls':>18} {'max in flight':>13} {'fallbacks':>9}"
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = f"{row.seconds / row.ideal:.2f}" if row.ideal else ""
        print(
            f"{row.drafts:>6}  {row.run:<28} {row.seconds:>8.2f} {ratio:>8} {row.calls!s:>18} "
            f"{row.max_in_flight!s:>13} {row.fallbacks!s:>9}"
        )


def main() -> None:
    """Parse the flags, run the benchmark, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--latency", type=float, default=1.5, help="seconds per model call")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50], help="draft counts")
    parser.add_argument("--limit", type=int, default=5, help="calls in flight at once")
    parser.add_argument("--fault-rate", type=float, default=0.2, help="share of 429/500 answers")
    args = parser.parse_args()
    rows = asyncio.run(_bench(args.latency, args.sizes, args.limit, args.fault_rate))
    _print(rows, args.latency)


if __name__ == "__main__":
    main()
