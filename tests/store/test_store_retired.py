"""A pending suggestion whose habit is gone retires, and comes back when the habit returns."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from homehabits.config import Settings
from homehabits.exceptions import HomeHabitsError
from homehabits.job import AnalysisResult, AnalysisRunner
from homehabits.sources.event_file import EventFileSource
from homehabits.store import repository
from homehabits.store.engine import Sessions
from homehabits.store.records import RunStatus, SuggestionRecord, SuggestionStatus

from .conftest import WINDOW_END

_DAYS = 30
_JITTER = (-2, 1, 0, 2, -1, 1, -1)
S = SuggestionStatus


def _events(path: Path, *habits: tuple[str, str, int]) -> Path:
    """Each (entity, "HH:MM", days) switched on by hand on the window's first `days` days."""
    lines = ["time,entity_id,state,origin"]
    first = (WINDOW_END - timedelta(days=_DAYS)).date()
    # every file covers the same window: a sensor reports on its first and last day
    for day in (0, _DAYS - 1):
        moment = datetime.combine(first + timedelta(days=day), time(12), tzinfo=UTC)
        lines.append(f"{moment.isoformat()},sensor.outside,{day},device")
    for day in range(_DAYS):
        for entity, clock, days in habits:
            if day >= days:
                continue
            moment = datetime.combine(
                first + timedelta(days=day), time.fromisoformat(clock), tzinfo=UTC
            ) + timedelta(minutes=_JITTER[day % len(_JITTER)])
            lines.append(f"{moment.isoformat()},{entity},on,user")
            lines.append(f"{(moment + timedelta(minutes=35)).isoformat()},{entity},off,automation")
    path.write_text("\n".join(lines) + "\n")
    return path


async def _analyse(sessions: Sessions, path: Path) -> AnalysisResult:
    source = EventFileSource(path, time_zone="UTC")
    result = await AnalysisRunner(Settings(), sessions, lambda: source).run("cli")
    assert result.run.summary.status is RunStatus.SUCCEEDED, result.run.summary.errors
    return result


async def _of(sessions: Sessions, entity: str) -> list[SuggestionRecord]:
    return [
        s
        for s in await repository.list_suggestions(sessions, limit=1000)
        if s.target_entity == entity and s.pattern["target_state"] == "on"
    ]


async def test_a_stopped_habit_is_retired_and_comes_back_pending_when_it_returns(
    sessions: Sessions, tmp_path: Path
) -> None:
    both = (("light.porch", "21:29", _DAYS), ("light.hall", "07:25", _DAYS))
    await _analyse(sessions, _events(tmp_path / "a.csv", *both))
    [hall] = await _of(sessions, "light.hall")
    assert hall.status is S.PENDING

    # the household stops switching the hall light on two thirds into the window
    stopped = await _analyse(
        sessions, _events(tmp_path / "b.csv", both[0], ("light.hall", "07:25", 20))
    )

    [retired] = await _of(sessions, "light.hall")
    assert (retired.id, retired.status) == (hall.id, S.RETIRED)
    [porch] = await _of(sessions, "light.porch")
    assert porch.status is S.PENDING
    assert stopped.run.summary.suggestions_dropped >= 1
    history = await repository.review_history(sessions, hall.id)
    assert history[-1].action == "retired"
    assert history[-1].reason is not None
    assert history[-1].reason.startswith("stopped")
    # a retired habit is no active one, and it is not listed as pending
    pending = await repository.list_suggestions(sessions, status=S.PENDING, limit=1000)
    assert hall.id not in [s.id for s in pending]
    assert [s.id for s in await repository.list_suggestions(sessions, status=S.RETIRED)] == [
        hall.id
    ]

    returned = await _analyse(sessions, _events(tmp_path / "c.csv", *both))

    [back] = await _of(sessions, "light.hall")
    assert (back.id, back.status) == (hall.id, S.PENDING)
    assert returned.run.summary.suggestions_created == 0
    history = await repository.review_history(sessions, hall.id)
    assert [entry.action for entry in history[-2:]] == ["retired", "pending"]
    assert history[-1].reason == "the habit was found again"


async def test_a_habit_not_found_at_all_retires_its_pending_suggestion(
    sessions: Sessions, tmp_path: Path
) -> None:
    await _analyse(sessions, _events(tmp_path / "a.csv", ("light.hall", "07:25", _DAYS)))
    [hall] = await _of(sessions, "light.hall")

    await _analyse(sessions, _events(tmp_path / "b.csv", ("light.porch", "21:29", _DAYS)))

    [retired] = await _of(sessions, "light.hall")
    assert retired.status is S.RETIRED
    history = await repository.review_history(sessions, hall.id)
    assert history[-1].reason == "the habit was not found in the latest analysis"


async def test_approved_deployed_and_rejected_suggestions_are_never_retired(
    sessions: Sessions, tmp_path: Path
) -> None:
    habits = [
        ("light.hall", "07:25", _DAYS),
        ("light.porch", "21:29", _DAYS),
        ("light.desk", "09:10", _DAYS),
        ("light.stairs", "23:05", _DAYS),
    ]
    await _analyse(sessions, _events(tmp_path / "a.csv", *habits))
    [hall], [porch], [desk], [stairs] = [await _of(sessions, h[0]) for h in habits]
    await repository.change_status(sessions, hall.id, S.APPROVED)
    await repository.change_status(sessions, porch.id, S.APPROVED)
    await repository.change_status(sessions, porch.id, S.DEPLOYED)
    await repository.change_status(sessions, desk.id, S.REJECTED, reason="no")

    # every habit is gone: none of them is done any more
    await _analyse(sessions, _events(tmp_path / "b.csv", ("light.garden", "20:00", _DAYS)))

    statuses = {h[0]: (await _of(sessions, h[0]))[0].status for h in habits}
    assert statuses == {
        "light.hall": S.APPROVED,
        "light.porch": S.DEPLOYED,
        "light.desk": S.REJECTED,
        "light.stairs": S.RETIRED,
    }
    assert stairs.status is S.PENDING


async def test_a_failed_analysis_retires_nothing(sessions: Sessions, tmp_path: Path) -> None:
    await _analyse(sessions, _events(tmp_path / "a.csv", ("light.hall", "07:25", _DAYS)))
    empty = tmp_path / "b.csv"
    empty.write_text("time,entity_id,state,origin\n")

    source = EventFileSource(empty, time_zone="UTC")
    with pytest.raises(HomeHabitsError, match="no state changes"):
        await AnalysisRunner(Settings(), sessions, lambda: source).run("cli")

    [hall] = await _of(sessions, "light.hall")
    assert hall.status is S.PENDING
