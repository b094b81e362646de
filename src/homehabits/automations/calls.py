"""The service calls inside an automation, found in nested sequences too, in either dialect."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["FoundCall", "find_calls"]

_ACTION_LISTS: Final = ("actions", "action", "sequence", "then", "else", "default", "parallel")
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
    found: list[FoundCall] = []
    for key in ("actions", "action"):
        if key in config:
            found.extend(_walk(config[key]))
    return found


def _walk(node: Any) -> Iterator[FoundCall]:
    if isinstance(node, list | tuple):
        for item in node:
            yield from _walk(item)
        return
    if not isinstance(node, Mapping):
        return
    service = node.get("action", node.get("service"))
    if isinstance(service, str) and "." in service:
        yield _call(service, node)
        return
    for key, value in node.items():
        if key in _ACTION_LISTS:
            yield from _walk(value)
        elif key == "choose":
            choices = [value] if isinstance(value, Mapping) else value
            for choice in choices if isinstance(choices, list | tuple) else ():
                if isinstance(choice, Mapping):
                    yield from _walk(choice.get("sequence"))
        elif key == "repeat" and isinstance(value, Mapping):
            yield from _walk(value.get("sequence"))


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
