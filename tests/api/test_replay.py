"""Every suggestion's replay in the API and on the review page; old rows without one still show."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime

from homehabits.patterns.habit import pattern_to_dict
from homehabits.store import repository
from homehabits.store.records import SuggestionReplay
from tests.api.conftest import Running
from tests.api.test_stored_records import _habit, _store_run, _suggestion

_FIGURES = {"fires", "useful", "idle", "wrong", "saved", "wrong_rate"}


def _cards(page: str) -> dict[int, str]:
    """Each card's HTML by suggestion id."""
    pieces = re.split(r'<li class="card" id="suggestion-(\d+)"', page)
    return {int(pieces[i]): pieces[i + 1] for i in range(1, len(pieces) - 1, 2)}


async def test_every_demo_suggestion_carries_its_replay_in_the_api_and_on_the_page(
    running: Running,
) -> None:
    run = await running.run_analysis()
    assert run["status"] == "succeeded", run
    assert "replay" in run["phase_seconds"]

    listed = (await running.client.get("/api/suggestions?limit=500")).json()["items"]
    page = (await running.client.get("/")).text
    cards = _cards(page)

    assert listed
    crosses = 0
    for item in listed:
        replay = item["replay"]
        assert set(replay) >= _FIGURES
        assert replay["fires"] == replay["useful"] + replay["idle"] + replay["wrong"]
        detail = (await running.client.get(f"/api/suggestions/{item['id']}")).json()
        assert detail["replay"] == replay
        assert "condition_note" in detail
        record = await repository.get_suggestion(running.service.sessions, item["id"])
        assert record.replay is not None
        card = html.unescape(cards[item["id"]])
        assert f"it {record.replay.sentence}." in card
        # each wrong fire is a cross on the evidence picture
        if 'class="evidence' in card:
            assert card.count('class="ev-wrong"') == len(replay["wrong_times"])
            crosses += len(replay["wrong_times"])
    assert crosses, "some demo suggestions would have been wrong now and then"


async def test_an_old_suggestion_without_a_replay_still_shows(running: Running) -> None:
    habit = _habit()
    # as stored before suggestions were replayed: no replay, no condition note
    old_row = _suggestion(habit, pattern_to_dict(habit))
    assert old_row.replay is None
    [old_id] = await _store_run(running.service.sessions, [old_row], [])
    replayed = SuggestionReplay(
        fires=12,
        useful=10,
        idle=1,
        wrong=1,
        saved=10,
        wrong_rate=1 / 12,
        days=14,
        wrong_times=(datetime(2026, 2, 20, 6, 0, tzinfo=UTC),),
    )
    newer = _habit(1)
    note = "only when it is dark: without it 40 % of its fires were wrong, with it 8 %"
    replayed_row = replace(
        _suggestion(newer, pattern_to_dict(newer)), replay=replayed, condition_note=note
    )
    [new_id] = await _store_run(running.service.sessions, [replayed_row], [])

    old = await running.client.get(f"/api/suggestions/{old_id}")
    new = (await running.client.get(f"/api/suggestions/{new_id}")).json()
    page = await running.client.get("/")

    assert old.status_code == 200, old.text
    assert old.json()["replay"] is None
    assert old.json()["condition_note"] is None
    assert new["replay"]["wrong_times"] == ["2026-02-20T06:00:00Z"]
    assert {key: new["replay"][key] for key in _FIGURES} == {
        "fires": 12,
        "useful": 10,
        "idle": 1,
        "wrong": 1,
        "saved": 10,
        "wrong_rate": 1 / 12,
    }
    assert page.status_code == 200
    cards = _cards(page.text)
    assert "Over the history" not in cards[old_id]
    assert (
        "it would have fired 12 times in 14 days: 10 as you did, 1 when it already was, "
        "1 when you didn't; saves 10 taps." in html.unescape(cards[new_id])
    )
    assert f"Condition chosen by replay: {note}." in html.unescape(cards[new_id])
    assert new["condition_note"] == note
    assert cards[new_id].count('class="ev-wrong"') == 1
    assert 'class="ev-wrong"' not in cards[old_id]
