"""Versions: every change of a suggestion's automation is kept with who, when and why."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, insert, inspect, select, text
from sqlalchemy.engine import Connection

from homehabits.exceptions import StatusChangeError, VersionNotFoundError
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.history import REVIEWER
from homehabits.store.migrate import alembic_config, migrate
from homehabits.store.records import (
    NewSuggestion,
    RunStatus,
    RunSummary,
    SuggestionRefresh,
    SuggestionStatus,
)
from homehabits.store.repository import (
    change_status,
    complete_run,
    create_run,
    get_suggestion,
    list_suggestions,
    update_automation,
)
from homehabits.store.tables import AnalysisRunRow, SuggestionRow, SuggestionVersionRow, utc_now
from homehabits.store.versions import get_version, list_versions

from .conftest import WINDOW_END, WINDOW_START, _postgres_admin

NewSuggestionMaker = Callable[..., NewSuggestion]
S = SuggestionStatus


async def _run(
    sessions: Sessions,
    suggestions: list[NewSuggestion],
    refreshed: list[SuggestionRefresh] | None = None,
) -> tuple[int, list[int]]:
    run_id = await create_run(sessions, "cli", "demo", WINDOW_START, WINDOW_END)
    ids = await complete_run(
        sessions, run_id, RunSummary(status=RunStatus.SUCCEEDED), [], suggestions, refreshed or []
    )
    return run_id, ids


def _later(automation: dict[str, Any], clock: str) -> dict[str, Any]:
    return {**automation, "triggers": [{"trigger": "time", "at": clock}]}


async def test_a_new_suggestion_is_version_1_found_by_its_run(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    run_id, [first, second] = await _run(sessions, [new_suggestion(1), new_suggestion(2)])

    [version] = await list_versions(sessions, first)

    stored = await get_suggestion(sessions, first)
    assert (version.number, version.reason, version.actor) == (
        1,
        f"found by run {run_id}",
        "homehabits",
    )
    assert (version.automation, version.yaml) == (stored.automation, stored.yaml)
    assert version.current
    assert not version.deployed
    assert [v.number for v in await list_versions(sessions, second)] == [1]


async def test_a_refresh_that_changes_the_automation_is_a_version_and_one_that_does_not_is_none(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    _, [moved, same, edited] = await _run(
        sessions, [new_suggestion(1), new_suggestion(2), new_suggestion(3)]
    )
    await update_automation(
        sessions, edited, _later(new_suggestion(3).automation, "06:30:00"), "alias: ours\n"
    )
    found_again = new_suggestion(1)
    found_again = replace(found_again, automation=_later(found_again.automation, "07:20:00"))

    run_id, _ = await _run(
        sessions,
        [],
        [
            SuggestionRefresh(moved, found_again),
            SuggestionRefresh(same, new_suggestion(2)),
            SuggestionRefresh(edited, new_suggestion(3), keep_automation=True),
        ],
    )

    newest = (await list_versions(sessions, moved))[0]
    assert (newest.number, newest.reason) == (2, f"refreshed by run {run_id}")
    assert newest.automation["triggers"][0]["at"] == "07:20:00"
    assert [v.number for v in await list_versions(sessions, same)] == [1]
    assert [v.reason for v in await list_versions(sessions, edited)] == [
        "edited",
        "found by run 1",
    ]


async def test_an_edit_is_a_version_by_the_reviewer_and_the_old_one_is_kept(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    _, [suggestion_id] = await _run(sessions, [new_suggestion(1)])
    before = await get_suggestion(sessions, suggestion_id)
    token = REVIEWER.set("Ada Lovelace (8f2c4e1a9b7d4c3e)")
    try:
        await update_automation(
            sessions, suggestion_id, _later(before.automation, "06:45:00"), "alias: edited\n"
        )
    finally:
        REVIEWER.reset(token)

    edited, original = await list_versions(sessions, suggestion_id)

    assert (edited.number, edited.reason, edited.actor) == (
        2,
        "edited",
        "Ada Lovelace (8f2c4e1a9b7d4c3e)",
    )
    assert edited.yaml == "alias: edited\n"
    assert edited.current
    assert not original.current
    assert original.automation == before.automation
    assert edited.created_at >= original.created_at


async def test_a_deploy_is_a_version_that_stays_deployed_until_undeployed(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    _, [suggestion_id] = await _run(sessions, [new_suggestion(1)])
    await change_status(sessions, suggestion_id, S.APPROVED)
    await change_status(sessions, suggestion_id, S.DEPLOYED, ha_automation_id="homehabits_x")

    deployed, found = await list_versions(sessions, suggestion_id)
    assert (deployed.number, deployed.reason, deployed.deployed, deployed.current) == (
        2,
        "deployed",
        True,
        True,
    )
    assert deployed.automation == found.automation
    assert not found.deployed

    await change_status(sessions, suggestion_id, S.REMOVED)

    assert not any(v.deployed for v in await list_versions(sessions, suggestion_id))
    assert len(await list_versions(sessions, suggestion_id)) == 2  # an undeploy changes nothing


async def test_a_deployed_suggestion_cannot_be_edited_and_no_version_is_written(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    _, [suggestion_id] = await _run(sessions, [new_suggestion(1)])
    await change_status(sessions, suggestion_id, S.APPROVED)
    await change_status(sessions, suggestion_id, S.DEPLOYED)

    with pytest.raises(StatusChangeError):
        await update_automation(sessions, suggestion_id, {"alias": "x"}, "alias: x\n")

    assert [v.reason for v in await list_versions(sessions, suggestion_id)] == [
        "deployed",
        "found by run 1",
    ]


async def test_an_unknown_version_is_named_with_the_ones_there_are(
    sessions: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    _, [suggestion_id] = await _run(sessions, [new_suggestion(1)])

    with pytest.raises(VersionNotFoundError) as caught:
        await get_version(sessions, suggestion_id, 7)

    assert str(caught.value) == f"suggestion {suggestion_id} has no version 7 (its versions: 1)"


# -- the migration ---------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (the migration is tested from an older schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/older.db"
        return
    request.getfixturevalue("postgres_url")  # skips (or fails in CI) without PostgreSQL
    name = f"homehabits_versions_{uuid4().hex[:12]}"
    asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


@pytest.fixture
async def older_database(fresh_url: str) -> AsyncIterator[Sessions]:
    engine = make_engine(fresh_url)
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_to, "0007")
    yield make_sessionmaker(engine)
    await engine.dispose()


async def _old_rows(sessions: Sessions) -> list[tuple[Any, ...]]:
    """The suggestions' rows in the columns 0007 had, as it wrote them."""
    async with sessions() as session:
        rows = await session.execute(
            text(
                "SELECT id, status, fingerprint, automation, yaml, updated_at FROM suggestions ORDER BY id"
            )
        )
        return [tuple(row) for row in rows]


