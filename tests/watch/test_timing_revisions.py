"""Revisions that move a deployed automation to where the person acts: its time, or its delay."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, time, timedelta
from typing import Any

from homehabits.automations.checker import check_automation
from homehabits.automations.dialects import convert_dialect
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Dialect, WatchSettings
from homehabits.context import Entity, HomeContext, Location
from homehabits.patterns.habit import ALL_DAYS, HabitKind, Pattern, pattern_to_dict
from homehabits.replay.history import History
from homehabits.store.records import NewSuggestion, SuggestionRecord
from homehabits.watch import WatchedAutomation, watch_automation
from homehabits.watch.revise import Revision, propose_revisions
from homehabits.writers.template import template_words

from .test_watch import DAYS, END, START, _at, _frame

HALL = "light.hall"
UTILITY = "light.utility_room"
CONTEXT = HomeContext(
    time_zone="Europe/Berlin",
    entities={HALL: Entity(HALL, "Hall light"), UTILITY: Entity(UTILITY, "Utility room light")},
)
HALL_ON = {
    "id": "homehabits_hall",
    "alias": "Hall light on at 07:00",
    "triggers": [{"trigger": "time", "at": "07:00:00"}],
    "actions": [{"action": "light.turn_on", "target": {"entity_id": HALL}}],
    "mode": "single",
}
UTILITY_OFF = {
    "id": "homehabits_utility",
    "alias": "Utility room light off after 5 min",
    "triggers": [{"trigger": "state", "entity_id": UTILITY, "to": "on", "for": "00:05:00"}],
    "actions": [{"action": "light.turn_off", "target": {"entity_id": UTILITY}}],
    "mode": "restart",
}
Row = tuple[datetime, str, str, str | None, str]


def _record(automation: dict[str, Any], dialect: Dialect, kind: HabitKind) -> SuggestionRecord:
    target = HALL if kind is HabitKind.TIME_OF_DAY else UTILITY
    habit = Pattern(
        kind=kind,
        target_entity=target,
        target_state="on" if kind is HabitKind.TIME_OF_DAY else "off",
        time_of_day=time(7, 0) if kind is HabitKind.TIME_OF_DAY else None,
        duration_seconds=300.0 if kind is HabitKind.AUTO_OFF else None,
        weekdays=ALL_DAYS,
        confidence=0.8,
        known_as=str(automation["id"]).removeprefix("homehabits_"),
    )
    stored = convert_dialect(automation, dialect)
    new = NewSuggestion(
        fingerprint=str(automation["id"]).removeprefix("homehabits_"),
        kind=kind.value,
        title=str(automation["alias"]),
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
        automation=stored,
        yaml=automation_to_yaml(stored),
        dialect=dialect.value,
        diff=None,
        pattern=pattern_to_dict(habit),
        author="template",
    )
    now = datetime(2026, 3, 2, tzinfo=UTC)
    return SuggestionRecord(
        **asdict(new), id=9, run_id=1, status="deployed", created_at=now, updated_at=now
    )


def _revise(
    rows: list[Row], automation: dict[str, Any], kind: HabitKind, dialect: Dialect
) -> list[Revision]:
    frame = _frame(sorted(rows))
    watched = watch_automation(
        frame,
        CONTEXT,
        WatchedAutomation(
            alias=str(automation["alias"]),
            config=convert_dialect(automation, dialect),
            automation_id=str(automation["id"]),
            entity_id=f"automation.{str(automation['id']).removeprefix('homehabits_')}",
            suggestion_id=9,
        ),
        window_start=START,
        window_end=END,
    )
    return propose_revisions(
        [watched],
        {9: _record(automation, dialect, kind)},
        frame,
        CONTEXT,
        window_start=START,
        window_end=END,
        settings=WatchSettings(),
    )


def _early_mornings(*, overslept: frozenset[int] = frozenset({3, 17})) -> list[Row]:
    """The hall light on by hand at 06:36–06:44 every morning, before the 07:00 automation.

    On the mornings someone overslept the automation switched it on itself; either way the
    light goes off by hand at 08:15.
    """
    rows: list[Row] = []
    for day in range(DAYS):
        if day in overslept:
            rows.append((_at(day, 7, 0, 1), HALL, "on", "off", "automation"))
        else:
            rows.append((_at(day, 6, 36 + day % 9), HALL, "on", "off", "user"))
        rows.append((_at(day, 8, 15), HALL, "off", "on", "user"))
    return rows


def test_a_07_00_light_switched_on_by_hand_at_06_40_is_moved_to_06_40() -> None:
    [revision] = _revise(_early_mornings(), HALL_ON, HabitKind.TIME_OF_DAY, Dialect.MODERN)

    draft = revision.draft
    assert revision.revises == 9
    assert not revision.turns_off
    assert draft.pattern.kind is HabitKind.REVISION
    assert draft.automation_id == "homehabits_hall"  # deploying it replaces the deployed one
    check_automation(draft.automation, Dialect.MODERN)
    [trigger] = draft.automation["triggers"]
    assert trigger["trigger"] == "time"
    assert trigger["at"] == "06:40:00"
    assert draft.automation["actions"] == HALL_ON["actions"]
    assert draft.pattern.time_of_day == time(6, 40)
    assert draft.diff is not None
    assert '-  at: "07:00:00"' in draft.diff
    assert '+  at: "06:40:00"' in draft.diff
    assert draft.automation["alias"] == "Hall light on at 06:40"  # its name follows the move
    words = template_words(draft, CONTEXT)
    assert words.title == "Move 'Hall light on at 07:00' from 07:00 to 06:40"
    assert words.description == (
        "Moves 'Hall light on at 07:00' from 07:00 to 06:40, when you turn it on yourself."
    )
    assert "done by hand before it fired on 26 days, at about 06:40" in words.rationale
    assert "with 06:40 it would have done as you did 26 times" in words.rationale


def test_the_moved_clock_revision_keeps_the_legacy_dialect_it_was_deployed_in() -> None:
    [revision] = _revise(_early_mornings(), HALL_ON, HabitKind.TIME_OF_DAY, Dialect.LEGACY)

    automation = revision.draft.automation
    check_automation(automation, Dialect.LEGACY)
    [trigger] = automation["trigger"]
    assert trigger == {"platform": "time", "at": "06:40:00"}
    assert "triggers" not in automation


def test_a_person_at_no_steady_time_gets_no_move() -> None:
    rows: list[Row] = []
    for day in range(DAYS):
        # anywhere between 06:05 and 07:55: no time of their own to move it to
        minute = (day * 37) % 110
        rows.append((_at(day, 6, 5) + timedelta(minutes=minute), HALL, "on", "off", "user"))
        rows.append((_at(day, 9, 0), HALL, "off", "on", "user"))

    assert _revise(rows, HALL_ON, HabitKind.TIME_OF_DAY, Dialect.MODERN) == []


def test_a_few_early_mornings_move_nothing() -> None:
    # the automation did it on all but four mornings: the person's own time is no habit
    rows = _early_mornings(overslept=frozenset(range(DAYS)) - {2, 9, 16, 23})

    assert _revise(rows, HALL_ON, HabitKind.TIME_OF_DAY, Dialect.MODERN) == []


def _evenings_cut_short() -> list[Row]:
    """The utility room light on by hand each evening for 16–26 minutes.

    The 5-minute auto-off switches it off while the person is still there, every 5 minutes;
    each time they switch it straight back on within a minute or two.
    """
    rows: list[Row] = []
    for day in range(DAYS):
        start = _at(day, 19, day % 30)
        ends = start + timedelta(minutes=16 + (day * 7) % 11)
        rows.append((start, UTILITY, "on", "off", "user"))
        on_since = start
        while on_since + timedelta(minutes=5) < ends:
            cut = on_since + timedelta(minutes=5, seconds=1)
            back = cut + timedelta(seconds=40 + (day * 13) % 60)
            if back >= ends:
                break
            rows.append((cut, UTILITY, "off", "on", "automation"))
            rows.append((back, UTILITY, "on", "off", "user"))
            on_since = back
        rows.append((ends, UTILITY, "off", "on", "user"))
    return rows


def test_a_5_minute_auto_off_people_keep_undoing_waits_as_long_as_they_stay() -> None:
    [revision] = _revise(_evenings_cut_short(), UTILITY_OFF, HabitKind.AUTO_OFF, Dialect.MODERN)

    draft = revision.draft
    assert not revision.turns_off
    check_automation(draft.automation, Dialect.MODERN)
    [trigger] = draft.automation["triggers"]
    assert trigger["entity_id"] == UTILITY
    assert trigger["to"] == "on"
    assert trigger["for"] == "00:20:00"
    assert draft.automation["alias"] == "Utility room light off after 20 min"
    assert draft.pattern.duration_seconds == 1200.0
    words = template_words(draft, CONTEXT)
    assert words.title == "Let 'Utility room light off after 5 min' wait 20 min"
    assert words.description.startswith("Waits 20 min instead of 5 min before switching it off")
    assert "your own sessions lasted" in words.rationale
    assert "with 20 min it would have done as you did" in words.rationale


def test_the_longer_auto_off_is_valid_in_the_legacy_dialect_too() -> None:
    [revision] = _revise(_evenings_cut_short(), UTILITY_OFF, HabitKind.AUTO_OFF, Dialect.LEGACY)

    automation = revision.draft.automation
    check_automation(automation, Dialect.LEGACY)
    [trigger] = automation["trigger"]
    assert (trigger["platform"], trigger["for"]) == ("state", "00:20:00")


PORCH = "light.porch_lantern"
SUNNY = HomeContext(
    time_zone="Europe/Berlin",
    entities={PORCH: Entity(PORCH, "Porch lantern")},
    location=Location(52.52, 13.40),
)
PORCH_AT_SUNSET = {
    "id": "homehabits_porch",
    "alias": "Porch lantern on at sunset",
    "triggers": [{"trigger": "sun", "event": "sunset"}],
    "actions": [{"action": "light.turn_on", "target": {"entity_id": PORCH}}],
    "mode": "single",
}


def test_a_sunset_light_switched_on_half_an_hour_before_gets_the_person_s_offset() -> None:
    sunsets = History(
        _frame([(START, PORCH, "off", "off", "device")]),
        SUNNY,
        (),
        window_start=START,
        window_end=END,
    ).sun
    assert sunsets is not None
    rows: list[Row] = []
    for day, sunset in enumerate(sorted(sunsets["sunset"].drop_nulls().to_list())):
        if not START <= sunset < END:
            continue
        rows.append((sunset - timedelta(minutes=28 + day % 5), PORCH, "on", "off", "user"))
        rows.append((sunset.replace(hour=22, minute=30), PORCH, "off", "on", "user"))
    frame = _frame(sorted(rows))
    watched = watch_automation(
        frame,
        SUNNY,
        WatchedAutomation(
            alias="Porch lantern on at sunset",
            config=PORCH_AT_SUNSET,
            automation_id="homehabits_porch",
            suggestion_id=9,
        ),
        window_start=START,
        window_end=END,
    )
    # its time moves with the sun, and the watch reads the misses around each day's sunset
    assert len(watched.misses) == len(rows) // 2
    assert f"done by hand {len(rows) // 2} times when it had not fired" in watched.words
    record = _record(PORCH_AT_SUNSET, Dialect.MODERN, HabitKind.TIME_OF_DAY)

    [revision] = propose_revisions(
        [watched],
        {9: record},
        frame,
        SUNNY,
        window_start=START,
        window_end=END,
        settings=WatchSettings(),
    )

    [trigger] = revision.draft.automation["triggers"]
    assert trigger == {"trigger": "sun", "event": "sunset", "offset": "-00:30:00"}
    check_automation(revision.draft.automation, Dialect.MODERN)
    check_automation(convert_dialect(revision.draft.automation, Dialect.LEGACY), Dialect.LEGACY)
    words = template_words(revision.draft, SUNNY)
    assert words.title == "Move 'Porch lantern on at sunset' from sunset to 30 min before sunset"
    assert revision.draft.automation["alias"] == "Porch lantern on 30 min before sunset"
    assert revision.draft.pattern.sun_offset_minutes == -30.0
    assert "done by hand before it on" in words.rationale


def test_a_22_00_switch_off_people_undo_to_switch_off_at_22_40_moves_later() -> None:
    hall_off = {
        "id": "homehabits_halloff",
        "alias": "Hall light off at 22:00",
        "triggers": [{"trigger": "time", "at": "22:00:00"}],
        "actions": [{"action": "light.turn_off", "target": {"entity_id": HALL}}],
        "mode": "single",
    }
    rows: list[Row] = []
    for day in range(DAYS):
        rows.append((_at(day, 19, 0), HALL, "on", "off", "user"))
        rows.append((_at(day, 22, 0, 1), HALL, "off", "on", "automation"))
        rows.append((_at(day, 22, 2), HALL, "on", "off", "user"))  # not yet: back on
        rows.append((_at(day, 22, 37 + day % 7), HALL, "off", "on", "user"))
    record = _record(hall_off, Dialect.MODERN, HabitKind.TIME_OF_DAY)
    frame = _frame(sorted(rows))
    watched = watch_automation(
        frame,
        CONTEXT,
        WatchedAutomation(
            alias="Hall light off at 22:00",
            config=hall_off,
            automation_id="homehabits_halloff",
            suggestion_id=9,
        ),
        window_start=START,
        window_end=END,
    )
    assert len(watched.reverts) == DAYS

    [revision] = propose_revisions(
        [watched],
        {9: record},
        frame,
        CONTEXT,
        window_start=START,
        window_end=END,
        settings=WatchSettings(),
    )

    [trigger] = revision.draft.automation["triggers"]
    assert trigger["at"] == "22:40:00"
    words = template_words(revision.draft, CONTEXT)
    assert words.title == "Move 'Hall light off at 22:00' from 22:00 to 22:40"
    assert "when you turn it off yourself" in words.description
    assert "done by hand after it on 28 days" in words.rationale


def test_an_auto_off_written_as_a_delay_gets_a_longer_delay() -> None:
    with_delay = {
        **UTILITY_OFF,
        "triggers": [{"trigger": "state", "entity_id": UTILITY, "to": "on"}],
        "actions": [{"delay": "00:05:00"}, *UTILITY_OFF["actions"]],
    }

    [revision] = _revise(_evenings_cut_short(), with_delay, HabitKind.AUTO_OFF, Dialect.MODERN)

    automation = revision.draft.automation
    check_automation(automation, Dialect.MODERN)
    assert automation["triggers"] == with_delay["triggers"]
    [delay] = [action["delay"] for action in automation["actions"] if "delay" in action]
    # cuts closer than its delay and a minute are one fire to the watch, so fewer of them are
    # taken out as undone: the sessions read shorter, the delay is still well over 5 minutes
    assert delay in ("00:15:00", "00:20:00")
    assert automation["actions"][1:] == UTILITY_OFF["actions"]
