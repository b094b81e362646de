"""State changes from a file: CSV (also Home Assistant's history download), JSON lines, Parquet."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import polars as pl

from homehabits.context import Entity, HomeContext, Location
from homehabits.events import Origin, RejectedRow, check_events
from homehabits.exceptions import ConfigError, SourceFormatError, SourceNotFoundError
from homehabits.sources.base import EventRead
from homehabits.sources.home_file import HomeFile, home_file_beside, read_home_file
from homehabits.sources.registries import tidy_entity_name

__all__ = ["EVENT_COLUMNS", "GIVE_TIME_ZONE", "EventFileSource"]

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
#: What to give when a source cannot tell the home's time zone (and location) itself.
GIVE_TIME_ZONE: Final = "give --time-zone (and --latitude/--longitude for sun habits)"
_NO_LOCATION_WARNING: Final = (
    "{name} does not say where the home is: habits that follow the sun (sunset + offset) are "
    "not looked for; give --latitude/--longitude (or a location in {stem}.home.json)"
)

# A row later than this after now is a typo or a broken clock (year 9999): it would move the
# window's end to that year and leave every real change outside it.
_FUTURE_SLACK: Final = timedelta(days=1)
_IN_THE_FUTURE: Final = "time in the future"
_DUPLICATE: Final = "same as an earlier row"
# Bytes read to tell a text file from a binary one.
_SNIFF_BYTES: Final = 65_536


@dataclass(frozen=True, slots=True)
class _LoadedFile:
    """A file's rows in our column names, with the line each row came from."""

    frame: pl.DataFrame  # every usable row of the file, as an EventFrame
    rejected: tuple[RejectedRow, ...]
    rejected_by_reason: dict[str, int]
    rows_read: int
    warnings: tuple[str, ...]
    home: HomeFile | None  # the home file beside it, if there is one


