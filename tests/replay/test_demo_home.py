"""Every kind of automation homehabits compiles for the demo home replays, in both dialects."""

from __future__ import annotations

from collections import defaultdict

import pytest

from homehabits.automations import compile_patterns
from homehabits.config import Dialect
from homehabits.event_cleaning import clean_events
from homehabits.patterns import mine
from homehabits.patterns.habit import HabitKind
from homehabits.replay import Replay, choose_conditions, replay_automation, replay_automations
from homehabits.sources.simulator import SimulatedHome, SimulationConfig, simulate_home


@pytest.fixture(scope="module")
def home() -> SimulatedHome:
    return simulate_home(SimulationConfig())


def _replays(home: SimulatedHome, dialect: Dialect) -> list[tuple[HabitKind, Replay]]:
    return [(kind, replay) for kind, replay, _ in _replays_with_targets(home, dialect)]


def _replays_with_targets(
    home: SimulatedHome, dialect: Dialect
) -> list[tuple[HabitKind, Replay, int]]:
    patterns = mine(
        home.frame, home.context, window_start=home.window_start, window_end=home.window_end
    )
    drafts = compile_patterns(patterns, home.context, dialect=dialect).drafts
    replays = replay_automations(
        [draft.automation for draft in drafts],
        home.frame,
        home.context,
        window_start=home.window_start,
        window_end=home.window_end,
    )
    return [
        (draft.pattern.kind, replay, len(draft.pattern.targets))
        for draft, replay in zip(drafts, replays, strict=True)
    ]


def test_every_kind_homehabits_compiles_replays_without_skipping_anything(
    home: SimulatedHome,
) -> None:
    by_kind: dict[HabitKind, list[tuple[Replay, int]]] = defaultdict(list)
    for kind, replay, targets in _replays_with_targets(home, Dialect.MODERN):
        by_kind[kind].append((replay, targets))
    assert set(by_kind) == set(HabitKind)
    for kind, replays in by_kind.items():
        for replay, targets in replays:
            assert replay.skipped == (), kind
            assert replay.fires > 0, kind
            assert replay.fires == replay.useful + replay.idle + replay.wrong
            # a group's useful fire saves one tap per light it switches (issue 12 item 4)
            assert replay.saved <= replay.useful * targets


def test_planted_clock_habits_help_more_often_than_they_get_it_wrong(
    home: SimulatedHome,
) -> None:
    planted = {
        (habit.target_entity, habit.target_state)
        for habit in home.truth
        if habit.kind is HabitKind.TIME_OF_DAY
    }
    patterns = mine(
        home.frame, home.context, window_start=home.window_start, window_end=home.window_end
    )
    drafts = [
        draft
        for draft in compile_patterns(patterns, home.context, dialect=Dialect.MODERN).drafts
        if draft.pattern.kind is HabitKind.TIME_OF_DAY
        and (draft.pattern.target_entity, draft.pattern.target_state) in planted
    ]
    assert drafts
    # as the run suggests them: with the condition their replay chose (the LED strip only
    # while the bedroom TV plays)
    suggested = choose_conditions(
        drafts,
        clean_events(home.frame),
        home.context,
        window_start=home.window_start,
        window_end=home.window_end,
    )
    for draft in suggested:
        replay = replay_automation(
            draft.automation,
            home.frame,
            home.context,
            window_start=home.window_start,
            window_end=home.window_end,
        )
        assert replay.useful > replay.wrong, (draft.automation["alias"], replay.as_dict())


def test_the_demo_home_replays_the_same_in_both_dialects_and_one_by_one(
    home: SimulatedHome,
) -> None:
    modern, legacy = _replays(home, Dialect.MODERN), _replays(home, Dialect.LEGACY)
    assert modern == legacy
    patterns = mine(
        home.frame, home.context, window_start=home.window_start, window_end=home.window_end
    )
    first = compile_patterns(patterns, home.context, dialect=Dialect.LEGACY).drafts[0]
    alone = replay_automation(
        first.automation,
        home.frame,
        home.context,
        window_start=home.window_start,
        window_end=home.window_end,
    )
    assert alone == modern[0][1]
