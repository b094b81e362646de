"""GET /health and GET /metrics: what an operator sees."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from homehabits.config import Settings
from homehabits.context import HomeContext
from homehabits.exceptions import SourceError
from homehabits.sources.simulator import DemoSource
from homehabits.store.records import SuggestionStatus
from tests.api.conftest import Running

StartService = Callable[..., AbstractAsyncContextManager[Running]]


async def test_health_before_the_first_run_shows_the_next_run_in_home_time(
    running: Running,
) -> None:
    response = await running.client.get("/health")

    body = response.json()
    next_run = datetime.fromisoformat(body["next_run"])
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"] is True
    assert body["scheduler_running"] is True
    assert body["time_zone"] == "Europe/Berlin"
    assert body["last_run"] is None
    assert (next_run.hour, next_run.minute) == (3, 0)
    assert next_run.utcoffset() is not None


async def test_health_shows_the_last_run_and_its_status(running: Running) -> None:
    run = await running.run_analysis()

    body = (await running.client.get("/health")).json()

    assert body["last_run"]["id"] == run["id"]
    assert body["last_run"]["status"] == run["status"]
    assert body["analysis_running"] is False


async def test_metrics_count_runs_suggestions_and_phase_seconds(running: Running) -> None:
    run = await running.run_analysis()
    page = (await running.client.get("/api/suggestions")).json()
    await running.client.post(f"/api/suggestions/{page['items'][0]['id']}/approve")

    response = await running.client.get("/metrics")

    text = response.text
    samples = _samples(text)
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert samples[f'homehabits_analysis_runs_total{{status="{run["status"]}"}}'] == 1
    assert samples['homehabits_analysis_runs_total{status="failed"}'] == 0
    assert samples['homehabits_suggestions{status="approved"}'] == 1
    assert samples['homehabits_suggestions{status="pending"}'] == page["total"] - 1
    assert samples['homehabits_phase_seconds_total{phase="mine"}'] > 0
    assert samples['homehabits_last_run_phase_seconds{phase="mine"}'] > 0
    assert samples["homehabits_last_run_events"] == run["events_read"]
    assert 'homehabits_model_tokens_total{direction="in"}' in samples
    assert "# TYPE homehabits_analysis_runs_total counter" in text
    assert {s.value for s in SuggestionStatus} == {
        key.split('"')[1] for key in samples if key.startswith("homehabits_suggestions{")
    }


def _samples(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


async def test_health_says_home_assistant_refused_the_token(
    start_service: StartService, make_settings: Callable[..., Settings]
) -> None:
    async with start_service(make_settings(ha_token="a-token-that-is-not-the-right-one")) as wrong:
        response = await wrong.client.get("/health")

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["home_assistant"] == "token_refused"
    assert "refused the token" in body["home_assistant_detail"]


async def test_health_says_home_assistant_is_ok_when_it_takes_the_token(running: Running) -> None:
    body = (await running.client.get("/health")).json()

    assert body["home_assistant"] == "ok"
    assert body["home_assistant_detail"] is None
    assert body["time_zone_fallback"] is None


class _HomeThatCannotBeRead(DemoSource):
    async def read_context(self) -> HomeContext:
        raise SourceError("the recorder database is locked")


async def test_health_says_when_the_schedule_fell_back_to_utc(
    start_service: StartService, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(time_zone=None)
    async with start_service(settings, source_factory=lambda: _HomeThatCannotBeRead()) as service:
        body = (await service.client.get("/health")).json()

    assert body["time_zone"] == "UTC"
    assert "the recorder database is locked" in body["time_zone_fallback"]
    assert "HOMEHABITS_TIME_ZONE" in body["time_zone_fallback"]
