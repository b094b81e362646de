"""The /metrics counters: the database's totals, so a restart never makes one go down."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from homehabits.config import Settings
from tests.api.conftest import Running

StartService = Callable[..., AbstractAsyncContextManager[Running]]
_COUNTERS = (
    'homehabits_analysis_runs_total{status="succeeded"}',
    'homehabits_phase_seconds_total{phase="mine"}',
    "homehabits_suggestions_created_total",
    'homehabits_model_tokens_total{direction="in"}',
)


def _samples(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


async def test_the_counters_keep_their_totals_when_the_service_restarts(
    start_service: StartService, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    async with start_service(settings) as first:
        run = await first.run_analysis()
        before = _samples((await first.client.get("/metrics")).text)

    async with start_service(settings) as again:
        after = _samples((await again.client.get("/metrics")).text)
        await again.run_analysis()
        later = _samples((await again.client.get("/metrics")).text)

    assert run["status"] == "succeeded"
    assert before['homehabits_analysis_runs_total{status="succeeded"}'] == 1
    assert before["homehabits_suggestions_created_total"] == run["suggestions_created"] > 0
    for counter in _COUNTERS:
        assert after[counter] == before[counter], counter
        assert later[counter] >= after[counter], counter
    assert later['homehabits_analysis_runs_total{status="succeeded"}'] == 2
    assert 'homehabits_analysis_runs_total{status="running"}' not in later
