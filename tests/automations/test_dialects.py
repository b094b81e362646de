"""The dialect follows the Home Assistant version, and converting between dialects loses nothing."""

from __future__ import annotations

from typing import Any

import pytest

from homehabits.automations import (
    check_automation,
    choose_dialect,
    compile_patterns,
    convert_dialect,
)
from homehabits.config import Dialect, DialectSetting
from homehabits.patterns.habit import HabitKind
from tests.automations.homes import habit, home


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2024.3.3", Dialect.LEGACY),
        ("2024.9.99", Dialect.LEGACY),
        ("2023.12.0", Dialect.LEGACY),
        ("2024.10.0", Dialect.MODERN),
        ("2024.10.0b3", Dialect.MODERN),
        ("2024.11.0", Dialect.MODERN),
        ("2025.1.2", Dialect.MODERN),
        ("2025.12.0.dev20251101", Dialect.MODERN),
        (None, Dialect.LEGACY),
        ("", Dialect.LEGACY),
        ("unknown", Dialect.LEGACY),
    ],
)
def test_auto_setting_picks_the_dialect_that_version_speaks(
    version: str | None, expected: Dialect
) -> None:
    assert choose_dialect(DialectSetting.AUTO, version) is expected


@pytest.mark.parametrize("version", ["2024.3.3", "2024.11.0", None])
def test_a_forced_dialect_wins_over_the_version(version: str | None) -> None:
    assert choose_dialect(DialectSetting.MODERN, version) is Dialect.MODERN
    assert choose_dialect(DialectSetting.LEGACY, version) is Dialect.LEGACY


@pytest.mark.parametrize(
    ("version", "list_key", "trigger_key", "service_key"),
    [
        ("2024.3.3", "trigger", "platform", "service"),
        ("2024.11.0", "triggers", "trigger", "action"),
        (None, "trigger", "platform", "service"),
    ],
)
def test_a_home_gets_automations_in_the_dialect_its_version_speaks(
    version: str | None, list_key: str, trigger_key: str, service_key: str
) -> None:
    context = home(ha_version=version)
    dialect = choose_dialect(DialectSetting.AUTO, context.ha_version)

    result = compile_patterns([habit(), habit(HabitKind.SEQUENCE)], context, dialect=dialect)

    assert len(result.drafts) == 2
    for draft in result.drafts:
        assert list_key in draft.automation
        assert trigger_key in draft.automation[list_key][0]
        actions = draft.automation["actions" if list_key == "triggers" else "action"]
        assert service_key in actions[0]
        check_automation(draft.automation, dialect)


def _nested_legacy() -> dict[str, Any]:
    return {
        "id": "evening",
        "alias": "Evening",
        "trigger": [{"platform": "sun", "event": "sunset", "offset": "-00:10:00"}],
        "condition": [{"condition": "state", "entity_id": "person.alice", "state": "home"}],
        "action": [
            {"service": "light.turn_on", "target": {"entity_id": "light.kitchen"}},
            {
                "choose": [
                    {
                        "conditions": [],
                        "sequence": [{"service": "cover.close_cover", "entity_id": "cover.blind"}],
                    }
                ],
                "default": [{"delay": "00:01:00"}],
            },
            {
                "if": [],
                "then": [{"service": "switch.turn_off", "target": {"entity_id": "switch.a"}}],
            },
            {"repeat": {"count": 2, "sequence": [{"service": "light.toggle"}]}},
            {
                "wait_for_trigger": [
                    {"platform": "state", "entity_id": "light.kitchen", "to": "off"}
                ]
            },
        ],
        "mode": "restart",
    }


def test_legacy_to_modern_and_back_gives_the_same_automation() -> None:
    legacy = _nested_legacy()

    modern = convert_dialect(legacy, Dialect.MODERN)
    back = convert_dialect(modern, Dialect.LEGACY)

    assert back == legacy
    check_automation(modern, Dialect.MODERN)
    assert modern["actions"][1]["choose"][0]["sequence"][0]["action"] == "cover.close_cover"
    assert modern["actions"][2]["then"][0]["action"] == "switch.turn_off"
    assert modern["actions"][3]["repeat"]["sequence"][0]["action"] == "light.toggle"
    assert modern["actions"][4]["wait_for_trigger"][0]["trigger"] == "state"
    assert list(modern) == ["id", "alias", "triggers", "conditions", "actions", "mode"]


def test_converting_to_the_dialect_an_automation_already_speaks_changes_nothing() -> None:
    legacy = _nested_legacy()
    modern = convert_dialect(legacy, Dialect.MODERN)

    assert convert_dialect(legacy, Dialect.LEGACY) == legacy
    assert convert_dialect(modern, Dialect.MODERN) == modern


def test_converting_does_not_change_the_original() -> None:
    legacy = _nested_legacy()
    before = repr(legacy)

    converted = convert_dialect(legacy, Dialect.MODERN)
    converted["actions"][0]["target"]["entity_id"] = "light.other"

    assert repr(legacy) == before
