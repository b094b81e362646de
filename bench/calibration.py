"""How long the run's reading of the owner's decisions takes on a database of many decisions.

Run: python bench/calibration.py [--suggestions 5000] [--runs 30]. Builds a SQLite database
of that many decided suggestions (a third rejected with a reason, a third deployed and
watched by every run, the rest approved) over that many runs, then times owner_decisions,
past_rejections for every fingerprint and calibrate, as one analysis does them. Prints the
seconds; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["main"]

_KINDS = ("time_of_day", "sun", "sequence", "auto_off", "presence")
_DOMAINS = ("light", "cover", "switch", "fan", "climate", "media_player")


async def _build(path: Path, suggestions: int, runs: int) -> list[str]:
    from sqlalchemy import insert, update

    from homehabits.store.engine import make_engine
    from homehabits.store.migrate import migrate
    from homehabits.store.records import RunStatus, SuggestionStatus
    from homehabits.store.tables import (
        AnalysisRunRow,
        AutomationWatchRow,
        FeedbackRow,
        SuggestionRow,
    )

    engine = make_engine(f"sqlite:///{path}")
    await migrate(engine)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    run = {
        "trigger": "cli",
        "source": "bench",
        "status": RunStatus.SUCCEEDED,
        "started_at": now,
        "finished_at": now,
        "window_start": now - timedelta(days=30),
        "window_end": now,
        "phase_seconds": {},
        "errors": [],
        "rejected_examples": [],
    }
    statuses = (SuggestionStatus.REJECTED, SuggestionStatus.DEPLOYED, SuggestionStatus.APPROVED)
    fingerprints = [f"bench{index:011d}" for index in range(suggestions)]
    async with engine.begin() as connection:
        await connection.execute(insert(AnalysisRunRow), [run] * runs)
        rows = [
            {
                "run_id": 1,
                "status": SuggestionStatus.PENDING,
                "created_at": now,
                "updated_at": now,
                "fingerprint": fingerprint,
                "kind": _KINDS[index % 5],
                "title": "t",
                "description": "d",
                "rationale": "r",
                "category": "lighting",
                "confidence": 0.8,
                "score": 0.5,
                "sensitive": False,
                "target_entity": f"{_DOMAINS[index % 6]}.thing_{index}",
                "automation": {},
                "yaml": "",
                "dialect": "modern",
                "pattern": {},
                "author": "template",
            }
            for index, fingerprint in enumerate(fingerprints)
        ]
        await connection.execute(insert(SuggestionRow), rows)
        for index, status in enumerate(statuses):
            await connection.execute(
                update(SuggestionRow)
                .where((SuggestionRow.id - 1) % 3 == index)
                .values(status=status, reject_reason="only in winter")
            )
        await connection.execute(
            insert(FeedbackRow),
            [
                {
                    "suggestion_id": sid,
                    "fingerprint": fingerprints[sid - 1],
                    "action": "rejected",
                    "reason": "only in winter",
                    "created_at": now,
                }
                for sid in range(1, suggestions + 1, 3)
            ],
        )
        fire = (now - timedelta(days=1)).isoformat()
        revert = {
            "fired_at": fire,
            "undone_at": fire,
            "entity_id": "light.x",
            "set_to": "on",
            "back_to": "off",
        }
        await connection.execute(
            insert(AutomationWatchRow),
            [
                {
                    "run_id": run_id,
                    "alias": "a",
                    "suggestion_id": sid,
                    "fires": 30,
                    "fire_times": [fire] * 30,
                    "reverts": [revert] * 3,
                    "misses": [],
                    "words": "",
                    "problems": [],
                    "missing_entities": [],
                    "unavailable_entities": [],
                }
                for run_id in range(1, runs + 1)
                for sid in range(2, suggestions + 1, 3)
            ],
        )
    await engine.dispose()
    return fingerprints


async def _time(path: Path, fingerprints: list[str], repeat: int) -> tuple[float, str]:
    from homehabits.config import LearningSettings
    from homehabits.patterns.calibration import calibrate
    from homehabits.store.decisions import owner_decisions, past_rejections
    from homehabits.store.engine import make_engine, make_sessionmaker

    engine = make_engine(f"sqlite:///{path}")
    sessions = make_sessionmaker(engine)
    best = float("inf")
    lines = ""
    for _ in range(repeat):
        started = time.perf_counter()
        decisions = await owner_decisions(sessions)
        learned = calibrate(
            decisions.decisions,
            now=datetime.now(UTC),
            half_life_days=LearningSettings().half_life_days,
        )
        await past_rejections(sessions, fingerprints)
        best = min(best, time.perf_counter() - started)
        applied = learned.lines()
        lines = f"{len(learned.cell)} cells; " + "; ".join([*applied[:3], applied[-1]])
    await engine.dispose()
    return best, lines


def main() -> None:
    """Build one database of many decisions and time what a run reads of them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suggestions", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=30, help="runs whose watch saw each deployed")
    parser.add_argument("--repeat", type=int, default=3, help="readings to time; the best counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        fingerprints = asyncio.run(_build(path, args.suggestions, args.runs))
        seconds, lines = asyncio.run(_time(path, fingerprints, args.repeat))
    print(
        f"{args.suggestions:,} decided suggestions, {args.suggestions // 3 * args.runs:,} "
        f"track records: decisions read and calibrated in {seconds:.3f} s"
    )
    print(f"learned: {lines}")


if __name__ == "__main__":
    main()
