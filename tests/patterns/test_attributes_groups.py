"""Settings the person sets each time reach the action; lights switched together are one habit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
import sqlalchemy as sa

from homehabits.automations import compile_pattern
from homehabits.automations.checker import check_automation
from homehabits.automations.dialects import convert_dialect
from homehabits.automations.safety import judge
from homehabits.config import Dialect
from homehabits.context import Entity, HomeContext
from homehabits.domains import DOMAINS, KEPT_ATTRIBUTES
from homehabits.events import check_events
from homehabits.patterns import HabitKind, Pattern, mine
from homehabits.patterns.attributes import robust_value
from homehabits.patterns.groups import with_groups
from homehabits.patterns.habit import GroupMember, pattern_from_dict, pattern_to_dict
from homehabits.patterns.same_habit import keep_known_fingerprints, known_habit_of
from homehabits.sources import ha_api, recorder_window
from homehabits.sources.recorder import RecorderSource
from homehabits.writers.template import template_words
from tests.sources.recorder_builder import RecorderBuilder

BERLIN = ZoneInfo("Europe/Berlin")
OWNER = "18bbd69a38024c1db6cdb2eaf5bbc03b"
FIRST = datetime(2024, 3, 4, tzinfo=BERLIN)
DAYS = 28
WINDOW = (FIRST.astimezone(UTC) - timedelta(hours=1), FIRST.astimezone(UTC) + timedelta(days=DAYS))
NAMES = {
    "light.reading_lamp": "Reading lamp",
    "climate.bedroom": "Bedroom thermostat",
    "cover.study_blind": "Study blind",
    "light.sofa_lamp": "Sofa lamp",
    "light.shelf_lights": "Shelf lights",
    "light.corner_lamp": "Corner lamp",
}


def _home() -> HomeContext:
    entities = {
        entity_id: Entity(entity_id=entity_id, name=name) for entity_id, name in NAMES.items()
    }
    return HomeContext(time_zone="Europe/Berlin", entities=entities)


def _local(day: int, minutes: float) -> datetime:
    return (FIRST + timedelta(days=day, minutes=minutes)).astimezone(UTC)


def _frame(rows: list[tuple[datetime, str, str, str | None]]) -> pl.DataFrame:
    """An EventFrame of manual actions (time, entity, state, attributes JSON)."""
    rows = sorted(rows, key=lambda row: row[0])
    last: dict[str, str] = {}
    records = []
    for moment, entity, state, attributes in rows:
        before = last.get(entity, "off" if state != "off" else "on")
        records.append(
            {
                "time": moment,
                "entity_id": entity,
                "state": state,
                "old_state": before,
                "origin": "user",
                "attributes": attributes,
            }
        )
        last[entity] = state
    raw = pl.DataFrame(
        records,
        schema={
            "time": pl.Datetime("us", "UTC"),
            "entity_id": pl.String,
            "state": pl.String,
            "old_state": pl.String,
            "origin": pl.String,
            "attributes": pl.String,
        },
    )
    return check_events(raw).frame


def _mine(frame: pl.DataFrame, context: HomeContext | None = None) -> list[Pattern]:
    return mine(frame, context or _home(), window_start=WINDOW[0], window_end=WINDOW[1])


def _only(patterns: list[Pattern], entity_id: str, state: str, hour: int | None = None) -> Pattern:
    found = [
        p
        for p in patterns
        if entity_id in p.targets
        and p.target_state == state
        and p.kind is HabitKind.TIME_OF_DAY
        and (hour is None or (p.time_of_day is not None and p.time_of_day.hour == hour))
    ]
    assert len(found) == 1, [(p.target_entity, p.target_state, p.time_of_day) for p in patterns]
    return found[0]


def _actions(pattern: Pattern) -> list[dict[str, Any]]:
    automation = compile_pattern(pattern, _home(), dialect=Dialect.MODERN).automation
    return list(automation["actions"])


def _accepted_everywhere(pattern: Pattern) -> None:
    """The automation passes the checker in both dialects and the safety judge."""
    for dialect in Dialect:
        automation = compile_pattern(pattern, _home(), dialect=dialect).automation
        check_automation(automation, dialect)
        check_automation(convert_dialect(automation, Dialect.LEGACY), Dialect.LEGACY)
        judge(automation, _home())


# --- the kept attributes: one list, the domain table's -------------------------------------


def test_the_recorder_and_the_live_api_keep_the_attributes_the_settings_read() -> None:
    assert recorder_window._ATTRIBUTES_KEPT == KEPT_ATTRIBUTES
    assert ha_api._KEPT_ATTRIBUTES == KEPT_ATTRIBUTES
    assert {"brightness", "temperature", "current_position", "percentage", "volume_level"} <= set(
        KEPT_ATTRIBUTES
    )


# --- from the recorder's attributes to the action ------------------------------------------


def _recorder_home() -> RecorderBuilder:
    home = RecorderBuilder()
    for entity in ("light.reading_lamp", "climate.bedroom", "cover.study_blind"):
        home.state(entity, "off" if not entity.startswith("cover") else "closed", _local(-1, 0))
    for day in range(DAYS):
        wobble = (day % 5 - 2) * 2  # a few minutes either way
        home.state(
            "light.reading_lamp",
            "on",
            _local(day, 22 * 60 + 15 + wobble),
            user_id=OWNER,
            attributes={"friendly_name": "Reading lamp", "brightness": 77},
        )
        home.state(
            "light.reading_lamp",
            "off",
            _local(day, 23 * 60 + 20 + wobble),
            user_id=OWNER,
            attributes={"friendly_name": "Reading lamp"},
        )
        home.state(
            "climate.bedroom",
            "heat",
            _local(day, 22 * 60 + 40 + wobble),
            user_id=OWNER,
            attributes={"temperature": 19.5, "current_temperature": 21.0},
        )
        home.state(
            "climate.bedroom",
            "off",
            _local(day, 7 * 60 + 30 + 1440 + wobble),
            user_id=OWNER,
            attributes={"temperature": None},
        )
        home.state(
            "cover.study_blind",
            "open",
            _local(day, 8 * 60 + wobble),
            user_id=OWNER,
            attributes={"current_position": 40},
        )
        home.state(
            "cover.study_blind",
            "closed",
            _local(day, 18 * 60 + wobble),
            user_id=OWNER,
            attributes={"current_position": 0},
        )
    return home


async def test_brightness_setpoint_and_position_go_from_the_recorder_to_the_action(
    tmp_path: Path,
) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'home-assistant_v2.db'}")
    _recorder_home().write(engine)
    engine.dispose()
    source = RecorderSource(f"sqlite:///{tmp_path / 'home-assistant_v2.db'}")
    frame = (await source.read_events(*WINDOW, _home())).frame

    found = _mine(frame)

    lamp = _only(found, "light.reading_lamp", "on")
    assert dict(lamp.action_attributes) == {"brightness_pct": 30}
    assert _actions(lamp) == [
        {
            "action": "light.turn_on",
            "target": {"entity_id": "light.reading_lamp"},
            "data": {"brightness_pct": 30},
        }
    ]
    thermostat = _only(found, "climate.bedroom", "heat")
    assert _actions(thermostat) == [
        {
            "action": "climate.set_temperature",
            "target": {"entity_id": "climate.bedroom"},
            "data": {"temperature": 19.5, "hvac_mode": "heat"},
        }
    ]
    blind = _only(found, "cover.study_blind", "open")
    assert _actions(blind) == [
        {
            "action": "cover.set_cover_position",
            "target": {"entity_id": "cover.study_blind"},
            "data": {"position": 40},
        }
    ]
    for pattern in (lamp, thermostat, blind):
        _accepted_everywhere(pattern)
    words = template_words(compile_pattern(lamp, _home(), dialect=Dialect.MODERN), _home())
    assert "Turns on the Reading lamp at 30 % brightness at 22:1" in words.description
    assert words.title.startswith("Reading lamp on at 30 % at 22:1")
    assert (
        "Reading lamp on at 30 % at 22:1"
        in compile_pattern(lamp, _home(), dialect=Dialect.MODERN).automation["alias"]
    )
    # nothing is set when switching off
    offs = [p for p in found if p.target_entity == "light.reading_lamp" and p.target_state == "off"]
    assert offs
    assert all(p.action_attributes == () for p in offs)


def test_dimmed_at_night_and_full_in_the_morning_are_two_habits_each_with_its_brightness() -> None:
    rows: list[tuple[datetime, str, str, str | None]] = []
    for day in range(DAYS):
        wobble = day % 3 - 1
        rows += [
            (_local(day, 22 * 60 + 15 + wobble), "light.reading_lamp", "on", '{"brightness": 77}'),
            (_local(day, 23 * 60 + 30 + wobble), "light.reading_lamp", "off", None),
            (_local(day, 6 * 60 + 50 + wobble), "light.reading_lamp", "on", '{"brightness": 255}'),
            (_local(day, 7 * 60 + 40 + wobble), "light.reading_lamp", "off", None),
        ]

    found = _mine(_frame(rows))

    night = _only(found, "light.reading_lamp", "on", hour=22)
    morning = _only(found, "light.reading_lamp", "on", hour=6)
    assert dict(night.action_attributes) == {"brightness_pct": 30}
    assert dict(morning.action_attributes) == {"brightness_pct": 100}


def test_a_lamp_set_anyhow_gets_no_brightness() -> None:
    scattered = (10, 90, 40, 255, 160, 30, 220, 120)
    rows: list[tuple[datetime, str, str, str | None]] = []
    for day in range(DAYS):
        brightness = scattered[day % len(scattered)]
        rows += [
            (
                _local(day, 22 * 60 + 15),
                "light.reading_lamp",
                "on",
                json.dumps({"brightness": brightness}),
            ),
            (_local(day, 23 * 60 + 30), "light.reading_lamp", "off", None),
        ]

    lamp = _only(_mine(_frame(rows)), "light.reading_lamp", "on")

    assert lamp.action_attributes == ()
    assert "data" not in _actions(lamp)[0]


def test_the_robust_value_is_the_median_of_the_cluster_holding_most_actions() -> None:
    # 8 of 10 near 30, two outliers: the outliers do not pull the value
    assert robust_value([30, 29, 31, 30, 30, 32, 28, 30, 100, 5], 5) == 30
    # half and half: no setting
    assert robust_value([30] * 5 + [100] * 5, 5) is None
    # actions whose attributes were not recorded count against a setting
    assert robust_value([30, 30, 30, None, None, None], 5) is None
    assert robust_value([], 5) is None


def test_a_fan_percentage_and_a_media_volume_become_service_data() -> None:
    assert DOMAINS["fan"].call_for("on", {"percentage": 40}) == ("turn_on", {"percentage": 40})
    assert "set_percentage" in DOMAINS["fan"].allowed_services
    assert "volume_set" in DOMAINS["media_player"].allowed_services
    media = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="media_player.kitchen",
        target_state="playing",
        time_of_day=datetime(2024, 1, 1, 7, 0).time(),
        action_attributes=(("volume_level", 0.3),),
    )
    actions = compile_pattern(media, _home(), dialect=Dialect.MODERN).automation["actions"]
    assert actions == [
        {"action": "media_player.media_play", "target": {"entity_id": "media_player.kitchen"}},
        {
            "action": "media_player.volume_set",
            "target": {"entity_id": "media_player.kitchen"},
            "data": {"volume_level": 0.3},
        },
    ]
    fan = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="fan.bedroom",
        target_state="on",
        time_of_day=datetime(2024, 1, 1, 22, 0).time(),
        action_attributes=(("percentage", 40),),
    )
    for pattern in (media, fan):
        _accepted_everywhere(pattern)


# --- groups ---------------------------------------------------------------------------------

_LIGHTS = ("light.sofa_lamp", "light.shelf_lights", "light.corner_lamp")


def _together_rows(
    skip: dict[str, set[int]] | None = None,
) -> list[tuple[datetime, str, str, str | None]]:
    skip = skip or {}
    rows: list[tuple[datetime, str, str, str | None]] = []
    for day in range(DAYS):
        start = 19 * 60 + 30 + (day % 5 - 2) * 3
        for number, light in enumerate(_LIGHTS):
            if day in skip.get(light, set()):
                continue
            seconds = number * 12  # one after another, within the minute
            rows.append((_local(day, start + seconds / 60), light, "on", None))
            rows.append((_local(day, start + 150 + number * 17), light, "off", None))
    return rows


def test_three_lights_switched_on_together_are_one_automation_with_three_targets() -> None:
    # the corner lamp is left off on three days: its own adherence says so
    found = _mine(_frame(_together_rows({"light.corner_lamp": {3, 10, 17}})))

    groups = [p for p in found if p.target_state == "on" and p.group_members]
    assert len(groups) == 1
    group = groups[0]
    assert set(group.targets) == set(_LIGHTS)
    # no member is suggested on its own as well
    assert not [p for p in found if p.target_state == "on" and not p.group_members]
    adherence = {member.entity_id: member for member in group.group_members}
    others = set(_LIGHTS) - {group.target_entity}
    assert set(adherence) == others
    assert group.target_entity == "light.sofa_lamp"  # the one switched first leads
    corner, shelf = adherence["light.corner_lamp"], adherence["light.shelf_lights"]
    assert shelf.days_observed == group.days_observed == DAYS
    assert corner.days_observed == DAYS - 3
    assert corner.adherence < shelf.adherence
    actions = _actions(group)
    assert len(actions) == 1
    assert actions[0]["action"] == "light.turn_on"
    assert sorted(actions[0]["target"]["entity_id"]) == sorted(_LIGHTS)
    _accepted_everywhere(group)
    draft = compile_pattern(group, _home(), dialect=Dialect.MODERN)
    words = template_words(draft, _home())
    for name in ("Sofa lamp", "Shelf lights", "Corner lamp"):
        assert name in words.title
        assert name in draft.automation["alias"]
    assert "within a minute" in words.rationale
    assert "days" in words.rationale


def test_a_group_whose_members_are_set_differently_is_one_automation_of_several_actions() -> None:
    leader = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="light.corner_lamp",
        target_state="on",
        time_of_day=datetime(2024, 1, 1, 19, 30).time(),
        action_attributes=(("brightness_pct", 40),),
        group_members=(
            GroupMember("light.shelf_lights", 0.9, 25, 28, 0.95),
            GroupMember("light.sofa_lamp", 0.8, 22, 28, 0.85, (("brightness_pct", 40),)),
        ),
    )
    actions = _actions(leader)
    assert actions == [
        {
            "action": "light.turn_on",
            "target": {"entity_id": ["light.corner_lamp", "light.sofa_lamp"]},
            "data": {"brightness_pct": 40},
        },
        {"action": "light.turn_on", "target": {"entity_id": "light.shelf_lights"}},
    ]
    _accepted_everywhere(leader)


def test_a_group_keeps_its_fingerprint_and_reads_back_from_its_record() -> None:
    found = _mine(_frame(_together_rows()))
    group = next(p for p in found if p.group_members)
    again = _mine(_frame(_together_rows({"light.sofa_lamp": {5}})))
    same = next(p for p in again if p.group_members)

    assert same.fingerprint == group.fingerprint
    assert pattern_from_dict(pattern_to_dict(group)) == group
    # a group is not the habit of its leader alone
    alone = Pattern(
        kind=group.kind,
        target_entity=group.target_entity,
        target_state=group.target_state,
        time_of_day=group.time_of_day,
        weekdays=group.weekdays,
    )
    assert alone.fingerprint != group.fingerprint
    # a record of a version before groups reads as a habit of one entity
    old = pattern_to_dict(alone)
    del old["group_members"]
    old["schema"] = 1
    assert pattern_from_dict(old).group_members == ()


def test_lights_switched_at_the_same_time_on_different_days_are_not_a_group() -> None:
    rows: list[tuple[datetime, str, str, str | None]] = []
    for day in range(DAYS):
        light = _LIGHTS[day % 2]  # one or the other, never both
        rows.append((_local(day, 19 * 60 + 30), light, "on", None))
        rows.append((_local(day, 22 * 60), light, "off", None))
    patterns = [
        Pattern(
            kind=HabitKind.TIME_OF_DAY,
            target_entity=light,
            target_state="on",
            time_of_day=datetime(2024, 1, 1, 19, 30).time(),
            evidence_times=tuple(row[0] for row in rows if row[1] == light and row[2] == "on"),
        )
        for light in _LIGHTS[:2]
    ]

    assert with_groups(patterns) == patterns


@pytest.mark.parametrize("dialect", list(Dialect))
def test_a_group_of_a_sequence_compiles_in_both_dialects(dialect: Dialect) -> None:
    pattern = Pattern(
        kind=HabitKind.SEQUENCE,
        target_entity="light.corner_lamp",
        target_state="on",
        trigger_entity="binary_sensor.front_door",
        trigger_state="on",
        lag_seconds=20,
        group_members=(GroupMember("light.sofa_lamp", 0.9, 20, 22, 0.9),),
    )
    automation = compile_pattern(pattern, _home(), dialect=dialect).automation
    check_automation(automation, dialect)
    judge(automation, _home())


def test_a_group_that_drifted_keeps_its_fingerprint_whoever_leads_it() -> None:
    members = (GroupMember("light.shelf_lights", 1.0, 28, 28), GroupMember("light.corner_lamp"))
    before = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="light.sofa_lamp",
        target_state="on",
        time_of_day=datetime(2024, 1, 1, 19, 30).time(),
        group_members=members,
    )
    now = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="light.shelf_lights",
        target_state="on",
        time_of_day=datetime(2024, 1, 1, 19, 42).time(),
        group_members=(GroupMember("light.sofa_lamp"), GroupMember("light.corner_lamp")),
    )
    alone = Pattern(
        kind=HabitKind.TIME_OF_DAY,
        target_entity="light.sofa_lamp",
        target_state="on",
        time_of_day=datetime(2024, 1, 1, 19, 40).time(),
    )
    known = [known_habit_of(before.fingerprint, before)]

    assert known[0] is not None
    found = keep_known_fingerprints([now, alone], [k for k in known if k is not None])
    assert found[0].fingerprint == before.fingerprint
    assert found[1].fingerprint != before.fingerprint  # the sofa lamp alone is another habit
