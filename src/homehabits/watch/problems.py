"""What is wrong with an automation: entities gone or unavailable, never firing, kept undone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import polars as pl

from homehabits.automations.fields import is_entity_id
from homehabits.automations.tree import walk
from homehabits.context import HomeContext

__all__ = ["missing_entities", "named_entities", "problems_of", "unavailable_entities"]

# keys of triggers, conditions and actions that name entities
_ENTITY_KEYS: Final = ("entity_id",)
_UNAVAILABLE: Final = ("unavailable",)


def _entity_ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if is_entity_id(part.strip())]
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if is_entity_id(str(item).strip())]
    return []


def named_entities(config: Mapping[str, Any]) -> tuple[str, ...]:
    """Every entity its triggers, conditions and actions name, in the order they appear."""
    found: dict[str, None] = {}
    for node in walk(config):
        item = node.value
        if not isinstance(item, Mapping):
            continue
        holders = [item, item.get("target"), item.get("data")]
        for holder in holders:
            if isinstance(holder, Mapping):
                for key in _ENTITY_KEYS:
                    found.update(dict.fromkeys(_entity_ids(holder.get(key))))
    return tuple(found)


def missing_entities(named: tuple[str, ...], context: HomeContext) -> tuple[str, ...]:
    """The named entities the home does not have; none when the source lists no entities."""
    if not context.entities:
        return ()
    return tuple(entity for entity in named if entity not in context.entities)


def unavailable_entities(frame: pl.DataFrame, named: tuple[str, ...]) -> tuple[str, ...]:
    """The named entities whose last state in the window is `unavailable`."""
    if not named:
        return ()
    last = (
        frame.filter(pl.col("entity_id").is_in(list(named)))
        .group_by("entity_id")
        .agg(pl.col("state").sort_by("time").last())
        .filter(pl.col("state").is_in(list(_UNAVAILABLE)))
    )
    gone = set(last["entity_id"].to_list())
    return tuple(entity for entity in named if entity in gone)


def problems_of(
    *,
    fires: int,
    reverts: int,
    observable: bool,
    missing: tuple[str, ...],
    unavailable: tuple[str, ...],
    days: int,
    undone_at_least: int,
    turned_off: bool,
) -> tuple[str, ...]:
    """The problems in the owner's words, the worst first."""
    found: list[str] = []
    if missing:
        found.append(f"names entities the home no longer has: {', '.join(missing)}")
    if unavailable:
        found.append(f"names entities that are unavailable: {', '.join(unavailable)}")
    if turned_off:
        found.append("is turned off in Home Assistant")
    if observable and fires == 0 and not turned_off:
        found.append(f"never fired in {days} days")
    if reverts >= undone_at_least:
        found.append(f"keeps being undone: {reverts} of {fires} fires undone by hand")
    return tuple(found)
