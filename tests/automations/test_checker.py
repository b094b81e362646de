"""The checker refuses what Home Assistant refuses, saying why and where; owner-edited YAML too."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from homehabits.automations import automation_from_yaml, automation_to_yaml, check_automation
from homehabits.config import Dialect
from homehabits.exceptions import AutomationCheckError
from tests.shared_fixture import HA_FIXTURE

_FIXTURE = HA_FIXTURE


def _modern() -> dict[str, Any]:
    return {
        "id": "homehabits_0123456789abcdef",
        "alias": "Kitchen light on at 06:45",
        "description": "Suggested by homehabits: the kitchen light goes on at 06:45.",
        "triggers": [{"trigger": "time", "at": "06:45:00"}],
        "conditions": [{"condition": "time", "weekday": ["mon", "tue"]}],
        "actions": [{"action": "light.turn_on", "target": {"entity_id": "light.kitchen"}}],
        "mode": "single",
    }


def _legacy() -> dict[str, Any]:
    return {
        "id": "homehabits_0123456789abcdef",
        "alias": "Hallway light on when the door opens",
        "trigger": [{"platform": "state", "entity_id": "binary_sensor.front_door", "to": "on"}],
        "condition": [],
        "action": [{"service": "light.turn_on", "target": {"entity_id": "light.hallway"}}],
        "mode": "single",
    }


def _changed(base: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    config = copy.deepcopy(base)
    node: Any = config
    for step in path[:-1]:
        node = node[step]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return config


_DELETE = object()

# (what is wrong, config, dialect, part of the reason, path)
_INVALID: list[tuple[str, dict[str, Any], Dialect | None, str, str | None]] = [
    (
        "hour 25",
        _changed(_modern(), ("triggers", 0, "at"), "25:00"),
        None,
        "'at' must be a time like 06:45:00, got '25:00'",
        "triggers[0].at",
    ),
    (
        "unquoted time read as a number",
        _changed(_modern(), ("triggers", 0, "at"), 60300),
        None,
        "in quotes",
        "triggers[0].at",
    ),
    (
        "time with words",
        _changed(_modern(), ("triggers", 0, "at"), "quarter to seven"),
        None,
        "must be a time",
        "triggers[0].at",
    ),
    (
        "bad sun offset",
        _changed(
            _modern(),
            ("triggers", 0),
            {"trigger": "sun", "event": "sunset", "offset": "15 minutes"},
        ),
        None,
        "'offset' must be a duration",
        "triggers[0].offset",
    ),
    (
        "sun event noon",
        _changed(_modern(), ("triggers", 0), {"trigger": "sun", "event": "noon"}),
        None,
        "'event' must be sunset or sunrise",
        "triggers[0].event",
    ),
    (
        "platform and trigger mixed",
        _changed(
            _modern(), ("triggers", 0), {"platform": "time", "trigger": "time", "at": "06:45:00"}
        ),
        None,
        "trigger 0 mixes 'platform' and 'trigger'",
        "triggers[0]",
    ),
    (
        "modern keys for an old Home Assistant",
        _modern(),
        Dialect.LEGACY,
        "extra keys not allowed: 'triggers' (this Home Assistant is older than 2024.10",
        "triggers",
    ),
    (
        "legacy trigger key in a modern automation",
        _changed(_modern(), ("triggers", 0), {"platform": "time", "at": "06:45:00"}),
        Dialect.MODERN,
        "'platform' is a legacy key",
        "triggers[0].platform",
    ),
    (
        "modern trigger key in a legacy automation",
        _changed(_legacy(), ("trigger", 0), {"trigger": "time", "at": "06:45:00"}),
        Dialect.LEGACY,
        "extra keys not allowed: 'trigger'",
        "trigger[0].trigger",
    ),
    (
        "modern action key in a legacy automation",
        _changed(_legacy(), ("action", 0), {"action": "light.turn_on"}),
        Dialect.LEGACY,
        "extra keys not allowed: 'action'",
        "action[0].action",
    ),
    (
        "legacy top-level keys in a modern automation",
        _legacy(),
        Dialect.MODERN,
        "'trigger' is a legacy key",
        "trigger",
    ),
    (
        "both trigger and triggers",
        _changed(_modern(), ("trigger",), [{"platform": "time", "at": "07:00:00"}]),
        None,
        "cannot have both 'trigger' and 'triggers'",
        "triggers",
    ),
    (
        "missing actions",
        _changed(_modern(), ("actions",), _DELETE),
        None,
        "missing 'actions'",
        None,
    ),
    (
        "missing triggers",
        _changed(_modern(), ("triggers",), _DELETE),
        None,
        "missing 'triggers'",
        None,
    ),
    (
        "missing legacy action",
        _changed(_legacy(), ("action",), _DELETE),
        Dialect.LEGACY,
        "missing 'action'",
        None,
    ),
    (
        "unknown top-level key",
        _changed(_modern(), ("schedule",), "daily"),
        None,
        "extra keys not allowed: 'schedule'",
        "schedule",
    ),
    (
        "capitalised entity id",
        _changed(_modern(), ("actions", 0, "target", "entity_id"), "Light.Kitchen"),
        None,
        "unknown entity id format 'Light.Kitchen'",
        "actions[0].target.entity_id",
    ),
    (
        "entity id without a domain",
        _changed(_legacy(), ("trigger", 0, "entity_id"), "front_door"),
        None,
        "unknown entity id format 'front_door'",
        "trigger[0].entity_id",
    ),
    (
        "service without a domain",
        _changed(_modern(), ("actions", 0, "action"), "turn_on"),
        None,
        "'action' must be a service like light.turn_on",
        "actions[0].action",
    ),
    (
        "service in capitals",
        _changed(_legacy(), ("action", 0, "service"), "Light.Turn_On"),
        None,
        "'service' must be a service like light.turn_on",
        "action[0].service",
    ),
    (
        "service and action mixed",
        _changed(_modern(), ("actions", 0, "service"), "light.turn_on"),
        None,
        "action 0 mixes 'service' and 'action'",
        "actions[0]",
    ),
    (
        "weekday spelled out",
        _changed(_modern(), ("conditions", 0, "weekday"), ["monday"]),
        None,
        "'weekday' must be mon, tue, wed, thu, fri, sat or sun, got 'monday'",
        "conditions[0].weekday",
    ),
    (
        "negative for",
        _changed(_legacy(), ("trigger", 0, "for"), "-00:05:00"),
        None,
        "'for' must not be negative",
        "trigger[0].for",
    ),
    (
        "negative for as a mapping",
        _changed(_legacy(), ("trigger", 0, "for"), {"minutes": -5}),
        None,
        "'for' must not be negative",
        "trigger[0].for",
    ),
    (
        "for with an unknown unit",
        _changed(_legacy(), ("trigger", 0, "for"), {"fortnights": 1}),
        None,
        "unknown unit 'fortnights'",
        "trigger[0].for",
    ),
    (
        "unquoted on read as true",
        _changed(_legacy(), ("trigger", 0, "to"), True),
        None,
        "'to' must be a state in quotes like 'on', got True",
        "trigger[0].to",
    ),
    (
        "state condition without a state",
        _changed(
            _modern(), ("conditions", 0), {"condition": "state", "entity_id": "light.kitchen"}
        ),
        None,
        "a state condition needs 'state'",
        "conditions[0]",
    ),
    (
        "time condition with nothing to check",
        _changed(_modern(), ("conditions", 0), {"condition": "time"}),
        None,
        "at least one of 'after', 'before' or 'weekday'",
        "conditions[0]",
    ),
    (
        "unknown key in a time trigger",
        _changed(_modern(), ("triggers", 0, "offset"), "00:10:00"),
        None,
        "extra keys not allowed: 'offset'",
        "triggers[0].offset",
    ),
    (
        "unknown target key",
        _changed(_modern(), ("actions", 0, "target", "room"), "kitchen"),
        None,
        "extra keys not allowed: 'room'",
        "actions[0].target.room",
    ),
    (
        "unknown mode",
        _changed(_modern(), ("mode",), "sometimes"),
        None,
        "'mode' must be one of",
        "mode",
    ),
    (
        "trigger without a type",
        _changed(_modern(), ("triggers", 0), {"at": "06:45:00"}),
        None,
        "a trigger needs 'trigger'",
        "triggers[0]",
    ),
    (
        "empty triggers",
        _changed(_modern(), ("triggers",), []),
        None,
        "'triggers' must not be empty",
        "triggers",
    ),
    ("number as id", _changed(_modern(), ("id",), 1234), None, "'id' must be text", "id"),
    (
        "unknown action",
        _changed(_modern(), ("actions", 0), {"do": "something"}),
        None,
        "unknown action",
        "actions[0]",
    ),
]


@pytest.mark.parametrize(
    ("config", "dialect", "reason", "path"),
    [case[1:] for case in _INVALID],
    ids=[case[0] for case in _INVALID],
)
def test_an_invalid_automation_is_refused_with_its_reason_and_place(
    config: dict[str, Any], dialect: Dialect | None, reason: str, path: str | None
) -> None:
    with pytest.raises(AutomationCheckError) as caught:
        check_automation(config, dialect)

    assert reason in caught.value.reason
    assert caught.value.path == path


@pytest.mark.parametrize(
    ("config", "dialect"),
    [
        (_modern(), Dialect.MODERN),
        (_modern(), None),
        (_legacy(), Dialect.LEGACY),
        (_legacy(), None),
    ],
)
def test_a_valid_automation_passes_in_its_dialect(
    config: dict[str, Any], dialect: Dialect | None
) -> None:
    check_automation(config, dialect)


def test_current_home_assistant_accepts_dialects_mixed_across_keys_but_not_within_one() -> None:
    mixed = _changed(_legacy(), ("trigger", 0), {"trigger": "time", "at": "06:45:00"})
    check_automation(mixed)

    with pytest.raises(AutomationCheckError):
        check_automation(mixed, Dialect.LEGACY)


def test_the_forms_home_assistant_also_accepts_pass() -> None:
    config = _modern()
    config["triggers"] = [
        {"trigger": "time", "at": ["6:45", "input_datetime.wake_up"]},
        {"trigger": "sun", "event": "sunrise", "offset": -600},
        {
            "trigger": "state",
            "entity_id": "light.a, light.b",
            "to": ["on", "off"],
            "for": "{{ 5 }}",
        },
        {"trigger": "numeric_state", "entity_id": "sensor.temp", "above": 20},
    ]
    config["conditions"] = [
        "{{ is_state('sun.sun', 'below_horizon') }}",
        {"or": [{"condition": "time", "after": "22:00:00", "weekday": "sat"}]},
        {
            "condition": "state",
            "entity_id": ["person.a", "person.b"],
            "state": "not_home",
            "for": {"minutes": 5},
        },
    ]
    config["actions"] = [
        {"delay": {"seconds": 30}},
        {"action": "light.turn_off", "target": {"area_id": "kitchen"}},
        {
            "choose": [
                {
                    "conditions": [],
                    "sequence": [
                        {"action": "scene.turn_on", "target": {"entity_id": "scene.evening"}}
                    ],
                }
            ]
        },
    ]
    check_automation(config, Dialect.MODERN)


def test_nested_actions_are_checked_too() -> None:
    config = _modern()
    config["actions"] = [{"if": [], "then": [{"action": "Light.On"}]}]

    with pytest.raises(AutomationCheckError) as caught:
        check_automation(config)

    assert caught.value.path == "actions[0].then[0].action"


def test_home_assistants_own_legacy_automations_file_passes(tmp_path: Path) -> None:
    copied = Path(shutil.copy(_FIXTURE / "automations.yaml", tmp_path / "automations.yaml"))
    automations = yaml.safe_load(copied.read_text(encoding="utf-8"))

    assert len(automations) >= 2
    for automation in automations:
        check_automation(automation, Dialect.LEGACY)
        check_automation(automation)
        with pytest.raises(AutomationCheckError):
            check_automation(automation, Dialect.MODERN)


@pytest.mark.parametrize("config", [_modern(), _legacy()])
def test_an_automation_survives_writing_and_reading_yaml(config: dict[str, Any]) -> None:
    text = automation_to_yaml(config)

    assert automation_from_yaml(text) == config
    assert text.index("id:") < text.index("alias:") < text.index("trigger")
    assert text.index("trigger") < text.index("condition") < text.index("action")
    assert text.rstrip().endswith("mode: single")


def test_yaml_writes_times_and_switch_states_in_quotes() -> None:
    config = _changed(_legacy(), ("trigger", 0, "to"), "off")
    config["trigger"].append({"platform": "time", "at": "16:45:00"})

    text = automation_to_yaml(config)

    assert 'at: "16:45:00"' in text
    assert "to: 'off'" in text
    assert "{" not in text  # block style throughout


def test_yaml_with_a_syntax_error_names_the_line() -> None:
    text = "alias: Broken\ntriggers:\n  - trigger: time\n    at: '06:45:00\nactions: []\n"

    with pytest.raises(AutomationCheckError) as caught:
        automation_from_yaml(text)

    assert caught.value.path is not None
    assert caught.value.path.startswith("line ")
    assert "not valid YAML" in caught.value.reason


def test_edited_yaml_with_a_bad_field_names_the_field_and_its_line() -> None:
    text = (
        "alias: Kitchen light\n"
        "triggers:\n"
        "  - trigger: time\n"
        "    at: '25:61'\n"
        "actions:\n"
        "  - action: light.turn_on\n"
        "    target:\n"
        "      entity_id: light.kitchen\n"
    )

    with pytest.raises(AutomationCheckError) as caught:
        automation_from_yaml(text, Dialect.MODERN)

    assert caught.value.path == "triggers[0].at"
    assert "(line 4)" in caught.value.reason


def test_edited_yaml_with_an_unquoted_afternoon_time_is_refused() -> None:
    text = "triggers:\n- trigger: time\n  at: 16:45:00\nactions:\n- action: light.turn_on\n"

    with pytest.raises(AutomationCheckError, match="in quotes"):
        automation_from_yaml(text)


def test_edited_yaml_may_be_a_list_of_one_automation() -> None:
    text = "- " + automation_to_yaml(_modern()).replace("\n", "\n  ").rstrip() + "\n"

    assert automation_from_yaml(text, Dialect.MODERN) == _modern()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "holds no automation"),
        ("- a: 1\n- b: 2\n", "expected one automation"),
        ("just words", "mapping"),
    ],
)
def test_edited_yaml_that_is_not_one_automation_is_refused(text: str, reason: str) -> None:
    with pytest.raises(AutomationCheckError, match=reason):
        automation_from_yaml(text)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # an unclosed quote on line 4: PyYAML marks the end of the text, past the last line
        ("alias: Broken\ntriggers:\n  - trigger: time\n    at: '06:45:00\nactions: []\n", 4),
        # an unclosed bracket on line 2
        ("alias: Broken\ntriggers: [\nactions: []\n", 2),
        # a tab where indentation belongs, on line 3
        ("alias: Broken\ntriggers:\n\t- trigger: time\n", 3),
        # a key indented out of line, on line 5
        ("alias: x\ntriggers:\n  - trigger: time\n    at: '07:00'\n   bad: 1\n", 5),
        # the first line (PyYAML counts it as 0)
        ("alias: [x\n", 1),
    ],
)
def test_a_yaml_syntax_error_names_the_line_the_owner_must_fix(text: str, line: int) -> None:
    with pytest.raises(AutomationCheckError) as caught:
        automation_from_yaml(text)

    assert caught.value.path == f"line {line}"
