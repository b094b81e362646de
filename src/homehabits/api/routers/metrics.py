"""GET /metrics: runs, phase times, suggestions and model use in Prometheus' text format."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from homehabits.api.deps import RunnerDep, SessionsDep
from homehabits.store import repository
from homehabits.store.records import RunRecord, RunStatus, SuggestionStatus

__all__ = ["CONTENT_TYPE", "render_metrics", "router"]

#: Prometheus' text exposition format, version 0.0.4.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Runs kept for the sums; a daily schedule makes this a few years of history.
_RUNS_SUMMED = 5000

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    # declared by hand: a response_class would make every answer, errors too, text/plain
    responses={200: {"content": {CONTENT_TYPE.split(";")[0]: {"schema": {"type": "string"}}}}},
)
async def metrics(sessions: SessionsDep, runner: RunnerDep) -> PlainTextResponse:
    """The service's figures for Prometheus."""
    runs = await repository.list_runs(sessions, limit=_RUNS_SUMMED)
    by_status = await repository.count_by_status(sessions)
    text = render_metrics(runs, by_status, analysis_running=runner.running)
    return PlainTextResponse(text, media_type=CONTENT_TYPE)


def render_metrics(
    runs: Iterable[RunRecord],
    suggestions_by_status: Mapping[SuggestionStatus, int] | Mapping[str, int],
    *,
    analysis_running: bool,
) -> str:
    """The metrics text for these runs (newest first) and suggestion counts."""
    runs = list(runs)
    lines: list[str] = []
    run_counts = Counter(run.status.value for run in runs)
    _family(
        lines,
        "homehabits_analysis_runs_total",
        "counter",
        "Analysis runs by how they ended.",
        [({"status": s.value}, run_counts.get(s.value, 0)) for s in RunStatus],
    )
    _family(
        lines,
        "homehabits_analysis_running",
        "gauge",
        "1 while an analysis is running.",
        [({}, int(analysis_running))],
    )
    phase_totals: Counter[str] = Counter()
    for run in runs:
        phase_totals.update(run.summary.phase_seconds)
    _family(
        lines,
        "homehabits_phase_seconds_total",
        "counter",
        "Seconds spent in each phase of all analyses.",
        [({"phase": phase}, seconds) for phase, seconds in sorted(phase_totals.items())],
    )
    finished = next((run for run in runs if run.status is not RunStatus.RUNNING), None)
    if finished is not None:
        _family(
            lines,
            "homehabits_last_run_phase_seconds",
            "gauge",
            "Seconds per phase of the last finished analysis.",
            [({"phase": p}, s) for p, s in finished.summary.phase_seconds.items()],
        )
        _family(
            lines,
            "homehabits_last_run_timestamp_seconds",
            "gauge",
            "When the last finished analysis started (Unix time).",
            [({"status": finished.status.value}, finished.started_at.timestamp())],
        )
        _family(
            lines,
            "homehabits_last_run_events",
            "gauge",
            "Events read by the last analysis.",
            [({}, finished.summary.events_read)],
        )
    counts = {
        str(getattr(key, "value", key)): value for key, value in suggestions_by_status.items()
    }
    _family(
        lines,
        "homehabits_suggestions",
        "gauge",
        "Suggestions by review status.",
        [({"status": s.value}, counts.get(s.value, 0)) for s in SuggestionStatus],
    )
    _family(
        lines,
        "homehabits_model_calls_total",
        "counter",
        "Calls to the language model.",
        [({}, sum(run.summary.model_calls for run in runs))],
    )
    _family(
        lines,
        "homehabits_model_tokens_total",
        "counter",
        "Language model tokens used.",
        [
            ({"direction": "in"}, sum(run.summary.tokens_in for run in runs)),
            ({"direction": "out"}, sum(run.summary.tokens_out for run in runs)),
        ],
    )
    _family(
        lines,
        "homehabits_model_cost_total",
        "counter",
        "Language model cost (as priced).",
        [({}, sum(run.summary.cost for run in runs))],
    )
    return "\n".join(lines) + "\n"


def _family(
    lines: list[str],
    name: str,
    kind: str,
    help_text: str,
    samples: Iterable[tuple[Mapping[str, str], float]],
) -> None:
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} {kind}")
    for labels, value in samples:
        lines.append(f"{name}{_labels(labels)} {_number(value)}")


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items())
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))
