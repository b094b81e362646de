"""Benchmark: storing suggestions on SQLite — commit per row (DELETE/FULL, WAL/NORMAL) vs one transaction.

Run: `python bench/store.py [--sizes 10 100 1000] [--folder DIR]`. Stores n realistic suggestions
(about 1 KB of automation and pattern JSON each) three ways, each in a fresh database file:

  a  one commit per row, journal_mode=DELETE, synchronous=FULL (SQLite's defaults)
  b  one commit per row, journal_mode=WAL, synchronous=NORMAL (the store's pragmas)
  c  WAL + NORMAL, all rows in one transaction (the real complete_run)

Prints seconds and the ratio to (a); asserts nothing. The figures depend on the disk: a tmpfs
folder hides the cost of fsync, so pass --folder on a real disk to see it.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import NewSuggestion, RunStatus, RunSummary
from homehabits.store.repository import complete_run, create_run
from homehabits.store.tables import SuggestionRow

__all__ = ["main"]

_ROLLBACK_JOURNAL = {"journal_mode": "DELETE", "synchronous": "FULL"}
_WINDOW_END = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
_WINDOW_START = _WINDOW_END - timedelta(days=30)
_GOAL_SECONDS = 0.25

Store = Callable[[Sessions, list[NewSuggestion]], Awaitable[None]]


def _suggestion(index: int) -> NewSuggestion:
    fingerprint = f"{index:016x}"
    entity = f"light.room_{index % 40}"
    evidence = [
        (_WINDOW_START + timedelta(days=day, hours=6, minutes=index % 50)).isoformat()
        for day in range(12)
    ]
    return NewSuggestion(
        fingerprint=fingerprint,
        kind="time_of_day",
        title=f"Room {index % 40} light on at 06:{index % 50:02d} on weekdays",
        description="Turns the light on every weekday morning, as you do by hand.",
        rationale=f"You switched {entity} on by hand on 19 of 22 weekdays, within 9 minutes.",
        category="lighting",
        confidence=0.8,
        score=0.5 + (index % 100) / 200,
        sensitive=False,
        sensitive_reason=None,
        target_entity=entity,
        trigger_entity=None,
        area_id=f"room_{index % 40}",
        area_name=f"Room {index % 40}",
        automation={
            "id": f"homehabits_{fingerprint}",
            "alias": f"Room {index % 40} light in the morning",
            "description": "Suggested by homehabits from 30 days of history.",
            "triggers": [{"trigger": "time", "at": f"06:{index % 50:02d}:00"}],
            "conditions": [{"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "fri"]}],
            "actions": [
                {
                    "action": "light.turn_on",
                    "target": {"entity_id": entity},
                    "data": {"brightness": 180},
                }
            ],
            "mode": "single",
        },
        yaml=f"alias: Room {index % 40} light in the morning\ntriggers:\n- trigger: time\n",
        dialect="modern",
        diff=None,
        pattern={
            "kind": "time_of_day",
            "fingerprint": fingerprint,
            "target_entity": entity,
            "target_state": "on",
            "time_of_day": f"06:{index % 50:02d}:00",
            "weekdays": [0, 1, 2, 3, 4],
            "occurrences": 19,
            "adherence": 0.86,
            "evidence_times": evidence,
        },
        author="template",
    )


async def _one_commit_per_row(sessions: Sessions, suggestions: list[NewSuggestion]) -> None:
    run_id = await create_run(sessions, "bench", "bench", _WINDOW_START, _WINDOW_END)
    names = [field.name for field in fields(NewSuggestion)]
    for suggestion in suggestions:
        now = datetime.now(UTC)
        values = {name: getattr(suggestion, name) for name in names}
        values.update(run_id=run_id, status="pending", created_at=now, updated_at=now)
        async with sessions.begin() as session:
            await session.execute(insert(SuggestionRow), [values])


async def _one_transaction(sessions: Sessions, suggestions: list[NewSuggestion]) -> None:
    run_id = await create_run(sessions, "bench", "bench", _WINDOW_START, _WINDOW_END)
    summary = RunSummary(status=RunStatus.SUCCEEDED, suggestions_created=len(suggestions))
    await complete_run(sessions, run_id, summary, [], suggestions)


async def _time(
    folder: Path, name: str, pragmas: Mapping[str, str | int], store: Store, n: int
) -> float:
    engine = make_engine(f"sqlite:///{folder}/{name}_{n}.db", sqlite_pragmas=pragmas)
    try:
        await migrate(engine)
        sessions = make_sessionmaker(engine)
        suggestions = [_suggestion(index) for index in range(n)]
        await _one_transaction(sessions, suggestions[:1])  # warm the pool and statement cache
        started = time.perf_counter()
        await store(sessions, suggestions)
        return time.perf_counter() - started
    finally:
        await engine.dispose()


async def _run(sizes: list[int], folder: Path) -> None:
    print(f"folder: {folder}")
    print(
        f"{'n':>6}  {'a: DELETE/FULL':>15}  {'b: WAL/NORMAL':>14}  {'c: WAL, one tx':>15}  "
        f"{'b/a':>6}  {'c/a':>7}"
    )
    one_transaction_1000: float | None = None
    for n in sizes:
        a = await _time(folder, "a", _ROLLBACK_JOURNAL, _one_commit_per_row, n)
        b = await _time(folder, "b", {}, _one_commit_per_row, n)
        c = await _time(folder, "c", {}, _one_transaction, n)
        if n == 1000:
            one_transaction_1000 = c
        print(f"{n:>6}  {a:>14.3f}s  {b:>13.3f}s  {c:>14.3f}s  {b / a:>6.3f}  {c / a:>7.4f}")
    if one_transaction_1000 is not None:
        verdict = "yes" if one_transaction_1000 < _GOAL_SECONDS else "NO"
        print(
            f"1,000 suggestions in one transaction under {_GOAL_SECONDS} s: {verdict} "
            f"({one_transaction_1000:.3f} s)"
        )


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run the three ways for each size, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--folder", type=Path, default=None, help="where the databases go")
    args = parser.parse_args(argv)
    if args.folder is not None:
        args.folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=args.folder) as folder:
            asyncio.run(_run(args.sizes, Path(folder)))
    else:
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(_run(args.sizes, Path(folder)))


if __name__ == "__main__":
    main()
