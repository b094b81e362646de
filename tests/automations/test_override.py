"""Override habits change the existing automation instead of adding a new one."""

from __future__ import annotations

from datetime import time
from typing import Any

from homehabits.automations import compile_pattern, compile_patterns
from homehabits.automations.checker import check_automation
from homehabits.config import Dialect
from homehabits.patterns.habit import HabitKind
from tests.automations.homes import existing_automation, habit, home


def _heating(**extra: Any) -> dict[str, Any]:
    return {
        "id": "heating_morning",
        "alias": "Heating on at 06:00",
        "description": "Warm before we get up",
        "trigger": [{"platform": "time", "at": "06:00:00"}],
        "condition": [],
        "action": [
            {
                "service": "climate.set_hvac_mode",
                "target": {"entity_id": "climate.living_room"},
                "data": {"hvac_mode": "heat"},
            }
        ],
        "mode": "single",
        **extra,
    }


def _override(**fields: Any) -> Any:
    defaults: dict[str, Any] = {
        "target_entity": "climate.living_room",
        "target_state": "off",
        "automation_id": "heating_morning",
        "trigger_entity": "automation.heating_on_at_06_00",
        "time_of_day": time(6),
        "weekdays": (5, 6),
        "lag_seconds": 240.0,
    }
    return habit(HabitKind.OVERRIDE, **(defaults | fields))


def test_undone_at_weekends_keeps_the_automation_for_weekdays_only() -> None:
    context = home(automations=[existing_automation(_heating())])

    draft = compile_pattern(_override(), context, dialect=Dialect.LEGACY)

    assert draft.automation["id"] == "heating_morning"
    assert draft.automation["alias"] == "Heating on at 06:00"
    assert draft.automation["description"] == "Warm before we get up"
    assert draft.automation["condition"] == [
        {"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "fri"]}
    ]
    assert draft.automation["action"] == _heating()["action"]
    assert draft.diff is not None
    assert "--- Heating on at 06:00 (now)" in draft.diff
    assert "+- condition: time" in draft.diff
    assert "-condition: []" in draft.diff
    assert "+  - sat" not in draft.diff


def test_the_diff_in_the_modern_dialect_shows_only_the_change() -> None:
    context = home(automations=[existing_automation(_heating())])

    draft = compile_pattern(_override(), context, dialect=Dialect.MODERN)

    assert draft.automation["conditions"][-1]["weekday"] == ["mon", "tue", "wed", "thu", "fri"]
    changed = [
        line
        for line in (draft.diff or "").splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == [
        "-conditions: []",
        "+conditions:",
        "+- condition: time",
        "+  weekday:",
        "+  - mon",
        "+  - tue",
        "+  - wed",
        "+  - thu",
        "+  - fri",
    ]


def test_an_automation_limited_to_some_days_keeps_only_the_days_not_undone() -> None:
    limited = _heating(condition=[{"condition": "time", "weekday": ["mon", "wed", "sat"]}])
    context = home(automations=[existing_automation(limited)])

    draft = compile_pattern(_override(weekdays=(5,)), context, dialect=Dialect.LEGACY)

    assert draft.automation["condition"][-1] == {"condition": "time", "weekday": ["mon", "wed"]}


def test_undone_every_day_turns_the_automation_off() -> None:
    context = home(automations=[existing_automation(_heating())])

    draft = compile_pattern(
        _override(weekdays=(0, 1, 2, 3, 4, 5, 6), lag_seconds=1300.0),
        context,
        dialect=Dialect.MODERN,
    )

    # a later time would be undone as well: the person leaves the heating off
    assert draft.automation["triggers"] == [{"trigger": "time", "at": "06:00:00", "enabled": False}]
    assert "+  enabled: false" in (draft.diff or "")
    check_automation(draft.automation, Dialect.MODERN)


def test_undone_every_day_turns_off_an_automation_of_any_trigger_in_either_dialect() -> None:
    by_state = _heating(trigger=[{"platform": "state", "entity_id": "person.alice", "to": "home"}])
    context = home(automations=[existing_automation(by_state)])

    for dialect in Dialect:
        draft = compile_pattern(_override(weekdays=(0, 1, 2, 3, 4, 5, 6)), context, dialect=dialect)
        triggers = draft.automation["triggers" if dialect is Dialect.MODERN else "trigger"]
        assert [trigger["enabled"] for trigger in triggers] == [False]
        check_automation(draft.automation, dialect)


def test_an_override_is_found_by_the_automation_entity_when_the_id_is_missing() -> None:
    context = home(
        automations=[existing_automation(_heating(), entity_id="automation.heating_on_at_06_00")]
    )

    draft = compile_pattern(_override(automation_id=None), context, dialect=Dialect.MODERN)

    assert draft.automation["id"] == "heating_morning"


def test_an_override_of_an_unknown_automation_is_left_out() -> None:
    result = compile_patterns([_override()], home(), dialect=Dialect.MODERN)

    assert result.drafts == []
    assert "not among the home's automations" in result.dropped[0].reason


def test_an_override_is_not_left_out_for_matching_its_own_automation() -> None:
    context = home(automations=[existing_automation(_heating())])

    result = compile_patterns([_override()], context, dialect=Dialect.MODERN)

    assert [draft.automation["id"] for draft in result.drafts] == ["heating_morning"]
    assert result.dropped == []


def test_an_override_keeps_the_existing_automation_unchanged_in_the_home() -> None:
    existing = existing_automation(_heating())
    context = home(automations=[existing])

    compile_pattern(_override(), context, dialect=Dialect.MODERN)

    assert existing.raw["condition"] == []
    assert "triggers" not in existing.raw
