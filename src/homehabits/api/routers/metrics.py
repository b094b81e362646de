"""GET /metrics: runs, phase times, suggestions and model use, through prometheus_client.

The counters are the database's totals, read by one aggregate query per scrape (store.totals)
and handed to prometheus_client by a custom Collector, rather than counters kept in this
process's memory. The database is the one place every process records its runs (this service,
`homehabits analyse` on the command line beside it, a second instance), so the counters count
every run, never go down when the service restarts (nothing to initialise or lose) and agree
across processes; in-memory counters initialised at start-up would miss the runs the CLI makes
meanwhile. The sum is the database's (SUM … GROUP BY status over a table of a run a day), not
thousands of runs loaded into Python. Gauges (suggestions by status, the last run) are current
counts, read the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from homehabits.api.deps import RunnerDep, SessionsDep
from homehabits.job import PHASES
from homehabits.store import repository
from homehabits.store.records import RunRecord, RunStatus, SuggestionStatus
from homehabits.store.totals import RunTotals

__all__ = ["CONTENT_TYPE", "ServiceFigures", "router"]

#: Prometheus' text exposition format, version 0.0.4 (what prometheus_client writes for these
#: names; its own CONTENT_TYPE_LATEST says 1.0.0, which older Prometheus servers do not know).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_FINISHED = tuple(status for status in RunStatus if status is not RunStatus.RUNNING)

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    # declared by hand: a response_class would make every answer, errors too, text/plain
    responses={200: {"content": {CONTENT_TYPE.split(";")[0]: {"schema": {"type": "string"}}}}},
)
async def metrics(sessions: SessionsDep, runner: RunnerDep) -> Response:
    """The service's figures for Prometheus."""
    figures = ServiceFigures(
        totals=await repository.run_totals(sessions, PHASES),
        last_finished=await repository.last_finished_run(sessions),
        suggestions_by_status=await repository.count_by_status(sessions),
        analysis_running=runner.running,
    )
    return Response(generate_latest(figures), media_type=CONTENT_TYPE)


class ServiceFigures(Collector):
    """A prometheus_client Collector of figures already read from the store."""

    def __init__(
        self,
        *,
        totals: RunTotals,
        last_finished: RunRecord | None,
        suggestions_by_status: Mapping[str, int],
        analysis_running: bool,
    ) -> None:
        self._totals = totals
        self._last = last_finished
        self._by_status = suggestions_by_status
        self._running = analysis_running

    def collect(self) -> Iterator[Metric]:
        """The metric families, counters and gauges."""
        totals = self._totals
        runs = CounterMetricFamily(
            "homehabits_analysis_runs", "Analysis runs by how they ended.", labels=["status"]
        )
        for status in _FINISHED:
            runs.add_metric([status.value], totals.finished_by_status.get(status, 0))
        yield runs
        yield GaugeMetricFamily(
            "homehabits_analysis_running", "1 while an analysis is running.", int(self._running)
        )
        phases = CounterMetricFamily(
            "homehabits_phase_seconds",
            "Seconds spent in each phase of all analyses.",
            labels=["phase"],
        )
        for phase, seconds in sorted(totals.phase_seconds.items()):
            phases.add_metric([phase], seconds)
        yield phases
        yield from self._last_run()
        suggestions = GaugeMetricFamily(
            "homehabits_suggestions", "Suggestions by review status.", labels=["status"]
        )
        for review in SuggestionStatus:
            suggestions.add_metric([review.value], self._by_status.get(review.value, 0))
        yield suggestions
        yield CounterMetricFamily(
            "homehabits_suggestions_created",
            "Suggestions analyses created (habits found again are not counted twice).",
            totals.suggestions_created,
        )
        yield CounterMetricFamily(
            "homehabits_model_calls", "Calls to the language model.", totals.model_calls
        )
        tokens = CounterMetricFamily(
            "homehabits_model_tokens", "Language model tokens used.", labels=["direction"]
        )
        tokens.add_metric(["in"], totals.tokens_in)
        tokens.add_metric(["out"], totals.tokens_out)
        yield tokens
        yield CounterMetricFamily(
            "homehabits_model_cost", "Language model cost (as priced).", totals.cost
        )

    def _last_run(self) -> Iterator[Metric]:
        last = self._last
        if last is None:
            return
        phases = GaugeMetricFamily(
            "homehabits_last_run_phase_seconds",
            "Seconds per phase of the last finished analysis.",
            labels=["phase"],
        )
        for phase, seconds in last.summary.phase_seconds.items():
            phases.add_metric([phase], seconds)
        yield phases
        started = GaugeMetricFamily(
            "homehabits_last_run_timestamp_seconds",
            "When the last finished analysis started (Unix time).",
            labels=["status"],
        )
        started.add_metric([last.status.value], last.started_at.timestamp())
        yield started
        yield GaugeMetricFamily(
            "homehabits_last_run_events",
            "Events read by the last analysis.",
            last.summary.events_read,
        )
