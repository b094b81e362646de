"""The recorder's tables as polars frames: Arrow-native through ADBC, else rows via SQLAlchemy.

SQLite and PostgreSQL are read through their ADBC drivers, which hand over Arrow columns that
polars takes without copying row by row; MariaDB/MySQL (no ADBC driver on PyPI) is read as rows
through SQLAlchemy and transposed. Both answer the same small interface, so the queries are
written once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final, Protocol
from urllib.parse import quote, urlencode

import adbc_driver_manager
import adbc_driver_postgresql
import adbc_driver_sqlite
import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection

__all__ = [
    "ADBC_ERRORS",
    "SQLITE_OPEN",
    "ArrowTables",
    "RowTables",
    "Tables",
    "arrow_postgresql",
    "arrow_sqlite",
    "postgresql_read_only_uri",
]

#: What the ADBC drivers raise (their DB-API error tree).
ADBC_ERRORS: Final = (adbc_driver_manager.Error,)

#: Held while a recorder SQLite file is open. Python's sqlite3 and the ADBC driver each bring
#: their own copy of SQLite; one copy closing its file handle drops the POSIX locks the other
#: holds on the same file (sqlite.org/howtocorrupt.html, 2.2), which would let Home Assistant
#: checkpoint under a reader. So the two never have the recorder open at the same time.
SQLITE_OPEN: Final = threading.Lock()

# Rows per Arrow batch. The SQLite driver infers each column's type from the first batch, so a
# large batch also lets small results (entity ids, attributes, old states) be typed from all
# their rows; the window's states say their types in SQL (see recorder_window.py).
_BATCH_ROWS: Final = 1_048_576
_PARAMETER: Final = re.compile(r":([a-z_]+)\b")


class Tables(Protocol):
    """A read-only connection to a recorder that answers a query with a polars frame."""

    @property
    def dialect(self) -> str:
        """`sqlite`, `postgresql` or `mysql`."""
        ...

    def frame(
        self,
        sql: str,
        schema: Mapping[str, pl.DataType],
        parameters: Mapping[str, float] | None = None,
    ) -> pl.DataFrame:
        """The query's rows with these column names and types; `:name` marks a parameter."""
        ...

    def table_names(self) -> set[str]:
        """The tables of the database (PostgreSQL: of the current schema)."""
        ...


class ArrowTables:
    """Tables read through an ADBC connection (SQLite, PostgreSQL)."""

    def __init__(self, connection: adbc_driver_manager.AdbcConnection, dialect: str) -> None:
        self._connection = connection
        self._dialect = dialect

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._dialect

    def frame(
        self,
        sql: str,
        schema: Mapping[str, pl.DataType],
        parameters: Mapping[str, float] | None = None,
    ) -> pl.DataFrame:
        """The query's rows as Arrow batches handed to polars, brought to `schema`."""
        parameters = parameters or {}
        names = _PARAMETER.findall(sql)
        with adbc_driver_manager.AdbcStatement(self._connection) as statement:
            if self._dialect == "sqlite":
                statement.set_options(
                    **{adbc_driver_sqlite.StatementOptions.BATCH_ROWS.value: _BATCH_ROWS}
                )
                statement.set_sql_query(_PARAMETER.sub("?", sql))
                if names:
                    statement.bind_stream(
                        pl.DataFrame({f"p{i}": [parameters[name]] for i, name in enumerate(names)})
                    )
            else:
                # Bound parameters would take the driver off its COPY path (twice the time and
                # memory); a float's repr reads back as exactly the same double.
                statement.set_sql_query(
                    _PARAMETER.sub(lambda found: _postgresql_float(parameters[found[1]]), sql)
                )
            stream, _rows = statement.execute_query()
            read = pl.DataFrame(stream)
        return _conform(read, schema)

    def table_names(self) -> set[str]:
        """Tables only (not views), as SQLAlchemy's inspector lists them."""
        if self._dialect == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        else:
            sql = (
                "SELECT c.relname AS name FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
            )
        return set(self.frame(sql, {"name": pl.String()})["name"].to_list())


class RowTables:
    """Tables read as rows through a SQLAlchemy connection (MariaDB/MySQL)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    @property
    def dialect(self) -> str:
        """The SQLAlchemy dialect's name."""
        return self._connection.dialect.name

    def frame(
        self,
        sql: str,
        schema: Mapping[str, pl.DataType],
        parameters: Mapping[str, float] | None = None,
    ) -> pl.DataFrame:
        """The query's rows, transposed into columns."""
        rows = self._connection.execute(sa.text(sql), dict(parameters or {})).all()
        columns: list[Sequence[Any]] = (
            list(zip(*rows, strict=True)) if rows else [() for _ in schema]
        )
        return pl.DataFrame(dict(zip(schema, columns, strict=True)), schema=dict(schema))

    def table_names(self) -> set[str]:
        """The tables SQLAlchemy's inspector lists."""
        return set(sa.inspect(self._connection).get_table_names())


@contextmanager
def arrow_sqlite(uri: str) -> Iterator[ArrowTables]:
    """An SQLite file through ADBC; `uri` is an SQLite `file:` URI (`mode=ro` and so on)."""
    with (
        SQLITE_OPEN,
        adbc_driver_sqlite.connect(uri) as database,
        adbc_driver_manager.AdbcConnection(database) as connection,
    ):
        yield ArrowTables(connection, "sqlite")


@contextmanager
def arrow_postgresql(uri: str) -> Iterator[ArrowTables]:
    """A PostgreSQL database through ADBC; `uri` is a libpq connection URI."""
    with (
        adbc_driver_postgresql.connect(uri) as database,
        adbc_driver_manager.AdbcConnection(database) as connection,
    ):
        yield ArrowTables(connection, "postgresql")


def postgresql_read_only_uri(url: URL) -> str:
    """The libpq URI of a SQLAlchemy URL, in sessions whose transactions are read-only."""
    # libpq decodes %XX everywhere but reads neither a "+" nor a raw space as a space, so
    # every part is percent-encoded here rather than rendered by SQLAlchemy.
    user = quote(url.username or "", safe="")
    if url.password is not None:
        user += ":" + quote(str(url.password), safe="")
    host = url.host or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    where = f"{user}@{host}" if user else host
    if url.port is not None:
        where += f":{url.port}"
    # As SQLAlchemy's connect_args do, the read-only options take the place of any given.
    query = {**url.query, "options": "-c default_transaction_read_only=on"}
    database = quote(url.database or "", safe="")
    return f"postgresql://{where}/{database}?{urlencode(query, doseq=True, quote_via=quote)}"


def _postgresql_float(value: Any) -> str:
    if not isinstance(value, float):
        raise TypeError(f"only float parameters are written into PostgreSQL queries: {value!r}")
    return f"CAST('{value!r}' AS DOUBLE PRECISION)"


def _conform(frame: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The frame with the schema's names and types.

    The SQLite driver types a column that held only NULLs (or no rows) as integers, and
    PostgreSQL's INTEGER is 32-bit: both are cast here.
    """
    columns = []
    for read, (name, dtype) in zip(frame.columns, schema.items(), strict=True):
        column = frame[read]
        if column.dtype == dtype:
            columns.append(column.alias(name))
        elif column.null_count() == column.len():
            columns.append(pl.repeat(None, column.len(), dtype=dtype, eager=True).alias(name))
        else:
            columns.append(column.cast(dtype).alias(name))
    # one chunk per column: the driver's batches would slow every later operation
    return pl.DataFrame(columns, schema=dict(schema)).rechunk()
