"""Store fixtures: a migrated database per test (SQLite file, or PostgreSQL) and row builders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import NewSuggestion
from tests.required_services import missing_service

POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
_TABLES = (
    "analysis_runs, analysis_lock, patterns, suggestions, feedback, writer_cache, service_accounts, "
    "suggestion_versions"
)

WINDOW_END = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
WINDOW_START = WINDOW_END - timedelta(days=30)


async def _postgres_admin(statement: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction.
    async with await psycopg.AsyncConnection.connect(
        POSTGRES_ADMIN_DSN, autocommit=True, connect_timeout=5
    ) as connection:
        await connection.execute(statement)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test session only, dropped at the end."""
    name = f"homehabits_store_{uuid4().hex[:12]}"
    try:
        asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, psycopg.Error) as err:
        missing_service(f"PostgreSQL on 127.0.0.1:5432 is not usable: {err}")
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/homehabits.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty homehabits database."""
    engine = make_engine(database_url)
    await migrate(engine)
    if engine.dialect.name == "postgresql":
        # One database serves the whole session: start every test from empty tables.
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> Sessions:
    """The sessionmaker every store function takes first."""
    return make_sessionmaker(engine)


def _suggestion(index: int = 0, **changes: Any) -> NewSuggestion:
    fingerprint = changes.pop("fingerprint", f"habit{index:011d}")
    values: dict[str, Any] = {
        "fingerprint": fingerprint,
        "kind": "time_of_day",
        "title": f"Kitchen light on at 07:{index % 60:02d}",
        "description": "Turns the kitchen light on every weekday morning. " * 4,
        "rationale": "You switched it on by hand on 19 of 22 weekdays, within 10 minutes. " * 3,
        "category": "lighting",
        "confidence": 0.82,
        "score": 0.5 + (index % 50) / 100,
        "sensitive": False,
        "sensitive_reason": None,
        "target_entity": "light.kitchen",
        "trigger_entity": None,
        "area_id": "kitchen",
        "area_name": "Kitchen",
        "automation": {
            "id": f"homehabits_{fingerprint}",
            "alias": "Kitchen light on in the morning",
            "triggers": [{"trigger": "time", "at": "07:00:00"}],
            "conditions": [{"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "fri"]}],
            "actions": [{"action": "light.turn_on", "target": {"entity_id": "light.kitchen"}}],
            "mode": "single",
        },
        "yaml": "alias: Kitchen light on in the morning\ntriggers:\n- trigger: time\n  at: '07:00:00'\n",
        "dialect": "modern",
        "diff": None,
        "pattern": {
            "kind": "time_of_day",
            "fingerprint": fingerprint,
            "target_entity": "light.kitchen",
            "target_state": "on",
            "time_of_day": "07:00:00",
            "weekdays": [0, 1, 2, 3, 4],
            "evidence_times": [
                (WINDOW_START + timedelta(days=day, hours=6)).isoformat() for day in range(20)
            ],
        },
        "author": "template",
    }
    values.update(changes)
    return NewSuggestion(**values)


def _pattern(index: int = 0, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "time_of_day",
        "fingerprint": f"habit{index:011d}",
        "target_entity": "light.kitchen",
        "target_state": "on",
        "trigger_entity": None,
        "time_of_day": "07:00:00",
        "weekdays": [0, 1, 2, 3, 4],
        "occurrences": 19,
        "confidence": 0.8,
        "score": 0.5 + index / 1000,
        "area_id": "kitchen",
    }
    values.update(changes)
    return values


@pytest.fixture
def new_suggestion() -> Callable[..., NewSuggestion]:
    """Builds a realistic NewSuggestion: new_suggestion(index, **field_changes)."""
    return _suggestion


@pytest.fixture
def pattern_data() -> Callable[..., dict[str, Any]]:
    """Builds a pattern_to_dict-like dict: pattern_data(index, **field_changes)."""
    return _pattern
