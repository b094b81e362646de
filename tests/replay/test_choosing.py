"""Conditions chosen by replay: kept only when they cut wrong fires and keep the useful ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

import polars as pl
import pytest

from homehabits.automations.checker import check_automation
from homehabits.automations.compile import compile_pattern
from homehabits.automations.dialects import convert_dialect
from homehabits.automations.draft import Draft
from homehabits.config import Dialect, MiningSettings
from homehabits.context import Area, Entity, HomeContext
from homehabits.patterns.habit import HabitKind, Pattern
from homehabits.replay import (
    Replay,
    choose_conditions,
    drop_misfiring,
    rank_drafts,
    replay_automation,
)
from homehabits.replay.choosing import WRONG_PENALTY, usefulness

from .conftest import BERLIN_HOME, at, build_frame

DOOR = "binary_sensor.front_door"
HALL = "light.hallway"
MOTION = "binary_sensor.landing_motion"
LANDING = "light.landing"
FIRST = date(2026, 11, 2)  # a Monday; in Berlin the sun sets about 16:30 in November
DAYS = 28

Row = tuple[str, str, str, str]


def _stamp(day: int, clock: str, plus: timedelta = timedelta()) -> str:
    hour, minute = (int(part) for part in clock.split(":"))
    moment = datetime.combine(FIRST + timedelta(days=day), time(hour, minute)) + plus
    return moment.isoformat(sep=" ")


def _opened(day: int, clock: str, sensor: str = DOOR) -> list[Row]:
    return [
        (_stamp(day, clock), sensor, "on", "device"),
        (_stamp(day, clock, timedelta(minutes=1)), sensor, "off", "device"),
    ]


def _switched(day: int, clock: str, light: str = HALL) -> list[Row]:
    """A person switches the light on half a minute after the clock time, off 40 min later."""
    return [
        (_stamp(day, clock, timedelta(seconds=30)), light, "on", "user"),
        (_stamp(day, clock, timedelta(minutes=40)), light, "off", "user"),
    ]


def _sequence(trigger: str = DOOR, target: str = HALL) -> Pattern:
    return Pattern(
        kind=HabitKind.SEQUENCE,
        target_entity=target,
        target_state="on",
        trigger_entity=trigger,
        trigger_state="on",
        lag_seconds=30,
        occurrences=DAYS,
        days_observed=DAYS,
        days_possible=DAYS,
        adherence=0.8,
        confidence=0.8,
        score=0.8,
    )


def _choose(
    pattern: Pattern,
    rows: list[Row],
    *,
    context: HomeContext = BERLIN_HOME,
    dialect: Dialect = Dialect.MODERN,
    days: int = DAYS,
) -> Draft:
    frame = build_frame([*rows, (_stamp(0, "00:01"), HALL, "off", "device")])
    draft = compile_pattern(pattern, context, dialect=dialect)
    [chosen] = choose_conditions(
        [draft],
        frame,
        context,
        window_start=at(_stamp(0, "00:00")),
        window_end=at(_stamp(days, "00:00")),
    )
    # whatever it chose, Home Assistant takes it in both dialects
    check_automation(chosen.automation, chosen.dialect)
    other = Dialect.LEGACY if chosen.dialect is Dialect.MODERN else Dialect.MODERN
    check_automation(convert_dialect(chosen.automation, other), other)
    return chosen


def _conditions(draft: Draft) -> list[dict[str, Any]]:
    modern = convert_dialect(draft.automation, Dialect.MODERN)
    return list(modern.get("conditions", []))


def _varied(day: int, first_hour: int, hours: int) -> str:
    """A clock time that moves around a span of hours from day to day."""
    minutes = (day * 37) % (hours * 60)
    return f"{first_hour + minutes // 60:02d}:{minutes % 60:02d}"


@pytest.mark.parametrize("dialect", [Dialect.MODERN, Dialect.LEGACY])
def test_a_dark_only_habit_gets_a_sun_condition(dialect: Dialect) -> None:
    rows: list[Row] = []
    for day in range(DAYS):
        evening = _varied(day, 18, 4)  # 18:00-22:00: dark all month
        rows += _opened(day, evening) + _switched(day, evening)
        rows += _opened(day, _varied(day, 10, 4))  # daylight: nobody wants the light
    draft = _choose(_sequence(), rows, dialect=dialect)

    [condition] = _conditions(draft)
    assert condition["condition"] == "sun"
    assert condition["after"] == "sunset"
    assert draft.replay is not None
    assert draft.replay.wrong == 0
    assert draft.replay.useful == DAYS
    assert draft.condition_note is not None
    assert draft.condition_note.startswith("only when it is dark")
    assert "without it 50 % of its fires were wrong, with it 0 %" in draft.condition_note
    assert draft.condition_note in draft.pattern.notes
    assert "condition" in draft.yaml


def test_a_daylight_only_habit_gets_no_sun_condition() -> None:
    rows: list[Row] = []
    for day in range(DAYS):
        noon = _varied(day, 10, 4)
        rows += _opened(day, noon) + _switched(day, noon)
        rows += _opened(day, _varied(day, 18, 4))
    draft = _choose(_sequence(), rows)

    assert all(c["condition"] != "sun" for c in _conditions(draft))
    assert draft.replay is not None
    assert draft.replay.useful == DAYS


def test_a_night_only_motion_light_gets_a_time_window() -> None:
    rows: list[Row] = []
    for day in range(DAYS):
        night = f"0{1 + day % 3}:{(day * 7) % 60:02d}"  # 01:00-03:59
        rows += _opened(day, night, MOTION) + _switched(day, night, LANDING)
        # dark too, but nobody wants the landing light then
        rows += _opened(day, _varied(day, 18, 3), MOTION)
        rows += _opened(day, _varied(day, 9, 5), MOTION)
    rows.append((_stamp(0, "00:02"), LANDING, "off", "device"))
    draft = _choose(_sequence(MOTION, LANDING), rows)

    [condition] = _conditions(draft)
    assert condition["condition"] == "time"
    after = time.fromisoformat(condition["after"])
    before = time.fromisoformat(condition["before"])
    assert time(0, 30) <= after <= time(1, 0)
    assert time(4, 0) <= before <= time(4, 30)
    assert draft.replay is not None
    assert draft.replay.wrong == 0
    assert draft.condition_note is not None
    assert draft.condition_note.startswith("only between ")


def test_a_weekday_only_habit_gets_a_weekday_set() -> None:
    machine = "switch.coffee_machine"
    rows: list[Row] = [(_stamp(0, "00:02"), machine, "off", "device")]
    for day in range(DAYS):
        clock = _varied(day, 6, 2)
        rows += _opened(day, clock)
        if (FIRST + timedelta(days=day)).weekday() < 5:
            rows += _switched(day, clock, machine)
    draft = _choose(_sequence(DOOR, machine), rows)

    [condition] = _conditions(draft)
    assert condition == {"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "fri"]}
    assert draft.condition_note is not None
    assert draft.condition_note.startswith("only on weekdays")


def test_an_entity_that_gates_the_action_is_found() -> None:
    tv = "media_player.tv"
    lamp = "light.sofa"
    motion = "binary_sensor.lounge_motion"
    rows: list[Row] = [(_stamp(0, "00:02"), lamp, "off", "device")]
    for day in range(DAYS):
        clock = _varied(day, 19, 2)
        watching = day % 2 == 0
        rows.append((_stamp(day, clock, -timedelta(minutes=5)), tv, "playing", "user"))
        rows += _opened(day, clock, motion)
        if watching:
            rows += _switched(day, clock, lamp)
        else:
            # switched off again before the motion: it plays on only on the evenings watched
            rows.append((_stamp(day, clock, -timedelta(minutes=2)), tv, "off", "user"))
        rows.append((_stamp(day, clock, timedelta(minutes=50)), tv, "off", "user"))
    draft = _choose(_sequence(motion, lamp), rows)

    [condition] = _conditions(draft)
    assert condition == {"condition": "state", "entity_id": tv, "state": "playing"}
    assert draft.condition_note is not None
    assert draft.condition_note.startswith("only while Tv is playing")


def test_a_gate_is_still_found_when_the_person_once_acted_without_it() -> None:
    """Eight evenings with the TV and one without: one stray of nine is within one in ten."""
    tv = "media_player.tv"
    lamp = "light.sofa"
    motion = "binary_sensor.lounge_motion"
    days = 16  # eight evenings with the TV
    rows: list[Row] = [(_stamp(0, "00:02"), lamp, "off", "device")]
    for day in range(days):
        clock = _varied(day, 19, 2)
        watching = day % 2 == 0
        rows.append((_stamp(day, clock, -timedelta(minutes=5)), tv, "playing", "user"))
        rows += _opened(day, clock, motion)
        if not watching:
            rows.append((_stamp(day, clock, -timedelta(minutes=2)), tv, "off", "user"))
        if watching or day == 5:  # one evening the lamp went on with the TV off
            rows += _switched(day, clock, lamp)
        rows.append((_stamp(day, clock, timedelta(minutes=50)), tv, "off", "user"))
    draft = _choose(_sequence(motion, lamp), rows, days=days)

    assert _conditions(draft) == [{"condition": "state", "entity_id": tv, "state": "playing"}]
    assert draft.replay is not None
    assert draft.replay.useful == 9 - 1  # the evening without the TV is the one given up


def test_an_illuminance_sensor_in_the_same_area_is_tried() -> None:
    sensor = "sensor.hall_light_level"
    home = HomeContext(
        time_zone=BERLIN_HOME.time_zone,  # no location: no sun, the sensor has to tell
        entities={
            sensor: Entity(sensor, "Hall light level", area_id="hall", device_class="illuminance"),
            HALL: Entity(HALL, "Hallway light", area_id="hall"),
        },
        areas={"hall": Area("hall", "Hall")},
    )
    rows: list[Row] = []
    for day in range(DAYS):
        evening = _varied(day, 18, 4)
        noon = _varied(day, 10, 4)
        rows.append((_stamp(day, noon, -timedelta(minutes=1)), sensor, "400", "device"))
        rows += _opened(day, noon)
        rows.append((_stamp(day, evening, -timedelta(minutes=1)), sensor, "3", "device"))
        rows += _opened(day, evening) + _switched(day, evening)
    draft = _choose(_sequence(), rows, context=home)

    # the level between the darkest daytime reading and the brightest evening one; listed
    # before the time window, it wins the tie with it
    assert _conditions(draft) == [{"condition": "numeric_state", "entity_id": sensor, "below": 202}]
    assert draft.replay is not None
    assert draft.replay.wrong == 0


def test_a_condition_that_would_lose_useful_fires_is_not_kept() -> None:
    rows: list[Row] = []
    for day in range(DAYS):
        evening = _varied(day, 18, 4)
        rows += _opened(day, evening) + _switched(day, evening)
        noon = _varied(day, 11, 2)
        rows += _opened(day, noon)
        if day % 3 == 0:
            rows += _switched(day, noon)  # a dark hall on some afternoons too
    draft = _choose(_sequence(), rows)

    assert _conditions(draft) == []
    assert draft.condition_note is None
    assert draft.replay is not None
    assert draft.replay.wrong > 0


def _replay(fires: int, useful: int, wrong: int) -> Replay:
    return Replay(
        fires=fires,
        useful=useful,
        idle=fires - useful - wrong,
        wrong=wrong,
        saved=useful,
        wrong_rate=wrong / fires if fires else 0.0,
    )


def _clock_draft(state: str, at: time) -> Draft:
    pattern = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="light.kitchen",
        target_state=state,
        time_of_day=at,
        confidence=0.7,
    )
    return compile_pattern(pattern, BERLIN_HOME, dialect=Dialect.MODERN)


def test_a_clock_off_habit_that_cuts_what_is_in_use_is_dropped() -> None:
    # off at 22:00: of the 14 times it would have switched the light off, 4 were still in use
    # (the 6 fires that found it off already say nothing either way)
    cutting = Draft(**{**_fields(_clock_draft("off", time(22, 0))), "replay": _replay(20, 10, 4)})
    careful = Draft(**{**_fields(_clock_draft("off", time(23, 0))), "replay": _replay(20, 12, 2)})
    early = Draft(**{**_fields(_clock_draft("on", time(7, 0))), "replay": _replay(20, 10, 4)})
    kept, dropped = drop_misfiring([cutting, careful, early], BERLIN_HOME)
    assert [(d.pattern.target_state, d.pattern.time_of_day) for d in kept] == [
        ("off", time(23, 0)),
        ("on", time(7, 0)),
    ]
    [gone] = dropped
    assert gone.pattern.time_of_day == time(22, 0)
    assert (
        "would have switched Kitchen off while it was still in use: 4 of the 14 times"
        in gone.reason
    )


def test_an_automation_wrong_more_often_than_right_is_dropped() -> None:
    wrong = Draft(**{**_fields(_clock_draft("on", time(7, 0))), "replay": _replay(20, 6, 9)})
    strays = Draft(**{**_fields(_clock_draft("on", time(8, 0))), "replay": _replay(4, 1, 2)})
    kept, dropped = drop_misfiring([wrong, strays], BERLIN_HOME)
    assert [d.pattern.time_of_day for d in kept] == [time(8, 0)]  # two strays are no verdict
    [gone] = dropped
    assert "wrong more often than right: 9 of 20 fires" in gone.reason
    assert "6 did as you did" in gone.reason


def test_drafts_are_ranked_by_confidence_then_replayed_usefulness() -> None:
    def draft(entity: str, confidence: float, replay: Replay | None) -> Draft:
        pattern = Pattern(
            kind=HabitKind.TIME_OF_DAY,
            target_entity=entity,
            target_state="on",
            time_of_day=time(7, 0),
            confidence=confidence,
        )
        compiled = compile_pattern(pattern, BERLIN_HOME, dialect=Dialect.MODERN)
        return Draft(**{**_fields(compiled), "replay": replay})

    ranked = rank_drafts(
        [
            draft("light.a", 0.7, _replay(20, 18, 0)),
            draft("light.b", 0.9, _replay(20, 5, 10)),
            draft("light.c", 0.7, _replay(20, 20, 0)),
            draft("light.d", 0.7, None),
        ]
    )
    assert [d.pattern.target_entity for d in ranked] == ["light.b", "light.c", "light.a", "light.d"]
    assert usefulness(_replay(20, 18, 1)) == 18 - WRONG_PENALTY


def test_every_draft_gets_its_replay_even_without_candidates() -> None:
    frame = build_frame(
        [(_stamp(0, "00:01"), HALL, "off", "device"), *_opened(0, "12:00"), *_switched(0, "12:00")]
    )
    draft = compile_pattern(_sequence(), BERLIN_HOME, dialect=Dialect.LEGACY)
    [chosen] = choose_conditions(
        [draft],
        frame,
        BERLIN_HOME,
        window_start=at(_stamp(0, "00:00")),
        window_end=at(_stamp(1, "00:00")),
    )
    assert chosen.replay is not None
    assert chosen.replay.fires == 1
    assert chosen.replay.useful == 1
    assert chosen.automation == draft.automation
    assert (
        choose_conditions(
            [],
            pl.DataFrame(),
            BERLIN_HOME,
            window_start=at("2026-11-01 00:00"),
            window_end=at("2026-11-02 00:00"),
        )
        == []
    )


def _fields(draft: Draft) -> dict[str, Any]:
    return {name: getattr(draft, name) for name in Draft.__dataclass_fields__}


def test_someone_home_is_tried_when_people_are_known() -> None:
    person = "person.anna"
    rows: list[Row] = [(_stamp(0, "00:02"), LANDING, "off", "device")]
    for day in range(DAYS):
        clock = _varied(day, 18, 4)
        home = day % 2 == 0
        rows.append(
            (
                _stamp(day, clock, -timedelta(hours=1)),
                person,
                "home" if home else "not_home",
                "device",
            )
        )
        rows += _opened(day, clock, MOTION)  # the cat, when nobody is home
        if home:
            rows += _switched(day, clock, LANDING)
    rows.insert(0, (_stamp(0, "00:01"), person, "not_home", "device"))
    draft = _choose(_sequence(MOTION, LANDING), rows)

    [condition] = _conditions(draft)
    assert condition == {"condition": "numeric_state", "entity_id": "zone.home", "above": 0}
    assert draft.condition_note is not None
    assert draft.condition_note.startswith("only when someone is home")


def test_someone_home_is_chosen_though_a_guest_once_or_twice_switched_it_in_an_empty_home() -> None:
    """Two of sixteen good fires with nobody home: nine in ten, rounded, as for every gate."""
    person = "person.anna"
    rows: list[Row] = [
        (_stamp(0, "00:01"), person, "not_home", "device"),
        (_stamp(0, "00:02"), LANDING, "off", "device"),
    ]
    for day in range(DAYS):
        clock = _varied(day, 18, 4)
        home = day % 2 == 0
        state = "home" if home else "not_home"
        rows.append((_stamp(day, clock, -timedelta(hours=1)), person, state, "device"))
        rows += _opened(day, clock, MOTION)
        if home or day in (3, 11):  # a guest on two of the empty evenings
            rows += _switched(day, clock, LANDING)
    draft = _choose(_sequence(MOTION, LANDING), rows)

    assert _conditions(draft) == [
        {"condition": "numeric_state", "entity_id": "zone.home", "above": 0}
    ]
    assert draft.replay is not None
    assert draft.replay.wrong == 0
    assert draft.replay.useful == DAYS // 2


@pytest.mark.parametrize(
    "condition",
    [
        {"condition": "sun", "after": "sunset", "before": "sunrise"},
        {
            "condition": "sun",
            "after": "sunset",
            "after_offset": "-00:30:00",
            "before": "sunrise",
            "before_offset": "+00:45:00",
        },
        {"condition": "numeric_state", "entity_id": "sensor.hall_light_level", "below": 40},
        {"condition": "time", "after": "22:45:00", "before": "05:15:00"},
        {"condition": "numeric_state", "entity_id": "zone.home", "above": 0},
        {"condition": "numeric_state", "entity_id": "zone.home", "below": 1},
        {"condition": "time", "weekday": ["sat", "sun"]},
        {"condition": "state", "entity_id": "binary_sensor.workday_sensor", "state": "on"},
        {"condition": "state", "entity_id": "media_player.tv", "state": "playing"},
    ],
)
@pytest.mark.parametrize("dialect", [Dialect.MODERN, Dialect.LEGACY])
def test_every_condition_shape_is_accepted_in_both_dialects(
    condition: dict[str, Any], dialect: Dialect
) -> None:
    from homehabits.replay.choosing import with_condition

    for pattern in (
        _sequence(),
        Pattern(
            kind=HabitKind.TIME_OF_DAY,
            target_entity=HALL,
            target_state="on",
            time_of_day=time(7, 0),
            weekdays=(0, 1, 2, 3, 4),
        ),
    ):
        draft = compile_pattern(pattern, BERLIN_HOME, dialect=dialect)
        automation = with_condition(draft, condition)
        check_automation(automation, dialect)
        other = Dialect.LEGACY if dialect is Dialect.MODERN else Dialect.MODERN
        check_automation(convert_dialect(automation, other), other)
        modern = convert_dialect(automation, Dialect.MODERN)
        assert modern["conditions"][-1] == condition
        assert list(modern).index("conditions") == list(modern).index("triggers") + 1


DECEMBER = range(29, 57)  # 2026-12-01 to 12-28: Christmas Day (Friday) and Boxing Day


def _working_mornings(machine: str, *, workday_sensor: str | None = None) -> list[Row]:
    from homehabits.replay.choosing import _public_holidays

    feiertage = _public_holidays(BERLIN_HOME, at("2026-12-01 00:00"), at("2026-12-31 00:00"))
    assert date(2026, 12, 25) in feiertage
    rows: list[Row] = [(_stamp(0, "00:02"), machine, "off", "device")]
    for day in DECEMBER:
        today = FIRST + timedelta(days=day)
        working = today.weekday() < 5 and today not in feiertage
        clock = _varied(day, 6, 2)
        rows += _opened(day, clock)
        if working:
            rows += _switched(day, clock, machine)
        if workday_sensor:
            state = "on" if working else "off"
            rows.append((_stamp(day, "00:05"), workday_sensor, state, "device"))
    return rows


def test_a_weekday_set_names_the_public_holidays_it_still_gets_wrong() -> None:
    machine = "switch.coffee_machine"
    draft = _choose(_sequence(DOOR, machine), _working_mornings(machine), days=58)

    [condition] = _conditions(draft)
    assert condition["weekday"] == ["mon", "tue", "wed", "thu", "fri"]
    assert draft.condition_note is not None
    assert "public holidays too (2026-12-25): a Workday sensor would skip them" in (
        draft.condition_note
    )


def test_the_workday_sensor_is_used_where_the_home_has_one() -> None:
    machine = "switch.coffee_machine"
    sensor = "binary_sensor.workday_sensor"
    rows = _working_mornings(machine, workday_sensor=sensor)
    draft = _choose(_sequence(DOOR, machine), rows, days=58)

    assert _conditions(draft) == [{"condition": "state", "entity_id": sensor, "state": "on"}]
    assert draft.condition_note is not None
    assert draft.condition_note.startswith("only on workdays")
    assert draft.replay is not None
    assert draft.replay.wrong == 0


def test_locking_is_never_given_a_condition() -> None:
    lock = "lock.front_door"
    rows: list[Row] = [(_stamp(0, "00:02"), lock, "unlocked", "device")]
    for day in range(DAYS):
        evening = _varied(day, 18, 4)
        rows += _opened(day, evening)
        rows.append((_stamp(day, evening, timedelta(seconds=30)), lock, "locked", "user"))
        rows.append((_stamp(day, evening, timedelta(minutes=40)), lock, "unlocked", "user"))
        rows += _opened(day, _varied(day, 10, 4))
    pattern = replace(_sequence(DOOR, lock), target_state="locked")
    draft = _choose(pattern, rows)

    assert _conditions(draft) == []
    assert draft.replay is not None
    assert draft.replay.wrong > 0


def test_a_lunch_timer_is_kept_to_the_lunch_hours_and_spares_the_dinners() -> None:
    table = "light.kitchen_table"
    rows: list[Row] = []
    for day in range(DAYS):
        lunch = f"12:{(day * 7) % 40:02d}"
        rows += [
            (_stamp(day, lunch), table, "on", "user"),
            (_stamp(day, lunch, timedelta(minutes=10, seconds=day % 50)), table, "off", "user"),
            (_stamp(day, "19:00"), table, "on", "user"),
            (_stamp(day, "19:00", timedelta(minutes=30 + day * 2)), table, "off", "user"),
        ]
    pattern = Pattern(
        kind=HabitKind.AUTO_OFF,
        target_entity=table,
        target_state="off",
        time_of_day=time(12, 20),  # the timer of the lunch slot
        duration_seconds=630,
        occurrences=DAYS,
        days_observed=DAYS,
        days_possible=DAYS,
        adherence=1.0,
        confidence=0.9,
        score=0.9,
    )
    chosen = _choose(pattern, rows)
    [window] = [c for c in _conditions(chosen) if c.get("condition") == "time"]
    after, before = time.fromisoformat(window["after"]), time.fromisoformat(window["before"])
    assert time(11, 0) <= after <= time(12, 15)
    assert time(12, 45) <= before <= time(15, 0)
    assert chosen.replay is not None
    assert chosen.replay.wrong == 0  # no dinner cut short
    assert chosen.replay.useful >= DAYS - 2
    assert chosen.condition_note is not None
    assert "between" in chosen.condition_note


def test_a_timer_whose_replay_matches_too_few_switch_offs_is_dropped() -> None:
    timer = Pattern(
        kind=HabitKind.AUTO_OFF,
        target_entity="light.kitchen",
        target_state="off",
        duration_seconds=600,
        confidence=0.7,
    )
    draft = compile_pattern(timer, BERLIN_HOME, dialect=Dialect.MODERN)
    few = Draft(**{**_fields(draft), "replay": _replay(5, 3, 2)})
    enough = Draft(**{**_fields(draft), "replay": _replay(8, 6, 2)})
    kept, dropped = drop_misfiring([few, enough], BERLIN_HOME)
    assert [d.replay.useful for d in kept if d.replay] == [6]
    [gone] = dropped
    assert "matched only 3 of the times you switched Kitchen off (a habit needs 5)" in gone.reason
    # the per-domain evidence floor is the one applied
    settings = MiningSettings(per_domain={"light": {"min_occurrences": 3}})
    kept, dropped = drop_misfiring([few], BERLIN_HOME, settings)
    assert len(kept) == 1
    assert not dropped


def test_wrong_fires_on_days_away_do_not_make_a_habit_misfire() -> None:
    """A lamp switched on at 19:00 on seven evenings at home, and eleven days away.

    At 19:00 in the empty home the automation would have switched it on eleven times, more
    than the seven evenings the person did it: a holiday says nothing against the habit, so
    the replay counts those fires apart and the habit is not dropped as misfiring.
    """
    lamp = "light.kitchen"
    rows: list[Row] = [
        (_stamp(0, "00:01"), lamp, "off", "device"),
        (_stamp(0, "00:02"), "person.alex", "home", "device"),
        (_stamp(8, "09:00"), "person.alex", "not_home", "device"),
        (_stamp(19, "20:00"), "person.alex", "home", "device"),
    ]
    for day in range(7):
        rows += _switched(day, "19:00", lamp)
    draft = _clock_draft("on", time(19, 0))
    bare = replay_automation(
        draft.automation,
        build_frame(rows),
        BERLIN_HOME,
        window_start=at(_stamp(0, "00:00")),
        window_end=at(_stamp(22, "00:00")),
    )
    # nobody home for 20 hours or more on the 9th to the 19th; out on the evening of the 8th
    assert (bare.useful, bare.wrong, bare.wrong_away) == (7, 15, 11)

    kept, dropped = drop_misfiring([replace(draft, replay=bare)], BERLIN_HOME)

    assert dropped == []
    assert [d.pattern.target_entity for d in kept] == [lamp]
    # without the days away it would have been dropped: 15 wrong against 7 as the person did
    kept, dropped = drop_misfiring(
        [replace(draft, replay=replace(bare, wrong_away=0))], BERLIN_HOME
    )
    assert kept == []
    assert "wrong more often than right: 15 of 22 fires" in dropped[0].reason
