"""A habit found again a little changed keeps its fingerprint: rejections, refreshes, cached words."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select, update

from homehabits.config import Settings
from homehabits.job import AnalysisResult, AnalysisRunner
from homehabits.sources.event_file import EventFileSource
from homehabits.store import repository
from homehabits.store.engine import Sessions
from homehabits.store.records import RunStatus, SuggestionRecord, SuggestionStatus
from homehabits.store.tables import FeedbackRow, PatternRow, SuggestionRow
from tests.fakes.fake_openai import FakeOpenAIServer

from .conftest import WINDOW_END

_DAYS = 28
_JITTER = (-2, 1, 0, 2, -1, 1, -1)  # minutes around the habit's time, day by day


def _events(path: Path, *habits: tuple[str, str]) -> Path:
    """An event file: each (entity, "HH:MM") switched on by hand every day, off by automation."""
    lines = ["time,entity_id,state,origin"]
    first = (WINDOW_END - timedelta(days=_DAYS)).date()
    for day in range(_DAYS):
        for entity, clock in habits:
            moment = datetime.combine(
                first + timedelta(days=day), time.fromisoformat(clock), tzinfo=UTC
            ) + timedelta(minutes=_JITTER[day % len(_JITTER)])
            lines.append(f"{moment.isoformat()},{entity},on,user")
            lines.append(f"{(moment + timedelta(minutes=35)).isoformat()},{entity},off,automation")
    path.write_text("\n".join(lines) + "\n")
    return path


async def _analyse(
    sessions: Sessions, path: Path, settings: Settings | None = None
) -> AnalysisResult:
    source = EventFileSource(path, time_zone="UTC")
    result = await AnalysisRunner(settings or Settings(), sessions, lambda: source).run("cli")
    assert result.run.summary.status is RunStatus.SUCCEEDED, result.run.summary.errors
    return result


def _switching_on(suggestions: list[SuggestionRecord], entity: str) -> list[SuggestionRecord]:
    return [
        s
        for s in suggestions
        if s.target_entity == entity
        and s.kind == "time_of_day"
        and s.pattern["target_state"] == "on"
    ]


async def _all_suggestions(sessions: Sessions, entity: str) -> list[SuggestionRecord]:
    return _switching_on(await repository.list_suggestions(sessions, limit=1000), entity)


async def test_a_rejected_habit_drifting_from_21_29_to_21_31_is_not_suggested_again(
    sessions: Sessions, tmp_path: Path
) -> None:
    first = await _analyse(sessions, _events(tmp_path / "a.csv", ("light.porch", "21:29")))
    [porch] = _switching_on(first.suggestions, "light.porch")
    assert porch.pattern["time_of_day"].startswith("21:29")
    await repository.change_status(sessions, porch.id, SuggestionStatus.REJECTED, reason="no")

    second = await _analyse(sessions, _events(tmp_path / "b.csv", ("light.porch", "21:31")))

    assert _switching_on(second.suggestions, "light.porch") == []
    [found] = [
        p
        for p in await repository.list_patterns(sessions, run_id=second.run.id)
        if p.target_entity == "light.porch" and p.data["target_state"] == "on"
    ]
    assert found.data["time_of_day"].startswith("21:31")
    assert found.fingerprint == porch.fingerprint
    assert [s.status for s in await _all_suggestions(sessions, "light.porch")] == [
        SuggestionStatus.REJECTED
    ]


async def test_a_pending_suggestion_is_brought_up_to_date_when_its_time_moves_across_hh_30(
    sessions: Sessions, tmp_path: Path
) -> None:
    first = await _analyse(sessions, _events(tmp_path / "a.csv", ("light.hall", "07:25")))
    [before] = _switching_on(first.suggestions, "light.hall")

    second = await _analyse(sessions, _events(tmp_path / "b.csv", ("light.hall", "07:35")))

    assert second.run.summary.suggestions_created == 0
    assert second.run.summary.suggestions_refreshed >= 1
    [after] = await _all_suggestions(sessions, "light.hall")
    assert after.id == before.id
    assert after.status is SuggestionStatus.PENDING
    assert after.fingerprint == before.fingerprint
    assert after.pattern["time_of_day"].startswith("07:35")
    assert "07:35" in after.title


async def test_the_words_cache_is_used_when_the_habit_drifts(
    sessions: Sessions, tmp_path: Path
) -> None:
    with FakeOpenAIServer(latency=0.01) as server:
        settings = Settings(
            openai_base_url=server.base_url, openai_api_key="sk-test", openai_model="fake-model"
        )
        first = await _analyse(
            sessions, _events(tmp_path / "a.csv", ("light.hall", "21:29")), settings
        )
        second = await _analyse(
            sessions, _events(tmp_path / "b.csv", ("light.hall", "21:39")), settings
        )

    [written] = _switching_on(first.suggestions, "light.hall")
    assert written.author == "fake-model"
    assert first.run.summary.model_calls >= 1
    assert second.run.summary.model_calls == 0
    assert second.run.summary.cache_hits == first.run.summary.model_calls
    [kept] = await _all_suggestions(sessions, "light.hall")
    assert (kept.id, kept.title) == (written.id, written.title)


async def test_two_habits_of_one_light_in_the_morning_and_at_night_stay_two(
    sessions: Sessions, tmp_path: Path
) -> None:
    first = await _analyse(
        sessions,
        _events(tmp_path / "a.csv", ("light.porch", "07:00"), ("light.porch", "22:00")),
    )
    by_time = {
        s.pattern["time_of_day"][:2]: s for s in _switching_on(first.suggestions, "light.porch")
    }
    assert set(by_time) == {"07", "22"}
    assert by_time["07"].fingerprint != by_time["22"].fingerprint
    await repository.change_status(sessions, by_time["07"].id, SuggestionStatus.REJECTED)

    second = await _analyse(
        sessions,
        _events(tmp_path / "b.csv", ("light.porch", "07:10"), ("light.porch", "21:50")),
    )

    assert second.run.summary.suggestions_created == 0
    stored = {s.fingerprint: s for s in await _all_suggestions(sessions, "light.porch")}
    assert set(stored) == {by_time["07"].fingerprint, by_time["22"].fingerprint}
    assert stored[by_time["07"].fingerprint].status is SuggestionStatus.REJECTED
    evening = stored[by_time["22"].fingerprint]
    assert evening.status is SuggestionStatus.PENDING
    assert evening.pattern["time_of_day"].startswith("21:50")


async def test_a_habit_drifting_across_midnight_keeps_its_fingerprint(
    sessions: Sessions, tmp_path: Path
) -> None:
    first = await _analyse(sessions, _events(tmp_path / "a.csv", ("light.stairs", "23:25")))
    [late] = _switching_on(first.suggestions, "light.stairs")

    second = await _analyse(sessions, _events(tmp_path / "b.csv", ("light.stairs", "00:05")))

    assert second.run.summary.suggestions_created == 0
    [after] = await _all_suggestions(sessions, "light.stairs")
    assert (after.id, after.fingerprint) == (late.id, late.fingerprint)
    assert after.pattern["time_of_day"].startswith("00:05")


async def test_a_suggestion_stored_before_under_another_fingerprint_scheme_is_still_found(
    sessions: Sessions, tmp_path: Path
) -> None:
    first = await _analyse(sessions, _events(tmp_path / "a.csv", ("light.porch", "21:29")))
    [porch] = _switching_on(first.suggestions, "light.porch")
    # a row written by an older homehabits, whose fingerprints were made another way
    await _rename_fingerprint(sessions, porch.id, "0123456789abcdef")
    await repository.change_status(sessions, porch.id, SuggestionStatus.REJECTED)

    second = await _analyse(sessions, _events(tmp_path / "b.csv", ("light.porch", "21:40")))

    assert _switching_on(second.suggestions, "light.porch") == []
    assert await repository.rejected_fingerprints(
        sessions, since=WINDOW_END - timedelta(days=1)
    ) == {"0123456789abcdef"}


async def test_known_habits_leave_out_old_rejections_and_older_runs(
    sessions: Sessions, tmp_path: Path
) -> None:
    first = await _analyse(sessions, _events(tmp_path / "a.csv", ("light.porch", "21:29")))
    [porch] = _switching_on(first.suggestions, "light.porch")
    await repository.change_status(sessions, porch.id, SuggestionStatus.REJECTED)
    rejected_at = (await repository.get_suggestion(sessions, porch.id)).updated_at
    second = await _analyse(sessions, _events(tmp_path / "b.csv", ("light.hall", "07:00")))

    holding = await repository.known_habits(sessions, rejected_since=rejected_at)
    expired = await repository.known_habits(
        sessions, rejected_since=rejected_at + timedelta(seconds=1)
    )

    latest = {p.fingerprint for p in await repository.list_patterns(sessions, run_id=second.run.id)}
    open_ones = {
        s.fingerprint
        for s in await repository.list_suggestions(sessions, limit=1000)
        if s.status is not SuggestionStatus.REJECTED
    }
    assert porch.fingerprint in {habit.fingerprint for habit in holding}
    assert porch.fingerprint not in latest
    assert {habit.fingerprint for habit in expired} == latest | open_ones


async def _rename_fingerprint(sessions: Sessions, suggestion_id: int, fingerprint: str) -> None:
    """Give a suggestion, and the habit its run found, the fingerprint an older version made."""
    async with sessions.begin() as session:
        old = await session.scalar(
            select(SuggestionRow.fingerprint).where(SuggestionRow.id == suggestion_id)
        )
        for table in (SuggestionRow, PatternRow, FeedbackRow):
            await session.execute(
                update(table).where(table.fingerprint == old).values(fingerprint=fingerprint)
            )
