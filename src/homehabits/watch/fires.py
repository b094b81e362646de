"""When an automation fired, and which state changes it made, read from the EventFrame.

Two ways, the better first:

- the `automation.*` entity's own rows: Home Assistant writes its state again (same state,
  new `last_triggered`) each time it fires, in the firing's context, so the recorder holds
  one row (or two: a run that ends writes `current` back) per fire, origin `automation`.
  Rows closer together than the automation's own delays plus a few seconds are one fire.
- else the changes it makes: its targets set by an automation to the state its service calls
  lead to. Changes within its delays plus a minute of one another are one fire (one fire
  switching three lamps). Another automation setting the same entity to the same state at
  the same moment cannot be told apart; the miners have the same limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import polars as pl

from homehabits.domains import state_after
from homehabits.events import Origin
from homehabits.patterns._common import real_changes
from homehabits.replay.plan import Plan

__all__ = ["Targets", "automation_changes", "changes_of_fires", "fire_times", "targets_of"]

# rows of the automation entity this close (beyond its delays) are one fire
_ENTITY_ROWS_GAP: Final = timedelta(seconds=5)
# changes of its targets this close (beyond its delays) are one fire
_CHANGES_GAP: Final = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Targets:
    """The entities an automation acts on and the states its calls leave them in."""

    states: pl.DataFrame  # entity_id, state: (entity, state) pairs its calls lead to
    any_state: frozenset[str]  # entities it may set to any state (toggle, a set_value call)

    @property
    def entities(self) -> frozenset[str]:
        """Every entity it acts on."""
        return frozenset(self.states["entity_id"].to_list()) | self.any_state

    def is_empty(self) -> bool:
        """Whether it acts on no entity at all (a notification, a scene by name)."""
        return not self.entities


def targets_of(plan: Plan) -> Targets:
    """The targets of an automation's service calls, each with the state it leaves it in."""
    pairs: dict[tuple[str, str], None] = {}
    anything: set[str] = set()
    for call in plan.calls:
        for entity_id in call.entity_ids:
            state = state_after(call.service, call.data, entity_id=entity_id)
            if state is None:
                anything.add(entity_id)
            else:
                pairs[(entity_id, state)] = None
    states = pl.DataFrame(
        {"entity_id": [e for e, _ in pairs], "state": [s for _, s in pairs]},
        schema={"entity_id": pl.String(), "state": pl.String()},
    )
    return Targets(states=states, any_state=frozenset(anything))


def _delays(plan: Plan) -> timedelta:
    return timedelta(seconds=plan.delay)


def _grouped_starts(times: pl.Series, gap: timedelta) -> pl.Series:
    """The first time of each run of times closer than `gap` to the one before (sorted)."""
    if times.is_empty():
        return times
    frame = pl.DataFrame({"time": times.sort()})
    frame = frame.with_columns(
        (pl.col("time").diff().fill_null(gap + gap) > gap).cum_sum().alias("fire")
    )
    return frame.group_by("fire", maintain_order=True).agg(pl.col("time").first())["time"]


def _entity_fire_rows(frame: pl.DataFrame, entity_id: str | None) -> pl.Series:
    """The times of the automation entity's own rows written by its firing."""
    if entity_id is None:
        return pl.Series("time", [], dtype=frame.schema["time"])
    rows = frame.filter(
        pl.col("entity_id") == entity_id,
        pl.col("state") == pl.col("old_state"),
        pl.col("origin") == Origin.AUTOMATION.value,
    )
    return rows["time"]


def automation_changes(frame: pl.DataFrame, targets: Targets) -> pl.DataFrame:
    """The real changes of its targets made by an automation, to a state its calls lead to."""
    changes = real_changes(frame).filter(
        pl.col("entity_id").is_in(sorted(targets.entities)),
        pl.col("origin") == Origin.AUTOMATION.value,
    )
    led_to = changes.join(targets.states, on=["entity_id", "state"], how="semi")
    free = changes.filter(pl.col("entity_id").is_in(sorted(targets.any_state)))
    return pl.concat([led_to, free]).unique(maintain_order=True).sort("time")


def fire_times(
    frame: pl.DataFrame, entity_id: str | None, plan: Plan, changes: pl.DataFrame
) -> tuple[pl.Series, bool]:
    """When it fired (sorted UTC times), and whether its own entity's rows told it.

    `changes` are automation_changes of its targets: the fires when the entity has no rows.
    """
    own = _entity_fire_rows(frame, entity_id)
    if not own.is_empty():
        return _grouped_starts(own, _delays(plan) + _ENTITY_ROWS_GAP), True
    return _grouped_starts(changes["time"], _delays(plan) + _CHANGES_GAP), False


def changes_of_fires(changes: pl.DataFrame, fires: pl.Series, plan: Plan) -> pl.DataFrame:
    """Each change with the fire it belongs to (`fired_at`); changes no fire explains dropped."""
    if changes.is_empty() or fires.is_empty():
        return changes.with_columns(pl.lit(None, dtype=changes.schema["time"]).alias("fired_at"))
    fired = pl.DataFrame({"fired_at": fires.sort()}).with_columns(pl.col("fired_at").alias("_at"))
    joined = changes.sort("time").join_asof(
        fired,
        left_on="time",
        right_on="_at",
        strategy="backward",
        tolerance=_delays(plan) + _CHANGES_GAP,
    )
    return joined.drop("_at").filter(pl.col("fired_at").is_not_null())
