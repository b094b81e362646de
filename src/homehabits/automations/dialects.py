"""The two automation dialects Home Assistant speaks, choosing one and converting between them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from homehabits.automations.tree import (
    ACTION_LIST_KEY,
    CONDITION_LIST_KEY,
    TRIGGER_LIST_KEY,
    NodeKind,
    transform,
)
from homehabits.config import Dialect, DialectSetting

__all__ = [
    "ACTION_LIST_KEY",
    "CONDITION_LIST_KEY",
    "MODERN_SINCE",
    "SERVICE_KEY",
    "TRIGGER_KEY",
    "TRIGGER_LIST_KEY",
    "choose_dialect",
    "convert_dialect",
    "parse_version",
]

#: The first Home Assistant release that understands triggers/conditions/actions.
MODERN_SINCE: Final = (2024, 10)

# The list keys per dialect (TRIGGER_LIST_KEY…) live with the rest of the tree's shape in
# tree.py and are named here too, where the dialects are.

#: The key naming a trigger's platform, and a service call's service, per dialect.
TRIGGER_KEY: Final = {Dialect.MODERN: "trigger", Dialect.LEGACY: "platform"}
SERVICE_KEY: Final = {Dialect.MODERN: "action", Dialect.LEGACY: "service"}

_VERSION: Final = re.compile(r"^\s*(\d+)\.(\d+)")


def parse_version(ha_version: str | None) -> tuple[int, int] | None:
    """The (year, month) of a Home Assistant version such as 2024.10.3 or 2025.1.0b2."""
    if not ha_version:
        return None
    match = _VERSION.match(ha_version)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def choose_dialect(setting: DialectSetting, ha_version: str | None) -> Dialect:
    """The dialect to write: forced by the setting, else from the Home Assistant version.

    An unknown version gets the legacy dialect, because every Home Assistant accepts it.
    """
    if setting is DialectSetting.MODERN:
        return Dialect.MODERN
    if setting is DialectSetting.LEGACY:
        return Dialect.LEGACY
    version = parse_version(ha_version)
    if version is not None and version >= MODERN_SINCE:
        return Dialect.MODERN
    return Dialect.LEGACY


def convert_dialect(config: Mapping[str, Any], dialect: Dialect) -> dict[str, Any]:
    """The same automation in `dialect`'s keys; key order and every value are kept.

    Items already in `dialect` stay as they are, so converting twice changes nothing.
    """
    source = Dialect.LEGACY if dialect is Dialect.MODERN else Dialect.MODERN
    renames = {
        TRIGGER_LIST_KEY[source]: TRIGGER_LIST_KEY[dialect],
        CONDITION_LIST_KEY[source]: CONDITION_LIST_KEY[dialect],
        ACTION_LIST_KEY[source]: ACTION_LIST_KEY[dialect],
    }
    renamed = {renames.get(key, key): value for key, value in config.items()}
    trigger_keys = (TRIGGER_KEY[source], TRIGGER_KEY[dialect])
    service_keys = (SERVICE_KEY[source], SERVICE_KEY[dialect])

    def change(kind: NodeKind, item: Any) -> Any:
        if not isinstance(item, Mapping):
            return item
        if kind is NodeKind.TRIGGER:
            return _renamed(item, *trigger_keys, only_text=False)
        if kind is NodeKind.ACTION:
            return _renamed(item, *service_keys, only_text=True)
        return item

    return transform(renamed, change)


def _renamed(item: Mapping[str, Any], old: str, new: str, *, only_text: bool) -> Any:
    """The item with key `old` named `new`, in place; left alone when it already has `new`.

    A trigger or service call carrying both keys is left for the checker to report.
    """
    if new in item or old not in item or (only_text and not isinstance(item[old], str)):
        return item
    return {(new if key == old else key): value for key, value in item.items()}
