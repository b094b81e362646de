"""Builds Home Assistant recorder databases (schema 41+) in SQLite, MariaDB or PostgreSQL."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

__all__ = ["RecorderBuilder", "new_context_id", "recorder_tables"]

# The column types Home Assistant's db_schema.py gives each database.
_DOUBLE = (
    sa.Float()
    .with_variant(mysql.DOUBLE(asdecimal=False), "mysql", "mariadb")
    .with_variant(postgresql.DOUBLE_PRECISION(), "postgresql")
)
_CONTEXT = sa.LargeBinary(16)
_LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def recorder_tables(*, with_tables: tuple[str, ...] | None = None) -> sa.MetaData:
    """The recorder tables homehabits reads, with Home Assistant's column types."""
    metadata = sa.MetaData()
    tables = {
        "schema_changes": [
            sa.Column("change_id", sa.Integer, primary_key=True),
            sa.Column("schema_version", sa.Integer),
            sa.Column("changed", sa.DateTime(timezone=True), nullable=False),
        ],
        "states_meta": [
            sa.Column("metadata_id", sa.Integer, primary_key=True),
            sa.Column("entity_id", sa.String(255)),
        ],
        "state_attributes": [
            sa.Column("attributes_id", sa.Integer, primary_key=True),
            sa.Column("hash", sa.BigInteger),
            sa.Column("shared_attrs", _LONG_TEXT),
        ],
        "states": [
            sa.Column("state_id", sa.Integer, primary_key=True),
            sa.Column("state", sa.String(255)),
            sa.Column("last_changed_ts", _DOUBLE),
            sa.Column("last_updated_ts", _DOUBLE, index=True),
            sa.Column("old_state_id", sa.Integer),
            sa.Column("attributes_id", sa.Integer),
            sa.Column("origin_idx", sa.SmallInteger),
            sa.Column("context_id_bin", _CONTEXT),
            sa.Column("context_user_id_bin", _CONTEXT),
            sa.Column("context_parent_id_bin", _CONTEXT),
            sa.Column("metadata_id", sa.Integer),
        ],
        "event_types": [
            sa.Column("event_type_id", sa.Integer, primary_key=True),
            sa.Column("event_type", sa.String(64)),
        ],
        "event_data": [
            sa.Column("data_id", sa.Integer, primary_key=True),
            sa.Column("hash", sa.BigInteger),
            sa.Column("shared_data", _LONG_TEXT),
        ],
        "events": [
            sa.Column("event_id", sa.Integer, primary_key=True),
            sa.Column("origin_idx", sa.SmallInteger),
            sa.Column("time_fired_ts", _DOUBLE, index=True),
            sa.Column("data_id", sa.Integer),
            sa.Column("context_id_bin", _CONTEXT),
            sa.Column("context_user_id_bin", _CONTEXT),
            sa.Column("context_parent_id_bin", _CONTEXT),
            sa.Column("event_type_id", sa.Integer),
        ],
    }
    for name, columns in tables.items():
        if with_tables is None or name in with_tables:
            sa.Table(name, metadata, *columns)
    return metadata


def new_context_id() -> str:
    """A fresh Home Assistant context id, as 32 hex digits."""
    return uuid.uuid4().hex


@dataclass
class RecorderBuilder:
    """Rows of a recorder database, added the way Home Assistant would write them."""

    schema_version: int | None = 42
    _meta: dict[str, int] = field(default_factory=dict)
    _attributes: dict[str, int] = field(default_factory=dict)
    _last_state: dict[str, int] = field(default_factory=dict)
    _states: list[dict[str, Any]] = field(default_factory=list)
    _event_types: dict[str, int] = field(default_factory=dict)
    _events: list[dict[str, Any]] = field(default_factory=list)
    _event_data: list[dict[str, Any]] = field(default_factory=list)

    def state(
        self,
        entity_id: str,
        state: str | None,
        when: datetime,
        *,
        user_id: str | None = None,
        parent_id: str | None = None,
        context_id: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> str:
        """Record a state row (old_state_id linked to the entity's previous row); its context id."""
        context_id = context_id or new_context_id()
        metadata_id = self._meta.setdefault(entity_id, len(self._meta) + 1)
        attributes_id = None
        if attributes is not None:
            text = json.dumps(attributes, separators=(",", ":"))
            attributes_id = self._attributes.setdefault(text, len(self._attributes) + 1)
        state_id = len(self._states) + 1
        self._states.append(
            {
                "state_id": state_id,
                "state": state,
                "last_changed_ts": None,
                "last_updated_ts": when.timestamp(),
                "old_state_id": self._last_state.get(entity_id),
                "attributes_id": attributes_id,
                "origin_idx": 0,
                "context_id_bin": bytes.fromhex(context_id),
                "context_user_id_bin": bytes.fromhex(user_id) if user_id else None,
                "context_parent_id_bin": bytes.fromhex(parent_id) if parent_id else None,
                "metadata_id": metadata_id,
            }
        )
        self._last_state[entity_id] = state_id
        return context_id

    def event(
        self,
        event_type: str,
        when: datetime,
        *,
        context_id: str | None = None,
        parent_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> str:
        """Record an event row (e.g. automation_triggered, with its data); its context id."""
        context_id = context_id or new_context_id()
        event_type_id = self._event_types.setdefault(event_type, len(self._event_types) + 1)
        data_id = None
        if data is not None:
            data_id = len(self._event_data) + 1
            self._event_data.append(
                {
                    "data_id": data_id,
                    "hash": data_id,
                    "shared_data": json.dumps(data, separators=(",", ":")),
                }
            )
        self._events.append(
            {
                "event_id": len(self._events) + 1,
                "origin_idx": 0,
                "time_fired_ts": when.timestamp(),
                "data_id": data_id,
                "context_id_bin": bytes.fromhex(context_id),
                "context_user_id_bin": None,
                "context_parent_id_bin": bytes.fromhex(parent_id) if parent_id else None,
                "event_type_id": event_type_id,
            }
        )
        return context_id

    def write(self, engine: sa.Engine, *, with_tables: tuple[str, ...] | None = None) -> None:
        """Create the tables and insert every row."""
        metadata = recorder_tables(with_tables=with_tables)
        metadata.create_all(engine)
        rows: dict[str, list[dict[str, Any]]] = {
            "states_meta": [
                {"metadata_id": number, "entity_id": entity_id}
                for entity_id, number in self._meta.items()
            ],
            "state_attributes": [
                {"attributes_id": number, "hash": number, "shared_attrs": text}
                for text, number in self._attributes.items()
            ],
            "states": self._states,
            "event_types": [
                {"event_type_id": number, "event_type": name}
                for name, number in self._event_types.items()
            ],
            "event_data": self._event_data,
            "events": self._events,
        }
        if self.schema_version is not None:
            rows["schema_changes"] = [
                {
                    "change_id": 1,
                    "schema_version": self.schema_version,
                    "changed": datetime.fromtimestamp(0).astimezone(),
                }
            ]
        with engine.begin() as connection:
            for name, table_rows in rows.items():
                if name in metadata.tables and table_rows:
                    connection.execute(metadata.tables[name].insert(), table_rows)
