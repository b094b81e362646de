"""How the commands show runs and suggestions: tables for people, JSON for programs."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from homehabits.cli._common import console, err_console
from homehabits.patterns.calibration import Calibration
from homehabits.store.records import RunRecord, SuggestionRecord

__all__ = [
    "calibration_lines",
    "run_json",
    "show_one",
    "show_progress",
    "show_run",
    "show_suggestions",
    "suggestion_json",
]


#: The suggestion's fields `--json` shows (store.records.SuggestionRecord), in this order.
_JSON_FIELDS = (
    "id", "run_id", "title", "description", "rationale", "category", "confidence", "score",
    "status", "sensitive", "sensitive_reason", "area_name", "author", "pattern", "automation",
    "yaml", "dialect", "diff", "ha_automation_id", "replay", "condition_note",
)  # fmt: skip
# the area is shown by its name, as "area"
_JSON_ORDER = tuple("area" if name == "area_name" else name for name in _JSON_FIELDS)

#: How many skipped rows `show_run` names by their line.
_SKIPPED_ROWS_SHOWN = 5


def show_progress(phase: str, message: str) -> None:
    err_console.print(f"[cyan]{phase:>8}[/cyan]  {escape(message)}")


def show_run(run: RunRecord) -> None:
    summary = run.summary
    phases = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in summary.phase_seconds.items())
    err_console.print(
        f"Run {run.id} [bold]{summary.status.value}[/bold]: {summary.events_read:,} events read, "
        f"{summary.events_rejected:,} skipped, {summary.patterns_found} habits, "
        f"{summary.suggestions_created} new suggestions, {summary.suggestions_refreshed} "
        f"waiting for review brought up to date ({phases})"
    )
    if summary.model_calls:
        err_console.print(
            f"Model: {summary.model_calls} calls, {summary.tokens_in + summary.tokens_out:,} tokens, "
            f"cost {summary.cost:.4f}"
        )
    for line in calibration_lines(run):
        err_console.print(f"[cyan]learned:[/cyan] {escape(line)}")
    for error in summary.errors[:10]:
        err_console.print(f"[yellow]note:[/yellow] {escape(error)}")
    for warning in summary.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    examples = summary.rejected_examples[:_SKIPPED_ROWS_SHOWN]
    if examples:
        named = "; ".join(_skipped_row(example) for example in examples)
        more = summary.events_rejected - len(examples)
        rest = f" (and {more:,} more: see `homehabits runs --json`)" if more > 0 else ""
        err_console.print(f"[yellow]skipped:[/yellow] {escape(named)}{escape(rest)}")


def calibration_lines(run: RunRecord) -> list[str]:
    """One line per kind and domain the owner's decisions moved in this run's ranking."""
    return Calibration.from_dict(run.summary.calibration).lines()


def _skipped_row(example: dict[str, Any]) -> str:
    """One skipped row by its place: a file's line, or the recorder's state_id."""
    row, reason = example.get("row"), str(example.get("reason", ""))
    suffix = " (state_id)"
    if reason.endswith(suffix):
        return f"state_id {row}: {reason.removesuffix(suffix)}"
    return f"line {row}: {reason}"


def show_suggestions(found: list[SuggestionRecord], *, title: str) -> None:
    table = Table(title=title)
    for column in ("id", "status", "kind", "confidence", "title", "area"):
        table.add_column(column)
    for s in found:
        warning = " ⚠" if s.sensitive else ""
        table.add_row(
            str(s.id),
            s.status.value,
            s.kind,
            f"{s.confidence:.2f}",
            escape(s.title) + warning,
            escape(s.area_name or ""),
        )
    console.print(table)


def show_one(s: SuggestionRecord, track_record: str | None = None) -> None:
    console.print(
        f"[bold]{escape(s.title)}[/bold]  ({s.status.value}, {s.kind}, "
        f"confidence {s.confidence:.2f})"
    )
    console.print(s.description, markup=False)
    console.print(f"[italic]{escape(s.rationale)}[/italic]")
    if s.replay is not None:
        console.print(f"Replay: {escape(s.replay.sentence)}")
    if track_record:
        console.print(f"Track record: {escape(track_record)}")
    if s.condition_note:
        console.print(f"Condition: {escape(s.condition_note)}")
    if s.sensitive:
        console.print(f"[yellow]Sensitive:[/yellow] {escape(s.sensitive_reason or '')}")
    if s.diff:
        console.print(s.diff, markup=False, highlight=False)
    console.print(s.yaml, markup=False, highlight=False)


def run_json(run: RunRecord) -> dict[str, Any]:
    summary = run.summary
    return {
        "id": run.id,
        "trigger": run.trigger,
        "source": run.source,
        "status": summary.status.value,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "window_start": run.window_start.isoformat(),
        "window_end": run.window_end.isoformat(),
        "time_zone": summary.time_zone,
        "ha_version": summary.ha_version,
        "events_read": summary.events_read,
        "events_rejected": summary.events_rejected,
        "rejected_examples": summary.rejected_examples,
        "patterns_found": summary.patterns_found,
        "suggestions_created": summary.suggestions_created,
        "suggestions_dropped": summary.suggestions_dropped,
        "suggestions_refreshed": summary.suggestions_refreshed,
        "phase_seconds": summary.phase_seconds,
        "model_calls": summary.model_calls,
        "cache_hits": summary.cache_hits,
        "tokens_in": summary.tokens_in,
        "tokens_out": summary.tokens_out,
        "cost": summary.cost,
        "errors": summary.errors,
        "warnings": summary.warnings,
        "service_account_proposals": summary.service_account_proposals,
        "calibration": summary.calibration,
    }


def suggestion_json(s: SuggestionRecord) -> dict[str, Any]:
    """What `--json` shows of a suggestion: the record's fields by name, its area by name."""
    shown: dict[str, Any] = {name: getattr(s, name) for name in _JSON_FIELDS}
    shown["status"] = s.status.value
    shown["area"] = shown.pop("area_name")
    shown["replay"] = s.replay.as_dict() if s.replay else None
    return {name: shown[name] for name in _JSON_ORDER}
