"""The checker: refuses any automation Home Assistant would refuse, with the reason and where.

It follows Home Assistant's automation schema (automation/config.py and the trigger, condition
and action schemas) for every key homehabits writes. Triggers, conditions and actions of other
kinds, which only an owner's edit brings in, get the general checks (shape, dialect keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homehabits.automations.condition_checks import check_condition
from homehabits.automations.dialects import (
    ACTION_LIST_KEY,
    CONDITION_LIST_KEY,
    SERVICE_KEY,
    TRIGGER_LIST_KEY,
)
from homehabits.automations.fields import (
    check_duration,
    check_enabled,
    check_entity_ids,
    check_service,
    check_text,
    is_template,
)
from homehabits.automations.tree import NodeKind, walk
from homehabits.automations.trigger_checks import check_trigger
from homehabits.config import Dialect
from homehabits.exceptions import AutomationCheckError

__all__ = ["check_automation"]

_COMMON_TOP_KEYS: Final = (
    "id",
    "alias",
    "description",
    "mode",
    "max",
    "max_exceeded",
    "variables",
    "trigger_variables",
    "initial_state",
    "trace",
)
_PAIRS: Final = tuple(
    (keys[Dialect.LEGACY], keys[Dialect.MODERN])
    for keys in (TRIGGER_LIST_KEY, CONDITION_LIST_KEY, ACTION_LIST_KEY)
)
_MODES: Final = ("single", "restart", "queued", "parallel")
_LOG_LEVELS: Final = ("silent", "critical", "fatal", "error", "warning", "warn", "info", "debug")
_SERVICE_CALL_KEYS: Final = frozenset(
    {
        "action",
        "service",
        "service_template",
        "target",
        "data",
        "data_template",
        "entity_id",
        "metadata",
        "alias",
        "enabled",
        "continue_on_error",
        "response_variable",
    }
)
_TARGET_KEYS: Final = ("entity_id", "device_id", "area_id", "floor_id", "label_id")
# Other kinds of action Home Assistant knows, told apart by this key.
_OTHER_ACTIONS: Final = frozenset(
    {
        "wait_template",
        "event",
        "scene",
        "variables",
        "stop",
        "device_id",
        "set_conversation_response",
    }
)


# Actions that hold further items, told apart by this key (the walk goes into them).
_NESTING_ACTIONS: Final = frozenset(
    {"choose", "if", "repeat", "parallel", "sequence", "wait_for_trigger"}
)


def check_automation(config: Mapping[str, Any], dialect: Dialect | None = None) -> None:
    """Raise AutomationCheckError if Home Assistant would refuse this automation.

    With a dialect, keys of the other dialect are refused too; without one, the rules of a
    current Home Assistant apply (which accepts either dialect, but not both at once).
    """
    if not isinstance(config, Mapping):
        raise AutomationCheckError(
            f"an automation must be a mapping of keys, got {type(config).__name__}"
        )
    _check_top_keys(config, dialect)
    _check_settings(config)
    _require(config, TRIGGER_LIST_KEY, dialect)
    _require(config, ACTION_LIST_KEY, dialect)
    # each item is checked before the walk goes into what it holds, so the first fault
    # found is the outermost one, in the order Home Assistant reads the automation
    for node in walk(config, strict=True):
        if node.kind is NodeKind.TRIGGER:
            check_trigger(node.value, node.path, node.index, dialect)
        elif node.kind is NodeKind.CONDITION:
            check_condition(node.value, node.path)
        elif node.kind is NodeKind.OPTION:
            _check_option(node.value, node.path)
        else:
            _check_action(node.value, node.path, node.index, dialect)


def _check_top_keys(config: Mapping[str, Any], dialect: Dialect | None) -> None:
    allowed = {*_COMMON_TOP_KEYS, *(key for pair in _PAIRS for key in pair)}
    for key in config:
        if key not in allowed:
            raise AutomationCheckError(
                f"extra keys not allowed: {key!r} (an automation has id, alias, description, "
                "triggers, conditions, actions, mode and a few settings)",
                path=str(key),
            )
    for legacy, modern in _PAIRS:
        if legacy in config and modern in config:
            raise AutomationCheckError(
                f"cannot have both {legacy!r} and {modern!r}; use {modern!r} only", path=modern
            )
        if dialect is Dialect.LEGACY and modern in config:
            raise AutomationCheckError(
                f"extra keys not allowed: {modern!r} (this Home Assistant is older than 2024.10 "
                f"and speaks the legacy dialect: use {legacy!r})",
                path=modern,
            )
        if dialect is Dialect.MODERN and legacy in config:
            raise AutomationCheckError(
                f"{legacy!r} is a legacy key; this automation is in the modern dialect "
                f"(Home Assistant 2024.10 and later): use {modern!r}",
                path=legacy,
            )


def _require(
    config: Mapping[str, Any], keys: Mapping[Dialect, str], dialect: Dialect | None
) -> None:
    if any(key in config for key in keys.values()):
        return
    wanted = keys[dialect or Dialect.MODERN]
    raise AutomationCheckError(f"missing {wanted!r}")


def _check_settings(config: Mapping[str, Any]) -> None:
    if "id" in config:
        check_text(config["id"], "id", "id", allow_empty=False)
    for key in ("alias", "description"):
        if key in config:
            check_text(config[key], key, key)
    mode = config.get("mode", "single")
    if mode not in _MODES:
        raise AutomationCheckError(
            f"'mode' must be one of {', '.join(_MODES)}, got {mode!r}", path="mode"
        )
    if "max" in config:
        value = config["max"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise AutomationCheckError(
                f"'max' must be a whole number ≥ 1, got {value!r}", path="max"
            )
    if "max_exceeded" in config and str(config["max_exceeded"]).lower() not in _LOG_LEVELS:
        raise AutomationCheckError(
            f"'max_exceeded' must be a log level such as warning or silent, "
            f"got {config['max_exceeded']!r}",
            path="max_exceeded",
        )
    if "initial_state" in config and not isinstance(config["initial_state"], bool):
        raise AutomationCheckError(
            f"'initial_state' must be true or false, got {config['initial_state']!r}",
            path="initial_state",
        )
    for key in ("variables", "trigger_variables", "trace"):
        if key in config and not isinstance(config[key], Mapping):
            raise AutomationCheckError(f"{key!r} must be a mapping", path=key)


def _check_action(action: Any, path: str, index: int, dialect: Dialect | None) -> None:
    """One action, not the actions, conditions and triggers it holds (the walk visits those)."""
    if not isinstance(action, Mapping):
        raise AutomationCheckError(f"an action must be a mapping, got {action!r}", path=path)
    check_enabled(action, path)
    if any(key in action for key in ("action", "service", "service_template")):
        _check_service_call(action, path, index, dialect)
    elif "delay" in action:
        check_duration(
            action["delay"], f"{path}.delay", "delay", positive=True, allow_template=True
        )
    elif "condition" in action:
        check_condition(action, path)
    elif "choose" in action:
        pass  # its options are checked as the walk reaches them
    elif "if" in action:
        if "then" not in action:
            raise AutomationCheckError("an 'if' action needs 'then'", path=path)
    elif "repeat" in action:
        repeat = action["repeat"]
        if not isinstance(repeat, Mapping) or "sequence" not in repeat:
            raise AutomationCheckError("a 'repeat' action needs 'sequence'", path=f"{path}.repeat")
    elif not any(key in action for key in _NESTING_ACTIONS | _OTHER_ACTIONS):
        raise AutomationCheckError(
            "unknown action: expected 'action: domain.service' (or delay, choose, if, repeat, "
            f"…), got the keys {', '.join(map(str, action))}",
            path=path,
        )


def _check_option(option: Any, path: str) -> None:
    if not isinstance(option, Mapping) or "sequence" not in option:
        raise AutomationCheckError("a choice needs 'conditions' and 'sequence'", path=path)


def _check_service_call(
    action: Mapping[str, Any], path: str, index: int, dialect: Dialect | None
) -> None:
    if "action" in action and "service" in action:
        raise AutomationCheckError(
            f"action {index} mixes 'service' and 'action'; use only one", path=path
        )
    if dialect is Dialect.LEGACY and "action" in action:
        raise AutomationCheckError(
            "extra keys not allowed: 'action' (Home Assistant before 2024.10 calls a service "
            "with 'service')",
            path=f"{path}.action",
        )
    if dialect is Dialect.MODERN and "service" in action:
        raise AutomationCheckError(
            "'service' is a legacy key; the modern dialect calls a service with 'action'",
            path=f"{path}.service",
        )
    for key in action:
        if key not in _SERVICE_CALL_KEYS:
            raise AutomationCheckError(
                f"extra keys not allowed: {key!r} (a service call has "
                f"{SERVICE_KEY[dialect or Dialect.MODERN]}, target and data)",
                path=f"{path}.{key}",
            )
    for key in ("action", "service", "service_template"):
        if key in action:
            check_service(action[key], f"{path}.{key}", key)
    if "target" in action:
        _check_target(action["target"], f"{path}.target")
    for key in ("data", "data_template"):
        if key in action and not (isinstance(action[key], Mapping) or is_template(action[key])):
            raise AutomationCheckError(f"{key!r} must be a mapping", path=f"{path}.{key}")
    data = action.get("data")
    if isinstance(data, Mapping) and "entity_id" in data:
        check_entity_ids(
            data["entity_id"],
            f"{path}.data.entity_id",
            "entity_id",
            allow_all=True,
            allow_template=True,
        )
    if "entity_id" in action:
        check_entity_ids(
            action["entity_id"],
            f"{path}.entity_id",
            "entity_id",
            allow_all=True,
            allow_template=True,
        )


def _check_target(target: Any, path: str) -> None:
    if is_template(target):
        return
    if not isinstance(target, Mapping):
        raise AutomationCheckError(f"'target' must be a mapping, got {target!r}", path=path)
    for key, value in target.items():
        if key not in _TARGET_KEYS:
            raise AutomationCheckError(
                f"extra keys not allowed: {key!r} (a target has {', '.join(_TARGET_KEYS)})",
                path=f"{path}.{key}",
            )
        if key == "entity_id":
            check_entity_ids(
                value, f"{path}.entity_id", "entity_id", allow_all=True, allow_template=True
            )
        else:
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(item, str) and item for item in items):
                raise AutomationCheckError(
                    f"{key!r} must be an id or a list of ids, got {value!r}", path=f"{path}.{key}"
                )