async def _old_run(sessions: Sessions) -> int:
    """A run row as homehabits 0007 wrote it: only the columns that schema has, each with its
    default (what later migrations add is left to them)."""
    async with sessions.begin() as session:
        connection = await session.connection()
        names = await connection.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("analysis_runs")}
        )
        table = Table(
            "analysis_runs",
            MetaData(),
            *(c._copy() for c in AnalysisRunRow.__table__.columns if c.name in names),
        )
        run_id = await session.scalar(
            insert(table)
            .values(
                trigger="cli",
                source="demo",
                status=RunStatus.SUCCEEDED,
                started_at=utc_now(),
                window_start=WINDOW_START,
                window_end=WINDOW_END,
                phase_seconds={},
                errors=[],
                rejected_examples=[],
            )
            .returning(table.c.id)
        )
    assert run_id is not None
    return int(run_id)


async def test_the_migration_gives_every_existing_suggestion_version_1_and_loses_no_row(
    older_database: Sessions, new_suggestion: NewSuggestionMaker
) -> None:
    sessions = older_database
    run_id = await _old_run(sessions)
    now = utc_now()
    names = [field.name for field in fields(NewSuggestion)]
    rows = []
    for index, status in enumerate([S.PENDING, S.DEPLOYED, S.REJECTED]):
        new = new_suggestion(index)
        values = {name: getattr(new, name) for name in names}
        values.update(
            run_id=run_id,
            status=status,
            created_at=now - timedelta(days=3),
            updated_at=now - timedelta(days=index),
        )
        rows.append(values)
    async with sessions.begin() as session:  # written as homehabits 0007 wrote them
        await session.execute(insert(SuggestionRow), rows)
    before = await _old_rows(sessions)

    await migrate(sessions.kw["bind"])

    assert await _old_rows(sessions) == before
    after = await list_suggestions(sessions, limit=10)
    for suggestion in after:
        [version] = await list_versions(sessions, suggestion.id)
        assert version.number == 1
        assert (version.automation, version.yaml, version.dialect) == (
            suggestion.automation,
            suggestion.yaml,
            suggestion.dialect,
        )
        assert version.actor == "homehabits"
        assert version.created_at == suggestion.updated_at
        assert version.deployed is (suggestion.status is S.DEPLOYED)
    async with sessions() as session:
        assert len((await session.scalars(select(SuggestionVersionRow))).all()) == 3
