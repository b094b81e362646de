"""The service calls inside an automation, found in nested sequences too, in either dialect."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from homehabits.automations.tree import NodeKind, walk

__all__ = ["FoundCall", "find_calls"]

_WIDE_TARGETS: Final = ("area_id", "floor_id", "label_id")


@dataclass(frozen=True, slots=True)
class FoundCall:
    """A service call as it stands in an automation: service, data and what it acts on."""

    service: str
    data: Mapping[str, Any] = field(default_factory=dict)
    entity_ids: tuple[str, ...] = ()
    wide_target: str | None = None  # "area", "floor", "label" or "all" when it targets those


def find_calls(config: Mapping[str, Any]) -> list[FoundCall]:
    """Every service call of an automation (actions, action, and their nested sequences)."""
    return [
        _call(service, node.value)
        for node in walk(config)
        if node.kind is NodeKind.ACTION and (service := _service_of(node.value)) is not None
    ]


def _service_of(action: Any) -> str | None:
    """The service an action calls (`action:` or the legacy `service:`), as written; else None."""
    if not isinstance(action, Mapping):
        return None
    service = action.get("action", action.get("service"))
    return service if isinstance(service, str) and "." in service else None


def _call(service: str, node: Mapping[str, Any]) -> FoundCall:
    data = _mapping(node.get("data"))
    target = _mapping(node.get("target"))
    entity_ids: list[str] = []
    wide: str | None = None
    # entity ids may sit in target (today), at the top of the call or in data (older configs)
    for holder in (node, target, data):
        value = holder.get("entity_id")
        items = value.split(",") if isinstance(value, str) else value
        for item in items if isinstance(items, list | tuple) else ():
            text = str(item).strip()
            if text == "all":
                wide = "all"
            elif text and text != "none":
                entity_ids.append(text)
    for key in _WIDE_TARGETS:
        if target.get(key):
            wide = wide or key.removesuffix("_id")
    return FoundCall(
        service=service.lower(),
        data=dict(data),
        entity_ids=tuple(dict.fromkeys(entity_ids)),
        wide_target=wide,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
