"""One walk of the automation tree: every item, nested ones too, with the path errors name."""

from __future__ import annotations

from typing import Any

import pytest

from homehabits.automations import check_automation, convert_dialect
from homehabits.automations.calls import find_calls
from homehabits.automations.safety import never_reason
from homehabits.automations.tree import NodeKind, transform, walk
from homehabits.config import Dialect
from homehabits.context import HomeContext
from homehabits.exceptions import AutomationCheckError
from homehabits.sources.registries import automation_from_config


def _nested(*, legacy: bool) -> dict[str, Any]:
    trigger, service = ("platform", "service") if legacy else ("trigger", "action")

    def call(name: str) -> dict[str, Any]:
        return {service: name, "target": {"entity_id": "light.hall"}}

    return {
        "alias": "Everything nested",
        "trigger" if legacy else "triggers": [{trigger: "time", "at": "07:00:00"}],
        "condition" if legacy else "conditions": [
            {"or": [{"condition": "state", "entity_id": "light.hall", "state": "off"}]}
        ],
        "action" if legacy else "actions": [
            {
                "choose": [
                    {"conditions": [], "sequence": [call("light.turn_on")]},
                    {
                        "conditions": "{{ true }}",
                        "sequence": [{"if": [], "then": [call("light.toggle")]}],
                    },
                ],
                "default": [{"repeat": {"count": 2, "sequence": [call("light.turn_off")]}}],
            },
            {"parallel": [{"sequence": [call("switch.turn_on")]}]},
            {"wait_for_trigger": [{trigger: "state", "entity_id": "light.hall", "to": "on"}]},
        ],
    }


def test_the_walk_names_every_item_with_its_kind_and_path() -> None:
    found = [(node.kind, node.path) for node in walk(_nested(legacy=False))]

    assert found == [
        (NodeKind.TRIGGER, "triggers[0]"),
        (NodeKind.CONDITION, "conditions[0]"),
        (NodeKind.CONDITION, "conditions[0].or[0]"),
        (NodeKind.ACTION, "actions[0]"),
        (NodeKind.OPTION, "actions[0].choose[0]"),
        (NodeKind.ACTION, "actions[0].choose[0].sequence[0]"),
        (NodeKind.OPTION, "actions[0].choose[1]"),
        (NodeKind.CONDITION, "actions[0].choose[1].conditions[0]"),
        (NodeKind.ACTION, "actions[0].choose[1].sequence[0]"),
        (NodeKind.ACTION, "actions[0].choose[1].sequence[0].then[0]"),
        (NodeKind.ACTION, "actions[0].default[0]"),
        (NodeKind.ACTION, "actions[0].default[0].repeat.sequence[0]"),
        (NodeKind.ACTION, "actions[1]"),
        (NodeKind.ACTION, "actions[1].parallel[0]"),
        (NodeKind.ACTION, "actions[1].parallel[0].sequence[0]"),
        (NodeKind.ACTION, "actions[2]"),
        (NodeKind.TRIGGER, "actions[2].wait_for_trigger[0]"),
    ]


def test_the_walk_reads_a_legacy_automation_the_same_way() -> None:
    modern = [
        (node.kind, node.path.replace("actions", "action")) for node in walk(_nested(legacy=False))
    ]
    legacy = [(node.kind, node.path) for node in walk(_nested(legacy=True))]

    renamed = {"triggers": "trigger", "conditions": "condition"}
    assert legacy == [
        (
            kind,
            next((path.replace(a, b, 1) for a, b in renamed.items() if path.startswith(a)), path),
        )
        for kind, path in modern
    ]


def test_every_nested_service_call_is_found_in_either_dialect() -> None:
    for legacy in (False, True):
        services = [call.service for call in find_calls(_nested(legacy=legacy))]

        assert services == ["light.turn_on", "light.toggle", "light.turn_off", "switch.turn_on"]


def test_a_fault_deep_inside_is_reported_at_its_path() -> None:
    config = _nested(legacy=False)
    config["actions"][0]["default"][0]["repeat"]["sequence"][0]["target"] = {"room": "hall"}

    with pytest.raises(AutomationCheckError) as caught:
        check_automation(config, Dialect.MODERN)

    assert caught.value.path == "actions[0].default[0].repeat.sequence[0].target.room"


def test_converting_there_and_back_gives_the_automation_back() -> None:
    modern = _nested(legacy=False)

    legacy = convert_dialect(modern, Dialect.LEGACY)

    assert legacy == _nested(legacy=True)
    assert convert_dialect(legacy, Dialect.MODERN) == modern
    check_automation(legacy, Dialect.LEGACY)


def test_a_home_automation_read_in_the_legacy_dialect_has_modern_keys_all_the_way_down() -> None:
    existing = automation_from_config(_nested(legacy=True), "automation.everything_nested")

    assert list(existing.triggers) == _nested(legacy=False)["triggers"]
    assert list(existing.actions) == _nested(legacy=False)["actions"]


def test_transform_changes_each_item_and_copies_the_rest() -> None:
    original = _nested(legacy=False)
    seen: list[NodeKind] = []

    def mark(kind: NodeKind, item: Any) -> Any:
        seen.append(kind)
        return {**item, "alias": kind.value} if kind is NodeKind.TRIGGER else item

    changed = transform(original, mark)

    assert changed["triggers"][0]["alias"] == "trigger"
    assert changed["actions"][2]["wait_for_trigger"][0]["alias"] == "trigger"
    assert "alias" not in original["triggers"][0]
    assert seen == [node.kind for node in walk(original)]


def test_a_device_unlock_deep_inside_a_choose_is_never_suggested() -> None:
    config = _nested(legacy=True)
    unlock = {"device_id": "abc123", "domain": "lock", "type": "unlock", "entity_id": "lock.front"}
    config["action"][0]["choose"][1]["sequence"][0]["then"].append(unlock)

    reason = never_reason(config, HomeContext(time_zone="Europe/Berlin"))

    assert reason is not None
    assert "unlock" in reason
