"""Automations as YAML text: written in Home Assistant's usual layout, read back and checked."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import yaml

from homehabits.automations.checker import check_automation
from homehabits.automations.tree import NodeKind, transform
from homehabits.config import Dialect
from homehabits.exceptions import AutomationCheckError

__all__ = ["automation_from_yaml", "automation_to_yaml", "yaml_error_where"]

_TOP_ORDER: Final = (
    "id",
    "alias",
    "description",
    "triggers",
    "trigger",
    "conditions",
    "condition",
    "actions",
    "action",
    "mode",
)
_ITEM_FIRST: Final = ("trigger", "platform", "condition", "action", "service", "alias")
# Text that YAML 1.1 could read as a number (16:45:00 is base 60) or that looks like a time:
# always quoted, so Home Assistant reads it as the text it is.
_CLOCK_LIKE: Final = re.compile(r"^[+-]?\d{1,2}:\d{1,2}(:\d{1,2})?$")
_PATH_PART: Final = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
# What YAML counts as a line break.
_LINE_BREAK: Final = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


class _AutomationDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, quoting times and offsets."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = '"' if _CLOCK_LIKE.match(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_AutomationDumper.add_representer(str, _represent_text)


def automation_to_yaml(config: Mapping[str, Any]) -> str:
    """The automation as block-style YAML, keys in Home Assistant's usual order."""
    return yaml.dump(
        _ordered(config),
        Dumper=_AutomationDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1000,
    )


def automation_from_yaml(text: str, dialect: Dialect | None = None) -> dict[str, Any]:
    """Read one automation from YAML (a mapping, or a list of one) and check it.

    Raises AutomationCheckError with the reason: the YAML line for a syntax error, the field
    (and its line) for a config Home Assistant would refuse.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        line, problem = yaml_error_where(text, err)
        where = f"line {line}" if line is not None else None
        raise AutomationCheckError(f"not valid YAML: {problem}", path=where) from err
    except yaml.YAMLError as err:
        raise AutomationCheckError(f"not valid YAML: {err}") from err
    if isinstance(data, list):
        if len(data) != 1:
            raise AutomationCheckError(f"expected one automation, found a list of {len(data)}")
        data = data[0]
    if data is None:
        raise AutomationCheckError("the text holds no automation")
    if not isinstance(data, dict):
        raise AutomationCheckError(
            f"an automation must be a mapping of keys, got {type(data).__name__}"
        )
    try:
        check_automation(data, dialect)
    except AutomationCheckError as err:
        line = _line_of(text, err.path)
        if line is None:
            raise
        raise AutomationCheckError(f"{err.reason} (line {line})", path=err.path) from err
    return data


def yaml_error_where(text: str, err: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """The 1-based line a YAML error is on, and its problem in words.

    PyYAML's marks count lines from 0. An error found only at the end of the text (an
    unclosed quote or bracket) is marked past the last line; it belongs to the line where
    the unclosed part began.
    """
    problem = err.problem or err.context or "unreadable"
    mark = err.problem_mark or err.context_mark
    if mark is None:
        return None, problem
    context = err.context_mark
    if context is not None and err.problem and mark.index >= len(text.rstrip()):
        return context.line + 1, f"{problem} ({err.context})" if err.context else problem
    last_line = len(_LINE_BREAK.split(text.rstrip())) if text.strip() else 1
    line = min(mark.line + 1, last_line)
    if err.problem and err.context and context is not None and context.line + 1 != line:
        problem = f"{problem} ({err.context} from line {context.line + 1})"
    return line, problem


def _ordered(config: Mapping[str, Any]) -> dict[str, Any]:
    ordered = transform(config, _order_item)
    return {key: ordered[key] for key in (*_TOP_ORDER, *ordered) if key in ordered}


def _order_item(kind: NodeKind, item: Any) -> Any:
    if not isinstance(item, Mapping):
        return item
    return {key: item[key] for key in (*_ITEM_FIRST, *item) if key in item}


def _line_of(text: str, path: str | None) -> int | None:
    """The 1-based line of a field such as triggers[0].at in the YAML text, when found."""
    if not path or path.startswith("line "):
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if isinstance(node, yaml.SequenceNode) and len(node.value) == 1:
        node = node.value[0]
    for key, index in _PATH_PART.findall(path):
        node = _child(node, key, index)
        if node is None:
            return None
    return None if node is None else int(node.start_mark.line) + 1


def _child(node: yaml.Node | None, key: str, index: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and key:
        for key_node, value_node in node.value:
            if key_node.value == key:
                return value_node  # type: ignore[no-any-return]
        return None
    if index:
        if isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            return node.value[int(index)]  # type: ignore[no-any-return]
        # a single mapping written where a list may stand
        return node if isinstance(node, yaml.MappingNode) and index == "0" else None
    return None
