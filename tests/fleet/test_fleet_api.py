"""The service shows one home of a fleet database at a time: GET /api/suggestions?home=H."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from homehabits.store.records import RunStatus, RunSummary
from homehabits.store.repository import complete_run, create_run
from tests.api.conftest import Running
from tests.store.conftest import WINDOW_END, WINDOW_START, _suggestion


async def test_suggestions_of_one_home_are_listed_and_an_unknown_home_is_named(
    start_service: Callable[..., AbstractAsyncContextManager[Running]],
) -> None:
    async with start_service() as service:
        sessions: Any = service.app.state.service.sessions
        for number, home in enumerate(("flat-1", "flat-2")):
            run = await create_run(sessions, "fleet", home, WINDOW_START, WINDOW_END, home_id=home)
            await complete_run(
                sessions,
                run,
                RunSummary(status=RunStatus.SUCCEEDED),
                [],
                [_suggestion(number * 10 + index) for index in range(number + 1)],
                home_id=home,
            )

        every = await service.client.get("/api/suggestions")
        second = await service.client.get("/api/suggestions", params={"home": "flat-2"})
        unknown = await service.client.get("/api/suggestions", params={"home": "flat-9"})

    assert every.json()["total"] == 3
    assert second.status_code == 200
    assert second.json()["total"] == 2
    assert {item["fingerprint"] for item in second.json()["items"]} == {
        _suggestion(10).fingerprint,
        _suggestion(11).fingerprint,
    }
    assert unknown.status_code == 404
    assert "no home 'flat-9' in this database" in unknown.json()["detail"]
