"""The EventFrame: every state change of a home in one polars DataFrame, checked and sorted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import polars as pl

from homehabits.domains import ACTIONABLE_DOMAINS

__all__ = [
    "ACTIONABLE_DOMAINS",
    "EVENT_SCHEMA",
    "MANUAL_ORIGINS",
    "ORIGIN_DTYPE",
    "CheckedEvents",
    "Origin",
    "RejectedRow",
    "check_events",
    "empty_events",
]


class Origin(StrEnum):
    """What caused a state change."""

    USER = "user"  # a person, via UI/app/voice
    DEVICE = "device"  # a physical switch or an integration
    AUTOMATION = "automation"  # an automation or script
    SERVICE = "service"  # an API client configured as a service account
    UNKNOWN = "unknown"
    # Home Assistant itself: a start or restart writes every entity's state with no state
    # before it and no user, which no person did
    SYSTEM = "system"


ORIGIN_DTYPE: Final = pl.Enum([origin.value for origin in Origin])

EVENT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "time": pl.Datetime("us", "UTC"),
    "entity_id": pl.String(),
    "domain": pl.String(),
    "state": pl.String(),
    "old_state": pl.String(),
    "origin": ORIGIN_DTYPE,
    "user_id": pl.String(),
    "attributes": pl.String(),
}

#: Origins that are a person's own doing: the only ones habits are mined from.
MANUAL_ORIGINS: Final = frozenset({Origin.USER, Origin.DEVICE})

_ENTITY_ID_PATTERN: Final = r"^[a-z0-9_]+\.[a-z0-9_]+$"


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """One input row that was dropped, and why."""

    row: int  # 0-based position in the input (a source may map it to a file line)
    reason: str


@dataclass(frozen=True, slots=True)
class CheckedEvents:
    """A valid EventFrame and the rows that were dropped on the way."""

    frame: pl.DataFrame
    rejected: tuple[RejectedRow, ...] = ()
    rejected_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def rejected_count(self) -> int:
        """How many input rows were dropped."""
        return sum(self.rejected_by_reason.values())


def empty_events() -> pl.DataFrame:
    """An EventFrame with no rows."""
    return pl.DataFrame(schema=EVENT_SCHEMA)


def check_events(raw: pl.DataFrame, *, keep_rejected: int = 1000) -> CheckedEvents:
    """Bring a raw frame to the EventFrame schema; drop and count the rows that cannot be used.

    `time` may be a datetime (naive means UTC), epoch seconds, or ISO 8601 text. Rows with an
    unparseable time, a malformed entity id, a missing state or an unknown origin are dropped
    with their reason; at most `keep_rejected` of them are kept as examples, all are counted.
    """
    missing = [name for name in ("time", "entity_id", "state") if name not in raw.columns]
    if missing:
        raise ValueError(f"events are missing the column(s) {', '.join(missing)}")

    frame = raw.with_row_index("_row")
    frame = frame.with_columns(_parse_time(frame["time"]).alias("time"))
    for name in ("old_state", "user_id", "attributes", "domain"):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String()).alias(name))
    if "origin" not in frame.columns:
        frame = frame.with_columns(pl.lit(Origin.UNKNOWN.value).alias("origin"))
    frame = frame.with_columns(
        pl.col("entity_id").cast(pl.String()).str.strip_chars().str.to_lowercase(),
        pl.col("state").cast(pl.String()),
        pl.col("old_state").cast(pl.String()),
        pl.col("user_id").cast(pl.String()),
        pl.col("attributes").cast(pl.String()),
        pl.col("origin").cast(pl.String()).str.to_lowercase().fill_null(Origin.UNKNOWN.value),
    )
    frame = frame.with_columns(
        pl.col("entity_id").str.split_exact(".", 1).struct.field("field_0").alias("domain")
    )
    origins = [origin.value for origin in Origin]
    reason = (
        pl.when(pl.col("time").is_null())
        .then(pl.lit("unparseable time"))
        .when(pl.col("entity_id").is_null() | ~pl.col("entity_id").str.contains(_ENTITY_ID_PATTERN))
        .then(pl.lit("malformed entity id"))
        .when(pl.col("state").is_null())
        .then(pl.lit("missing state"))
        .when(~pl.col("origin").is_in(origins))
        .then(pl.lit("unknown origin"))
        .otherwise(pl.lit(None, dtype=pl.String()))
        .alias("_reason")
    )
    frame = frame.with_columns(reason)
    bad = frame.filter(pl.col("_reason").is_not_null()).select("_row", "_reason")
    counts = Counter(dict(bad.group_by("_reason").len().iter_rows())) if bad.height else Counter()
    examples = tuple(
        RejectedRow(row=int(row), reason=str(why))
        for row, why in bad.head(keep_rejected).iter_rows()
    )
    good = (
        frame.filter(pl.col("_reason").is_null())
        .select(pl.col(name).cast(dtype) for name, dtype in EVENT_SCHEMA.items())
        .sort("time", maintain_order=True)
    )
    return CheckedEvents(frame=good, rejected=examples, rejected_by_reason=dict(counts))


def _parse_time(column: pl.Series) -> pl.Series:
    """Any reasonable time column as Datetime(us, UTC); what cannot be parsed becomes null."""
    dtype = column.dtype
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return column.dt.cast_time_unit("us").dt.replace_time_zone("UTC")
        return column.dt.cast_time_unit("us").dt.convert_time_zone("UTC")
    if dtype.is_numeric():
        return _epoch_seconds(column.cast(pl.Float64))
    text = column.cast(pl.String()).str.strip_chars()
    return text.str.to_datetime(time_unit="us", time_zone="UTC", strict=False, ambiguous="null")


def _epoch_seconds(seconds: pl.Series) -> pl.Series:
    """Epoch seconds as Datetime(us, UTC), rounded exactly as `datetime.fromtimestamp` rounds.

    Home Assistant writes `time.time()` (finer than a microsecond). Multiplying by a million
    first rounds some of those to the next microsecond, one past the end a source computes
    with `fromtimestamp` from the newest row: that row fell out of the window. So the whole
    seconds and the fraction are taken apart first, and the fraction rounded half to even.
    """
    whole = pl.when(pl.col("s") >= 0).then(pl.col("s").floor()).otherwise(pl.col("s").ceil())
    fraction = ((pl.col("s") - whole) * 1_000_000).round(0, mode="half_to_even")
    micros = whole.cast(pl.Int64) * 1_000_000 + fraction.cast(pl.Int64)
    frame = pl.DataFrame({"s": seconds})
    return (
        frame.select(micros.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"))
        .to_series()
        .alias(seconds.name)
    )
