"""Run warnings and confirmed service accounts, kept on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from homehabits.store.records import RunStatus, RunSummary
from homehabits.store.repository import (
    complete_run,
    confirm_service_account,
    confirmed_service_accounts,
    create_run,
    get_run,
)

Sessions = async_sessionmaker[AsyncSession]
START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2025, 1, 31, tzinfo=UTC)


async def test_a_run_keeps_its_warnings_and_service_account_proposals(sessions: Sessions) -> None:
    run_id = await create_run(sessions, "cli", "demo", START, END)
    assert (await get_run(sessions, run_id)).summary.warnings == []
    warning = "service user 'Node-RED' is not a user of this Home Assistant"
    proposal = {"user_id": "ab12", "name": "flows", "evidence": "it acted at exactly 07:30:00"}

    await complete_run(
        sessions,
        run_id,
        RunSummary(
            status=RunStatus.SUCCEEDED, warnings=[warning], service_account_proposals=[proposal]
        ),
        [],
        [],
    )

    summary = (await get_run(sessions, run_id)).summary
    assert summary.warnings == [warning]
    assert summary.service_account_proposals == [proposal]


async def test_a_confirmed_service_account_is_remembered_once_whatever_the_id_spelling(
    sessions: Sessions,
) -> None:
    assert await confirmed_service_accounts(sessions) == {}

    assert await confirm_service_account(sessions, "9C8B7A6F-5E4D-4C3B-2A1F-0E9D8C7B6A5F", "flows")
    assert not await confirm_service_account(sessions, "9c8b7a6f5e4d4c3b2a1f0e9d8c7b6a5f", "x")

    assert await confirmed_service_accounts(sessions) == {
        "9c8b7a6f5e4d4c3b2a1f0e9d8c7b6a5f": "flows"
    }
