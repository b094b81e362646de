"""The automation tree: its triggers, conditions and actions, nested ones too, in either dialect.

This is the one place that knows where an automation nests further items (`choose` options
and their `sequence`, `default`, `if`/`then`/`else`, `repeat`, `parallel`, `sequence`,
`wait_for_trigger`, and/or/not conditions). `walk` visits every item with its kind and its
path (`actions[0].choose[1].sequence[0]`, the path error messages name); `transform` builds a
copy with each item changed, for converting dialects and ordering keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from homehabits.automations.fields import as_list_at
from homehabits.config import Dialect

__all__ = [
    "ACTION_LIST_KEY",
    "CONDITION_LIST_KEY",
    "TRIGGER_LIST_KEY",
    "Node",
    "NodeKind",
    "transform",
    "triggers_disabled",
    "walk",
]


class NodeKind(StrEnum):
    """What an item of an automation is."""

    TRIGGER = "trigger"
    CONDITION = "condition"
    ACTION = "action"
    OPTION = "option"  # one option of a `choose` action: its conditions and sequence


@dataclass(frozen=True, slots=True)
class Node:
    """One item of an automation, where it stands and its place in its list."""

    kind: NodeKind
    path: str  # e.g. actions[0].choose[1].sequence[0]
    index: int
    value: Any


@dataclass(frozen=True, slots=True)
class _Slot:
    """Where an item (or the automation) holds a list of further items."""

    keys: tuple[str, ...]  # e.g. ("repeat", "sequence")
    kind: NodeKind
    may_be_empty: bool = True


#: The automation's own lists, by dialect.
TRIGGER_LIST_KEY: Final = {Dialect.MODERN: "triggers", Dialect.LEGACY: "trigger"}
CONDITION_LIST_KEY: Final = {Dialect.MODERN: "conditions", Dialect.LEGACY: "condition"}
ACTION_LIST_KEY: Final = {Dialect.MODERN: "actions", Dialect.LEGACY: "action"}

# The automation's own lists in the order they run, the modern key before the legacy key
# (a mixed config may have both).
_TOP: Final = tuple(
    _Slot((keys[dialect],), kind, may_be_empty=kind is not NodeKind.TRIGGER)
    for keys, kind in (
        (TRIGGER_LIST_KEY, NodeKind.TRIGGER),
        (CONDITION_LIST_KEY, NodeKind.CONDITION),
        (ACTION_LIST_KEY, NodeKind.ACTION),
    )
    for dialect in (Dialect.MODERN, Dialect.LEGACY)
)
# What tells a service call or a delay: neither holds further items.
_LEAF_ACTION_KEYS: Final = ("action", "service", "service_template", "delay")
_LOGIC_CONDITIONS: Final = ("and", "or", "not")
_CHOOSE: Final = _Slot(("choose",), NodeKind.OPTION, may_be_empty=False)
_DEFAULT: Final = _Slot(("default",), NodeKind.ACTION)
_IF: Final = _Slot(("if",), NodeKind.CONDITION)
_THEN_ELSE: Final = (_Slot(("then",), NodeKind.ACTION), _Slot(("else",), NodeKind.ACTION))
# repeat's while/until conditions are not walked: nothing homehabits checks or converts
# lives there
_REPEAT: Final = _Slot(("repeat", "sequence"), NodeKind.ACTION)
_PARALLEL: Final = _Slot(("parallel",), NodeKind.ACTION)
_SEQUENCE: Final = _Slot(("sequence",), NodeKind.ACTION)
_WAIT: Final = _Slot(("wait_for_trigger",), NodeKind.TRIGGER, may_be_empty=False)
_OPTION: Final = (_Slot(("conditions",), NodeKind.CONDITION), _Slot(("sequence",), NodeKind.ACTION))


def walk(config: Mapping[str, Any], *, strict: bool = False) -> Iterator[Node]:
    """Every trigger, condition, action and choose option, each before what it holds.

    With `strict`, a list of the wrong shape (empty where Home Assistant needs an item, or
    not a list) raises AutomationCheckError when the walk reaches it.
    """
    for slot in _TOP:
        key = slot.keys[0]
        if key in config and not (slot.kind is NodeKind.CONDITION and config[key] is None):
            yield from _walk_list(config[key], key, slot, strict)


def transform(config: Mapping[str, Any], change: Callable[[NodeKind, Any], Any]) -> dict[str, Any]:
    """A copy of the automation with `change(kind, item)` applied to every item.

    `change` gets a plain copy of the item (dicts and lists) and returns the item to keep;
    the items nested in it are changed in turn. A single item where a list may stand stays
    single, and the rest of the config is copied as it is.
    """
    copied: dict[str, Any] = {key: _copy_plain(value) for key, value in config.items()}
    for slot in _TOP:
        key = slot.keys[0]
        if key in copied:
            copied[key] = _transform_list(copied[key], slot.kind, change)
    return copied


def _copy_plain(value: Any) -> Any:
    """A deep copy of YAML data as dicts and lists (tuples from the context become lists)."""
    if isinstance(value, Mapping):
        return {key: _copy_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_copy_plain(item) for item in value]
    return value


def _slots(kind: NodeKind, item: Any) -> tuple[_Slot, ...]:
    """The lists an item holds, in the order Home Assistant runs (and the checker reads) them."""
    if not isinstance(item, Mapping):
        return ()
    if kind is NodeKind.OPTION:
        return _OPTION
    if kind is NodeKind.CONDITION:
        return _condition_slots(item)
    if kind is not NodeKind.ACTION:
        return ()
    # the first key that tells the kind of action wins, as in Home Assistant's script schema
    if any(key in item for key in _LEAF_ACTION_KEYS):
        return ()
    if "condition" in item:
        return _condition_slots(item)
    if "choose" in item:
        return (_CHOOSE, _DEFAULT)
    if "if" in item:
        return (_IF, *_THEN_ELSE)
    if "repeat" in item:
        return (_REPEAT,)
    if "parallel" in item:
        return (_PARALLEL,)
    if "sequence" in item:
        return (_SEQUENCE,)
    if "wait_for_trigger" in item:
        return (_WAIT,)
    return ()


def _condition_slots(condition: Mapping[str, Any]) -> tuple[_Slot, ...]:
    kind = condition.get("condition")
    if kind is None:
        # the shorthand {and|or|not: [...]}: the first of them is the condition
        shorthand = next((key for key in _LOGIC_CONDITIONS if key in condition), None)
        return () if shorthand is None else (_Slot((shorthand,), NodeKind.CONDITION),)
    if isinstance(kind, str) and kind in _LOGIC_CONDITIONS:
        return (_Slot(("conditions",), NodeKind.CONDITION),)
    return ()


def _held(item: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[bool, Any]:
    """Whether the item holds a value at `keys`, and the value."""
    value: Any = item
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return False, None
        value = value[key]
    return True, value


def _walk_list(value: Any, path: str, slot: _Slot, strict: bool) -> Iterator[Node]:
    for index, item in enumerate(_items(value, path, slot, strict)):
        where = f"{path}[{index}]"
        yield Node(slot.kind, where, index, item)
        for inner in _slots(slot.kind, item):
            held, part = _held(item, inner.keys)
            if held:
                yield from _walk_list(part, f"{where}.{'.'.join(inner.keys)}", inner, strict)


def _items(value: Any, path: str, slot: _Slot, strict: bool) -> list[Any]:
    if slot.kind is NodeKind.CONDITION and isinstance(value, str):
        return [value]  # a template written as the condition itself
    if strict:
        return as_list_at(value, path, allow_empty=slot.may_be_empty)
    if isinstance(value, Mapping):
        return [value]
    return list(value) if isinstance(value, list | tuple) else []


def _transform_list(value: Any, kind: NodeKind, change: Callable[[NodeKind, Any], Any]) -> Any:
    if isinstance(value, list):
        return [_transform_item(item, kind, change) for item in value]
    if isinstance(value, Mapping) or (kind is NodeKind.CONDITION and isinstance(value, str)):
        return _transform_item(value, kind, change)
    return value


def _transform_item(item: Any, kind: NodeKind, change: Callable[[NodeKind, Any], Any]) -> Any:
    changed = change(kind, item)
    for inner in _slots(kind, changed):
        held, part = _held(changed, inner.keys)
        if not held:
            continue
        holder = changed
        for key in inner.keys[:-1]:
            holder = holder[key]
        holder[inner.keys[-1]] = _transform_list(part, inner.kind, change)
    return changed


def triggers_disabled(config: Mapping[str, Any], dialect: Dialect) -> dict[str, Any]:
    """The automation with every trigger disabled (`enabled: false`): it no longer fires.

    The owner can switch it back on in Home Assistant; nothing else of it changes.
    """
    disabled = dict(config)
    key = TRIGGER_LIST_KEY[dialect]
    triggers = disabled.get(key)
    items = triggers if isinstance(triggers, list) else [triggers]
    disabled[key] = [
        {**item, "enabled": False} if isinstance(item, Mapping) else item for item in items
    ]
    return disabled
