"""What is never a person's action, whatever the source: restarts and bounces, taken out first.

Two things real homes write that no person did:

- **A start or restart of Home Assistant** writes the state of every entity again, with no
  state before it (the recorder's `old_state_id` is NULL) and no user. Five or more entities
  written like that, each within seconds of the one before, are a start-up burst: those rows get `origin=system`, and the state
  each entity had before (its previous row in the frame) as `old_state`, so a light that comes
  back as it was is no change at all. A row without a state before it outside such a burst
  (the first row of an entity in a file, a new entity, the oldest row the recorder kept) may be
  anything, but it is not known to be a change: it is never counted as made by hand
  (`origin=unknown`).
- **A bounce**: a switch that goes on and back off within a few seconds (contact bounce,
  radio crosstalk) is not two actions. A chain of changes of one entity, each within
  `debounce_seconds` of the one before, that comes back to where it started is dropped whole;
  one that bounced on its way somewhere (off → on → off → on) keeps only its last row, as the
  one change it was. Automations' own changes are left as they are, and so are measurements
  (a sensor's value moving back and forth is no flip).

`clean_events` runs at the start of `mine()`, so every source, the benchmarks and the tests get
it; anything else that counts manual actions (a replay) should count them in its output too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Final

import polars as pl

from homehabits.config import MiningSettings
from homehabits.events import ACTIONABLE_DOMAINS, MANUAL_ORIGINS, ORIGIN_DTYPE, Origin

__all__ = ["RESTART_MIN_ENTITIES", "clean_events", "drop_bounces", "mark_restarts"]

#: A start-up burst touches at least this many entities...
RESTART_MIN_ENTITIES: Final = 5
# ...each within this long of the one before (Home Assistant writes its states in well under a
# second, integrations that load later a few seconds after)
_RESTART_GAP: Final = timedelta(seconds=5)
_MANUAL: Final = [origin.value for origin in MANUAL_ORIGINS]
# changes that are an automation's or Home Assistant's own: never a bounce to drop
_NOT_DEBOUNCED: Final = [Origin.AUTOMATION.value, Origin.SYSTEM.value]
# what switches (and what habits are triggered by) can bounce; a measurement moving back and
# forth (a sensor's 20.1 → 20.2 → 20.1) is no flip, and most of a home's rows
_SWITCHING_DOMAINS: Final = sorted(
    ACTIONABLE_DOMAINS | {"binary_sensor", "person", "device_tracker", "input_select"}
)


def clean_events(frame: pl.DataFrame, settings: MiningSettings | None = None) -> pl.DataFrame:
    """The EventFrame with restarts marked `system` and bounces dropped (see the module)."""
    settings = settings or MiningSettings()
    per_domain = {
        domain: float(overrides["debounce_seconds"])
        for domain, overrides in settings.per_domain.items()
        if "debounce_seconds" in overrides
    }
    return drop_bounces(mark_restarts(frame), settings.debounce_seconds, per_domain=per_domain)


def mark_restarts(frame: pl.DataFrame) -> pl.DataFrame:
    """Start-up bursts as `origin=system`; no row without a state before it stays manual."""
    no_state_before = frame["old_state"].is_null()
    if not no_state_before.any():
        return frame
    candidates = (
        frame.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), "time", "entity_id")
        .filter(no_state_before & frame["user_id"].is_null())
        .sort("time", maintain_order=True)
    )
    # a burst is a run of such rows, each close to the one before, over enough entities
    bursts = (
        candidates.with_columns(
            (pl.col("time").diff() > _RESTART_GAP).fill_null(True).cum_sum().alias("_burst")
        )
        .with_columns(pl.col("entity_id").n_unique().over("_burst").alias("_entities"))
        .filter(pl.col("_entities") >= RESTART_MIN_ENTITIES)
    )
    in_burst = _marked(frame.height, bursts["_row"])
    state_before = (
        pl.col("state").shift(1).over("entity_id")  # the frame is sorted by time
        if bursts.height
        else pl.lit(None, dtype=pl.String())
    )
    # the EventFrame's own origins, `system` included (a frame read from an older Parquet
    # file may carry an enum without it)
    origin = pl.col("origin").cast(pl.String).cast(ORIGIN_DTYPE)
    if frame.schema["origin"] == ORIGIN_DTYPE:
        origin = pl.col("origin")
    return frame.with_columns(
        pl.when(in_burst)
        .then(pl.lit(Origin.SYSTEM.value, dtype=ORIGIN_DTYPE))
        .when(no_state_before & origin.is_in(_MANUAL))
        .then(pl.lit(Origin.UNKNOWN.value, dtype=ORIGIN_DTYPE))
        .otherwise(origin)
        .alias("origin"),
        pl.when(in_burst).then(state_before).otherwise(pl.col("old_state")).alias("old_state"),
    )


def drop_bounces(
    frame: pl.DataFrame,
    debounce_seconds: float,
    *,
    per_domain: Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """The frame without the changes that bounced back within `debounce_seconds` (0: none)."""
    limits = dict(per_domain or {})
    if frame.is_empty() or (debounce_seconds <= 0 and not any(v > 0 for v in limits.values())):
        return frame
    limit = (
        pl.col("domain").replace_strict(limits, default=debounce_seconds, return_dtype=pl.Float64())
        if limits
        else pl.lit(debounce_seconds, dtype=pl.Float64())
    )
    changes = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
        "time",
        "entity_id",
        "domain",
        "state",
        "old_state",
        "origin",
    ).filter(
        pl.col("domain").is_in(_SWITCHING_DOMAINS),
        pl.col("old_state").is_not_null(),
        pl.col("state") != pl.col("old_state"),
    )
    # the frame is in time order, so each entity's previous change is the row before it there
    # (a window over the entity is several times faster than sorting by entity)
    gap = (pl.col("time") - pl.col("time").shift(1)).over("entity_id").dt.total_microseconds()
    close = (gap <= limit * 1_000_000).fill_null(False)
    changes = changes.with_columns(close.alias("_close"))
    bouncing = changes.filter(pl.col("_close"))["entity_id"].unique()
    if bouncing.is_empty():
        return frame
    chained = (
        # nearly every entity never bounces: only the few that did are looked at closer
        changes.filter(pl.col("entity_id").is_in(bouncing.implode()))
        .with_columns(
            (~pl.col("_close")).cum_sum().over("entity_id").alias("_chain"),
            (
                pl.col("_close") | pl.col("_close").shift(-1).over("entity_id").fill_null(False)
            ).alias("_chained"),
        )
        .filter(pl.col("_chained"))
    )
    chains = (
        chained.group_by("entity_id", "_chain")
        .agg(
            pl.len().alias("rows"),
            pl.col("old_state").first().alias("first_before"),
            pl.col("state").last().alias("last_state"),
            pl.col("state").n_unique().alias("states"),
            (pl.col("state") == pl.col("old_state").first()).any().alias("back_to_start"),
            pl.col("origin").cast(pl.String).is_in(_NOT_DEBOUNCED).any().alias("automated"),
        )
        # a chain that passes a state twice bounced; one through distinct states (a cover
        # closed → opening → open) did not
        .filter(
            ~pl.col("automated"),
            (pl.col("states") < pl.col("rows")) | pl.col("back_to_start"),
        )
    )
    if chains.is_empty():
        return frame
    chain = ["entity_id", "_chain"]
    # `chained` is in time order within each chain, and the join keeps that order
    bounced = chained.join(chains, on=chain, maintain_order="left").with_columns(
        (pl.int_range(pl.len()).over(chain) == pl.len().over(chain) - 1).alias("_last")
    )
    # kept: the last row of a chain that ended somewhere else, as the one change it was
    ended_elsewhere = pl.col("_last") & (pl.col("last_state") != pl.col("first_before"))
    kept = bounced.filter(ended_elsewhere)
    dropped = _marked(frame.height, bounced.filter(~ended_elsewhere)["_row"])
    old_states = frame["old_state"].scatter(kept["_row"], kept["first_before"])
    return frame.with_columns(old_states.alias("old_state")).filter(~dropped)


def _marked(length: int, rows: pl.Series) -> pl.Series:
    """A mask of `length` rows, True at the given row numbers."""
    return pl.repeat(False, length, dtype=pl.Boolean(), eager=True).scatter(rows, True)