class EventFileSource:
    """An event file; a row that cannot be used is reported by its line and the rest is read."""

    def __init__(
        self,
        path: Path,
        *,
        time_zone: str | None = None,
        location: Location | None = None,
        columns: Mapping[str, str] | None = None,
        assume_manual: bool = False,
        home_file: Path | None = None,
    ) -> None:
        self._path = Path(path).expanduser()
        # None: the home file beside the event file, if there is one (see home_file.py)
        self._home_file = Path(home_file).expanduser() if home_file is not None else None
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
            ZoneInfo(time_zone or "UTC")
        except (KeyError, ValueError) as err:
            raise ConfigError(f"unknown time zone {time_zone!r}") from err
        unknown = sorted(set(columns or {}) - set(EVENT_COLUMNS))
        if unknown:
            raise ConfigError(
                f"column mapping names {', '.join(unknown)}; "
                f"homehabits reads {', '.join(EVENT_COLUMNS)}"
            )
        # None: the file does not say, and the owner did not either (refused in read_context)
        self._time_zone = time_zone
        self._location = location
        self._columns = dict(columns or {})
        self._loaded: _LoadedFile | None = None
        self._time_column = self._columns.get("time", "time")  # the file's own name for it

    @property
    def description(self) -> str:
        """The file read."""
        return f"events {self._path}"

    async def read_context(self) -> HomeContext:
        """The time zone, location, areas and entities: given, else from the home file."""
        loaded = await asyncio.to_thread(self._load)  # a missing or broken file first
        home = loaded.home
        time_zone = self._time_zone or (home.time_zone if home else None)
        if time_zone is None:
            # a file's times say nothing of the home's clock: mining in UTC would put a
            # 06:45 routine in Berlin at 05:45 and turn sunset habits into clock habits
            raise ConfigError(
                f"{self._path}: an event file does not say the home's time zone; "
                f"{GIVE_TIME_ZONE}, or write it in {self._path.stem}.home.json beside it"
            )
        entity_ids = loaded.frame["entity_id"].unique().sort().to_list()
        entities = {
            entity_id: Entity(entity_id=entity_id, name=tidy_entity_name(entity_id))
            for entity_id in entity_ids
        }
        # the home file's entities win; those without a change in the file still belong to it
        entities.update(home.entities if home else {})
        return HomeContext(
            time_zone=time_zone,
            location=self._location or (home.location if home else None),
            name=home.name if home else None,
            entities=entities,
            areas=dict(home.areas) if home else {},
            persons=home.persons if home else (),
        )

    async def read_events(self, start: datetime, end: datetime, context: HomeContext) -> EventRead:
        """The file's state changes with start <= time < end; bad rows named by line."""
        loaded = await asyncio.to_thread(self._load)
        window = loaded.frame.filter((pl.col("time") >= start) & (pl.col("time") < end))
        warnings = loaded.warnings
        if context.location is None:
            warnings = (
                *warnings,
                _NO_LOCATION_WARNING.format(name=self._path.name, stem=self._path.stem),
            )
        return EventRead(
            frame=window,
            rows_read=loaded.rows_read,
            rejected=loaded.rejected,
            rejected_by_reason=loaded.rejected_by_reason,
            warnings=warnings,
        )

    def default_window_end(self) -> datetime | None:
        """Just after the newest change in the file, so an old file still gives a full window.

        Windows are half-open (start <= time < end): an end one microsecond (the EventFrame's
        resolution) after the newest change keeps that change in, and a later window that
        starts at this end cannot count it twice.
        """
        frame = self._load().frame
        if frame.is_empty():
            return None
        newest = frame["time"].max()
        return newest + timedelta(microseconds=1) if isinstance(newest, datetime) else None

    # --- reading (blocking; run in a worker thread) -----------------------------------------

    def _load(self) -> _LoadedFile:
        if self._loaded is None:
            self._loaded = self._read_file()
        return self._loaded

    def _read_home_file(self) -> HomeFile | None:
        if self._home_file is not None and not self._home_file.is_file():
            raise SourceNotFoundError(f"home file {self._home_file} does not exist")
        path = self._home_file or home_file_beside(self._path)
        return read_home_file(path) if path is not None else None

    def _read_file(self) -> _LoadedFile:
        if not self._path.is_file():
            raise SourceNotFoundError(f"event file {self._path} does not exist")
        home = self._read_home_file()
        # times without an offset are the home's: the given zone, else the home file's
        time_zone = self._time_zone or (home.time_zone if home else None) or "UTC"
        if self._format == "csv":
            raw, unreadable = _read_csv(_text_of(self._path), self._path)
        elif self._format == "jsonl":
            raw, unreadable = _read_jsonl(_text_of(self._path))
        else:
            raw, unreadable = _read_parquet(self._path), []
        if raw.height + len(unreadable) == 0:
            what = "only a header line" if self._format == "csv" else "no rows"
            raise SourceFormatError(
                f"the file has {what}: there are no state changes to read", path=str(self._path)
            )
        raw = self._in_our_names(raw)
        warnings = []
        if "origin" not in raw.columns:
            if self._assume_manual:
                warnings.append(_ASSUMED_MANUAL_WARNING.format(name=self._path.name))
                raw = raw.with_columns(pl.lit(Origin.DEVICE.value).alias("origin"))
            else:
                warnings.append(_NO_ORIGIN_WARNING.format(name=self._path.name))
        rows_read = raw.height + len(unreadable)
        time_text = raw["time"]
        raw = raw.with_columns(_times(raw["time"], time_zone))
        if raw.height and raw["time"].is_null().all():
            raise self._no_readable_time(raw["_line"][0], time_text[0])
        raw, skipped = _without_future_and_repeated_rows(raw)
        unreadable.extend(skipped)
        checked = check_events(raw.drop("_line"), keep_rejected=len(raw) + 1)
        lines = raw["_line"]
        rejected = sorted(
            [*unreadable, *(RejectedRow(lines[row.row], row.reason) for row in checked.rejected)],
            key=lambda row: row.row,
        )
        counts = Counter(checked.rejected_by_reason)
        counts.update(row.reason for row in unreadable)
        if checked.frame.is_empty():
            raise self._no_usable_row(rows_read, counts, rejected)
        frame = checked.frame
        if "old_state" not in raw.columns:
            frame = frame.with_columns(
                pl.col("state").shift(1).over("entity_id", order_by="time").alias("old_state")
            )
        return _LoadedFile(
            frame=frame,
            rejected=tuple(rejected[:1000]),
            rejected_by_reason=dict(counts),
            rows_read=rows_read,
            warnings=tuple(warnings),
            home=home,
        )

    def _no_readable_time(self, line: int, example: object) -> SourceFormatError:
        return SourceFormatError(
            f"no row has a time homehabits can read (line {line} has {str(example)[:40]!r}); "
            "write times as ISO 8601 (2024-03-04T06:45:00+01:00) or epoch seconds",
            path=str(self._path),
            field=self._time_column,
        )

    def _no_usable_row(
        self, rows_read: int, counts: Counter[str], rejected: list[RejectedRow]
    ) -> SourceFormatError:
        reasons = ", ".join(f"{n} {why}" for why, n in counts.most_common())
        first = f"; first: line {rejected[0].row}, {rejected[0].reason}" if rejected else ""
        return SourceFormatError(
            f"none of its {rows_read} rows can be used ({reasons}){first}", path=str(self._path)
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
                if ours == "time":
                    self._time_column = theirs
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


def _text_of(path: Path) -> str:
    """A text file's content; a binary or non-UTF-8 file is a SourceFormatError naming a line."""
    data = path.read_bytes()
    if data.startswith(b"PAR1"):
        raise SourceFormatError(
            "this is a Parquet file: name it .parquet to read it", path=str(path)
        )
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise SourceFormatError(
            "not a text file (it holds binary data); an event file is CSV, JSON lines or Parquet",
            path=str(path),
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    bad = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
    shown = ", ".join(str(number) for number in bad[:5]) + (", …" if len(bad) > 5 else "")
    raise SourceFormatError(
        f"not UTF-8 text ({len(bad)} line(s) hold other bytes: {shown}); save the file as UTF-8",
        path=str(path),
        line=bad[0] if bad else None,
    )


def _without_future_and_repeated_rows(
    raw: pl.DataFrame,
) -> tuple[pl.DataFrame, list[RejectedRow]]:
    """The rows without those dated after tomorrow and without exact repeats of earlier rows."""
    limit = datetime.now(UTC) + _FUTURE_SLACK
    future = pl.col("time").is_not_null() & (pl.col("time") > limit)
    values = [name for name in raw.columns if name != "_line"]
    # a row identical in every column to an earlier one is the same change written twice
    # (a file appended to twice, two exports joined): counting it again would invent habits
    repeated = pl.col("time").is_not_null() & ~pl.struct(values).is_first_distinct()
    marked = raw.with_columns(
        pl.when(future)
        .then(pl.lit(_IN_THE_FUTURE))
        .when(repeated)
        .then(pl.lit(_DUPLICATE))
        .otherwise(pl.lit(None, dtype=pl.String()))
        .alias("_skip")
    )
    skipped = [
        RejectedRow(int(line), str(reason))
        for line, reason in marked.filter(pl.col("_skip").is_not_null())
        .select("_line", "_skip")
        .iter_rows()
    ]
    return marked.filter(pl.col("_skip").is_null()).drop("_skip"), skipped


def _read_csv(text: str, path: Path) -> tuple[pl.DataFrame, list[RejectedRow]]:
    """CSV rows as text, each with its 1-based line (the header is line 1)."""
    lines: list[int] = []
    records: list[list[str]] = []
    unreadable: list[RejectedRow] = []
    with io.StringIO(text, newline="") as file:
        reader = csv.reader(file)
        header: list[str] | None = None
        previous_end = 0
        for record in _csv_records(reader, path):
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


def _csv_records(reader: Any, path: Path) -> Iterator[list[str]]:
    """The reader's records; a CSV syntax error is a SourceFormatError with its line."""
    while True:
        try:
            record: list[str] = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise SourceFormatError(
                f"not readable as CSV ({err})", path=str(path), line=reader.line_num
            ) from err
        yield record


def _read_jsonl(text: str) -> tuple[pl.DataFrame, list[RejectedRow]]:
    """One JSON object per line; a line that is not one is a rejected row, not an error."""
    rows: list[dict[str, str | None]] = []
    lines: list[int] = []
    unreadable: list[RejectedRow] = []
    with io.StringIO(text, newline="\n") as file:
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
    except (pl.exceptions.PolarsError, OSError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SourceFormatError(f"not a readable Parquet file ({reason})", path=str(path)) from err
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
        # epoch seconds; a number beyond what a time can be (1e30, inf, NaN) is no time at all
        micros = column.cast(pl.Float64()) * 1_000_000
        usable = micros.is_finite() & (micros.abs() < 9.2e18)
        micros = pl.select(pl.when(usable).then(micros)).to_series()
        times = micros.round().cast(pl.Int64()).cast(pl.Datetime("us"))
        return times.dt.replace_time_zone("UTC").alias("time")
    text = column.cast(pl.String()).str.strip_chars()
    try:
        parsed = text.str.to_datetime(
            time_unit="us", time_zone=time_zone, strict=False, ambiguous="earliest"
        )
    except pl.exceptions.PolarsError:
        # no format polars can guess from the column: every row is tried on its own below
        parsed = pl.Series([None] * len(text), dtype=pl.Datetime("us", time_zone))
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
