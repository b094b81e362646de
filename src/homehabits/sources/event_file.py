"""State changes from a file: CSV (also Home Assistant's history download), JSON lines, Parquet."""

from __future__ import annotations

import asyncio
import csv
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import polars as pl

from homehabits.context import Entity, HomeContext
from homehabits.events import Origin, RejectedRow, check_events
from homehabits.exceptions import ConfigError, SourceFormatError, SourceNotFoundError
from homehabits.sources.base import EventRead
from homehabits.sources.registries import tidy_entity_name

__all__ = ["EVENT_COLUMNS", "EventFileSource"]

#: The columns homehabits reads from an event file; the first three are required.
EVENT_COLUMNS: Final = (
    "time",
    "entity_id",
    "state",
    "old_state",
    "origin",
    "user_id",
    "attributes",
)
_REQUIRED: Final = ("time", "entity_id", "state")
# Other names files commonly use for our columns (Home Assistant's own first).
_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "time": ("last_updated", "last_changed", "timestamp"),
}
_FORMATS: Final = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_NO_ORIGIN_WARNING: Final = (
    "{name} has no origin column (as in Home Assistant's history download): every change "
    "counts as of unknown origin, and habits are only mined from changes made by hand; "
    "set HOMEHABITS_EVENTS_ASSUME_MANUAL=true (or --assume-manual) to take them as manual"
)
_ASSUMED_MANUAL_WARNING: Final = (
    "{name} has no origin column: every change is taken as made by hand, so what existing "
    "automations do may be suggested back"
)


@dataclass(frozen=True, slots=True)
class _LoadedFile:
    """A file's rows in our column names, with the line each row came from."""

    frame: pl.DataFrame  # every usable row of the file, as an EventFrame
    rejected: tuple[RejectedRow, ...]
    rejected_by_reason: dict[str, int]
    rows_read: int
    warnings: tuple[str, ...]


class EventFileSource:
    """An event file; a row that cannot be used is reported by its line and the rest is read."""

    def __init__(
        self,
        path: Path,
        *,
        time_zone: str = "UTC",
        columns: Mapping[str, str] | None = None,
        assume_manual: bool = False,
    ) -> None:
        self._path = Path(path).expanduser()
        # a file without an origin column cannot tell people from automations; the owner may
        # choose to take every change as made by hand rather than find no habit at all
        self._assume_manual = assume_manual
        self._format = _FORMATS.get(self._path.suffix.lower())
        if self._format is None:
            raise SourceFormatError(
                f"unknown event file type {self._path.suffix!r}; use {', '.join(sorted(_FORMATS))}",
                path=str(self._path),
            )
        try:
            ZoneInfo(time_zone)
        except (KeyError, ValueError) as err:
            raise ConfigError(f"unknown time zone {time_zone!r}") from err
        unknown = sorted(set(columns or {}) - set(EVENT_COLUMNS))
        if unknown:
            raise ConfigError(
                f"column mapping names {', '.join(unknown)}; "
                f"homehabits reads {', '.join(EVENT_COLUMNS)}"
            )
        self._time_zone = time_zone
        self._columns = dict(columns or {})
        self._loaded: _LoadedFile | None = None

    @property
    def description(self) -> str:
        """The file read."""
        return f"events {self._path}"

    async def read_context(self) -> HomeContext:
        """The given time zone, and the entities named in the file."""
        loaded = await asyncio.to_thread(self._load)
        entity_ids = loaded.frame["entity_id"].unique().sort().to_list()
        entities = {
            entity_id: Entity(entity_id=entity_id, name=tidy_entity_name(entity_id))
            for entity_id in entity_ids
        }
        return HomeContext(time_zone=self._time_zone, entities=entities)

    async def read_events(self, start: datetime, end: datetime, context: HomeContext) -> EventRead:
        """The file's state changes with start <= time < end; bad rows named by line."""
        loaded = await asyncio.to_thread(self._load)
        window = loaded.frame.filter((pl.col("time") >= start) & (pl.col("time") < end))
        return EventRead(
            frame=window,
            rows_read=loaded.rows_read,
            rejected=loaded.rejected,
            rejected_by_reason=loaded.rejected_by_reason,
            warnings=loaded.warnings,
        )

    def default_window_end(self) -> datetime | None:
        """Just after the newest change in the file, so an old file still gives a full window."""
        frame = self._load().frame
        if frame.is_empty():
            return None
        newest = frame["time"].max()
        return newest if isinstance(newest, datetime) else None

    # --- reading (blocking; run in a worker thread) -----------------------------------------

    def _load(self) -> _LoadedFile:
        if self._loaded is None:
            self._loaded = self._read_file()
        return self._loaded

    def _read_file(self) -> _LoadedFile:
        if not self._path.is_file():
            raise SourceNotFoundError(f"event file {self._path} does not exist")
        if self._format == "csv":
            raw, unreadable = _read_csv(self._path)
        elif self._format == "jsonl":
            raw, unreadable = _read_jsonl(self._path)
        else:
            raw, unreadable = _read_parquet(self._path), []
        raw = self._in_our_names(raw)
        warnings = []
        if "origin" not in raw.columns:
            if self._assume_manual:
                warnings.append(_ASSUMED_MANUAL_WARNING.format(name=self._path.name))
                raw = raw.with_columns(pl.lit(Origin.DEVICE.value).alias("origin"))
            else:
                warnings.append(_NO_ORIGIN_WARNING.format(name=self._path.name))
        raw = raw.with_columns(_times(raw["time"], self._time_zone))
        checked = check_events(raw.drop("_line"), keep_rejected=len(raw) + 1)
        lines = raw["_line"]
        rejected = sorted(
            [*unreadable, *(RejectedRow(lines[row.row], row.reason) for row in checked.rejected)],
            key=lambda row: row.row,
        )
        counts = Counter(checked.rejected_by_reason)
        counts.update(row.reason for row in unreadable)
        frame = checked.frame
        if "old_state" not in raw.columns:
            frame = frame.with_columns(
                pl.col("state").shift(1).over("entity_id", order_by="time").alias("old_state")
            )
        return _LoadedFile(
            frame=frame,
            rejected=tuple(rejected[:1000]),
            rejected_by_reason=dict(counts),
            rows_read=len(raw) + len(unreadable),
            warnings=tuple(warnings),
        )

    def _in_our_names(self, raw: pl.DataFrame) -> pl.DataFrame:
        """The file's columns renamed to ours; a missing required column is a clear error."""
        found = [name for name in raw.columns if name != "_line"]
        renames: dict[str, str] = {}
        for ours in EVENT_COLUMNS:
            theirs = self._columns.get(ours)
            if theirs is None:
                candidates = (ours, *_ALIASES.get(ours, ()))
                theirs = next((name for name in candidates if name in found), None)
            elif theirs not in found:
                raise SourceFormatError(
                    f"no column {theirs!r} (mapped to {ours!r}); columns found: {', '.join(found)}",
                    path=str(self._path),
                    field=theirs,
                )
            if theirs is not None:
                renames[theirs] = ours
        missing = [ours for ours in _REQUIRED if ours not in renames.values()]
        if missing:
            raise SourceFormatError(
                f"no column {missing[0]!r}; columns found: {', '.join(found) or 'none'} "
                "(map yours with columns={...})",
                path=str(self._path),
                field=missing[0],
            )
        return raw.select(
            "_line", *(pl.col(theirs).alias(ours) for theirs, ours in renames.items())
        )


