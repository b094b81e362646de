"""The settings a person sets each time (brightness, setpoint, position): the action sets them.

Each habit's evidence is a set of manual actions; their state attributes (the frame's
`attributes` column, JSON) are read through the domain table's settings, so the values are
the service data they would become (brightness_pct, temperature, position, percentage…).
A setting is kept only when one cluster of values (within the setting's tolerance) holds
most of the habit's actions, and the action then sets that cluster's median: a lamp dimmed
to 30 % at night and lit fully in the morning is two clock habits, each with its own value,
and a lamp set anyhow gets no brightness at all.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Final

import polars as pl

from homehabits.domains import DOMAINS, Setting
from homehabits.patterns._common import manual_actions
from homehabits.patterns.habit import HabitKind, Pattern

__all__ = ["MOST_ACTIONS", "robust_value", "with_settings"]

#: The share of a habit's actions one cluster of values must hold to become the action's.
MOST_ACTIONS: Final = 0.7

# the kinds whose action is what the person did at that moment (an override reverts,
# an auto-off switches off: neither carries a setting of its own)
_KINDS: Final = frozenset({HabitKind.TIME_OF_DAY, HabitKind.SUN, HabitKind.SEQUENCE})


def robust_value(values: Sequence[float | None], tolerance: float) -> float | None:
    """The median of the cluster holding ≥ 70 % of the values (None ones count), else None."""
    known = sorted(value for value in values if value is not None)
    if not values or len(known) < MOST_ACTIONS * len(values):
        return None
    best: list[float] = []
    start = 0
    # a sliding window over the sorted values: the widest run no wider than the tolerance
    for end, value in enumerate(known):
        while value - known[start] > tolerance + 1e-9:
            start += 1
        if end + 1 - start > len(best):
            best = known[start : end + 1]
    if len(best) < MOST_ACTIONS * len(values):
        return None
    return float(statistics.median(best))


def with_settings(patterns: list[Pattern], frame: pl.DataFrame) -> list[Pattern]:
    """The habits with the settings their actions share, read from the actions' attributes."""
    wanted = [
        (index, pattern)
        for index, pattern in enumerate(patterns)
        if pattern.kind in _KINDS
        and not pattern.action_attributes
        and pattern.evidence_times
        and _settings(pattern)
    ]
    if not wanted:
        return patterns
    looked_up = _attributes_at(wanted, frame)
    result = list(patterns)
    for index, pattern in wanted:
        found = looked_up.get(index, [])
        chosen: list[tuple[str, Any]] = []
        for setting in _settings(pattern):
            values = [_as_float(setting.value(attributes)) for attributes in found]
            # an action whose attributes were not recorded says nothing either way
            values += [None] * (len(pattern.evidence_times) - len(found))
            centre = robust_value(values, setting.tolerance)
            if centre is None:
                continue
            value = setting.value({setting.key: centre})
            if value is not None:
                chosen.append((setting.key, value))
        if chosen:
            result[index] = replace(pattern, action_attributes=tuple(sorted(chosen)))
    return result


def _settings(pattern: Pattern) -> tuple[Setting, ...]:
    domain = DOMAINS.get(pattern.target_entity.split(".", 1)[0])
    return domain.settings_for(pattern.target_state) if domain is not None else ()


def _as_float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _attributes_at(
    wanted: list[tuple[int, Pattern]], frame: pl.DataFrame
) -> dict[int, list[dict[str, Any]]]:
    """Per habit, the parsed attributes of the manual actions that are its evidence."""
    times = pl.DataFrame(
        {
            "pid": [index for index, pattern in wanted for _ in pattern.evidence_times],
            "entity_id": [
                pattern.target_entity for _, pattern in wanted for _ in pattern.evidence_times
            ],
            "time": [moment for _, pattern in wanted for moment in pattern.evidence_times],
        },
        schema={"pid": pl.Int64(), "entity_id": pl.String(), "time": frame.schema["time"]},
    )
    actions = manual_actions(frame).select("entity_id", "time", "attributes")
    joined = times.join(actions, on=["entity_id", "time"], how="inner").unique(
        ["pid", "entity_id", "time"], keep="first", maintain_order=True
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for pid, text in joined.select("pid", "attributes").iter_rows():
        found.setdefault(pid, []).append(_parsed(text))
    return found


def _parsed(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