def _read_csv(path: Path) -> tuple[pl.DataFrame, list[RejectedRow]]:
    """CSV rows as text, each with its 1-based line (the header is line 1)."""
    lines: list[int] = []
    records: list[list[str]] = []
    unreadable: list[RejectedRow] = []
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file)
        header: list[str] | None = None
        previous_end = 0
        for record in reader:
            line = previous_end + 1  # where the record starts, even if quoted text spans lines
            previous_end = reader.line_num
            if not record or all(not field.strip() for field in record):
                continue
            if header is None:
                header = [name.strip() for name in record]
                continue
            if len(record) != len(header):
                unreadable.append(
                    RejectedRow(line, f"{len(record)} fields, the header has {len(header)}")
                )
                continue
            lines.append(line)
            records.append(record)
    if header is None:
        raise SourceFormatError("the file is empty (no header line)", path=str(path))
    columns = {name: [record[i] for record in records] for i, name in enumerate(header)}
    frame = pl.DataFrame(columns, schema=dict.fromkeys(header, pl.String()))
    return frame.with_columns(pl.Series("_line", lines, dtype=pl.Int64())), unreadable


def _read_jsonl(path: Path) -> tuple[pl.DataFrame, list[RejectedRow]]:
    """One JSON object per line; a line that is not one is a rejected row, not an error."""
    rows: list[dict[str, str | None]] = []
    lines: list[int] = []
    unreadable: list[RejectedRow] = []
    with path.open(encoding="utf-8-sig") as file:
        for line, text in enumerate(file, start=1):
            if not text.strip():
                continue
            try:
                item = json.loads(text)
            except ValueError:
                unreadable.append(RejectedRow(line, "not valid JSON"))
                continue
            if not isinstance(item, dict):
                unreadable.append(RejectedRow(line, "not a JSON object"))
                continue
            rows.append({str(key): _as_text(value) for key, value in item.items()})
            lines.append(line)
    names = list(dict.fromkeys(key for row in rows for key in row))
    frame = pl.DataFrame(
        {name: [row.get(name) for row in rows] for name in names},
        schema=dict.fromkeys(names, pl.String()),
    )
    return frame.with_columns(pl.Series("_line", lines, dtype=pl.Int64())), unreadable


def _read_parquet(path: Path) -> pl.DataFrame:
    """A Parquet file; rows are numbered from 1 in place of lines."""
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.ComputeError, OSError) as err:
        raise SourceFormatError(f"not a readable Parquet file ({err})", path=str(path)) from err
    return frame.with_row_index("_line", offset=1).with_columns(pl.col("_line").cast(pl.Int64()))


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _times(column: pl.Series, time_zone: str) -> pl.Series:
    """Times as UTC; times without an offset are the home's local time."""
    if isinstance(column.dtype, pl.Datetime):
        if column.dtype.time_zone is None:
            column = column.dt.replace_time_zone(time_zone, ambiguous="earliest")
        return column.dt.convert_time_zone("UTC").alias("time")
    if column.dtype.is_numeric():
        return column.alias("time")
    text = column.cast(pl.String()).str.strip_chars()
    parsed = text.str.to_datetime(
        time_unit="us", time_zone=time_zone, strict=False, ambiguous="earliest"
    )
    missed = parsed.is_null() & text.is_not_null()
    if missed.any():
        # Polars guesses one format for the whole column; rows in another format get a second
        # chance one by one (there are few of them in a real file).
        zone = ZoneInfo(time_zone)
        values = parsed.to_list()
        for index in missed.arg_true().to_list():
            values[index] = _parse_one_time(text[index], zone)
        parsed = pl.Series(values, dtype=pl.Datetime("us", "UTC"))
    return parsed.dt.convert_time_zone("UTC").alias("time")


def _parse_one_time(text: str, zone: ZoneInfo) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(text), tz=zone)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
