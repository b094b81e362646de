"""Revisions of deployed automations people keep undoing: moved, a condition, or off.

A deployed suggestion undone or missed (done by hand unfired) at least `undone_at_least`
times in the window is first tried at the person's own time, sun offset or delay
(`watch/retime.py`: kept when its replay beats the deployed one's). Else one undone that
often is looked at again with the replay's condition search (replay/choosing.py `separating_condition`): the
fires nobody undid are the good ones, the undone ones the wrong ones. When a condition tells
them apart (a weekday set, dark, someone home, a gating entity), the revision is the deployed
automation with that condition added. When none does and it was undone on a third of its fires
or more, the revision turns it off: the same automation with every trigger disabled, so it
no longer fires and the owner can switch it back on in Home Assistant. Either is a suggestion
of kind `revision` carrying the deployed automation's id (deploying it replaces that one) and
a diff against it.

Pure: the watch results, the deployed suggestions, the EventFrame and the HomeContext come in.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any, Final

import polars as pl

from homehabits.automations.checker import check_automation
from homehabits.automations.dialects import convert_dialect
from homehabits.automations.draft import Draft
from homehabits.automations.tree import triggers_disabled
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Dialect, WatchSettings
from homehabits.context import HomeContext
from homehabits.exceptions import AutomationCheckError
from homehabits.patterns.habit import HabitKind
from homehabits.phrasing import days_phrase
from homehabits.replay.choosing import separating_condition, with_condition
from homehabits.store.records import SuggestionRecord
from homehabits.watch.result import AutomationWatch
from homehabits.watch.retime import Retimed, retime

__all__ = ["OFF_SHARE", "Revision", "propose_revisions"]

#: Undone on this share of its fires or more, with no condition that explains it: turn it off.
OFF_SHARE: Final = 1 / 3


@dataclass(frozen=True, slots=True)
class Revision:
    """A revised automation for one deployed suggestion, as a draft with its words' facts."""

    draft: Draft
    revises: int  # the deployed suggestion's id
    turns_off: bool  # no condition explains the undoing: the revision disables its triggers


def propose_revisions(
    watches: Sequence[AutomationWatch],
    deployed: Mapping[int, SuggestionRecord],
    frame: pl.DataFrame,
    context: HomeContext,
    *,
    window_start: datetime,
    window_end: datetime,
    settings: WatchSettings,
) -> list[Revision]:
    """A revision for every deployed suggestion undone or missed often enough to need one."""
    found: list[Revision] = []
    for watch in watches:
        suggestion_id = watch.automation.suggestion_id
        record = deployed.get(suggestion_id) if suggestion_id is not None else None
        often = max(len(watch.reverts), len(watch.misses)) >= settings.undone_at_least
        if record is None or not often:
            continue
        current = _deployed_draft(record)
        retimed = retime(
            watch,
            current,
            frame,
            context,
            window_start=window_start,
            window_end=window_end,
            settings=settings,
        )
        revision: Revision | None
        if retimed is not None:
            revision = _moved(watch, record, current, retimed, context)
        elif len(watch.reverts) >= settings.undone_at_least:
            revision = _revise(watch, record, current, frame, context, window_start, window_end)
        else:
            revision = None
        if revision is not None:
            found.append(revision)
    return found


def _deployed_draft(record: SuggestionRecord) -> Draft:
    """The deployed suggestion as a draft, in the dialect it was stored (and deployed) in."""
    dialect = Dialect(record.dialect)
    deployed = convert_dialect(record.automation, dialect)
    return Draft(
        pattern=record.habit,
        automation=deployed,
        yaml=automation_to_yaml(deployed),
        dialect=dialect,
        category=record.category,
    )


def _moved(
    watch: AutomationWatch,
    record: SuggestionRecord,
    current: Draft,
    retimed: Retimed,
    context: HomeContext,
) -> Revision | None:
    """The deployed automation at the person's time, offset or delay."""
    moments = retimed.evidence
    habit = current.pattern
    parameters: dict[str, Any] = {}
    if retimed.minute is not None:
        whole = round(retimed.minute) % 1440
        parameters["time_of_day"] = time(whole // 60, whole % 60)
    if retimed.offset_minutes is not None:
        parameters["sun_offset_minutes"] = retimed.offset_minutes
    if retimed.delay_seconds is not None:
        parameters["duration_seconds"] = retimed.delay_seconds
    return _revision(
        watch,
        record,
        replace(current, pattern=replace(habit, **parameters)),
        retimed.automation,
        change=retimed.change,
        effect=retimed.effect,
        sure=retimed.confidence,
        evidence=moments,
        context=context,
    )


def _revise(
    watch: AutomationWatch,
    record: SuggestionRecord,
    current: Draft,
    frame: pl.DataFrame,
    context: HomeContext,
    window_start: datetime,
    window_end: datetime,
) -> Revision | None:
    dialect = current.dialect
    deployed = dict(current.automation)
    undone = sorted({revert.fired_at for revert in watch.reverts})
    kept = [moment for moment in watch.fire_times if moment not in set(undone)]
    found = separating_condition(
        current, kept, undone, frame, context, window_start=window_start, window_end=window_end
    )
    undone_words = (
        f"undone {len(undone)} of the {watch.fires} times it fired{_days_words(undone, context)}"
    )
    if found is not None:
        candidate, still_kept, still_undone = found
        revised = with_condition(current, candidate.condition)
        change = f"only {candidate.words}"
        effect = (
            f"{undone_words}; {change} it would have fired {still_kept + still_undone} of those "
            f"times: {still_kept} that nobody undid, {still_undone} undone"
        )
        turns_off = False
        # how sure: the share of the undone fires it spares, times the share of kept ones kept
        sure = (len(undone) - still_undone) / len(undone) * still_kept / max(len(kept), 1)
    elif len(undone) >= OFF_SHARE * max(watch.fires, 1):
        revised = triggers_disabled(deployed, dialect)
        change = "turn it off"
        effect = f"{undone_words}, and nothing in the home tells those times apart"
        turns_off = True
        sure = len(undone) / max(watch.fires, 1)  # how often it was undone
    else:
        return None
    return _revision(
        watch,
        record,
        current,
        revised,
        change=change,
        effect=effect,
        sure=sure,
        evidence=undone,
        context=context,
        turns_off=turns_off,
    )


def _revision(
    watch: AutomationWatch,
    record: SuggestionRecord,
    current: Draft,
    revised: dict[str, Any],
    *,
    change: str,
    effect: str,
    sure: float,
    evidence: Sequence[datetime],
    context: HomeContext,
    turns_off: bool = False,
) -> Revision | None:
    """The revision as a draft of kind `revision`: its habit, its words' facts, its diff."""
    dialect = current.dialect
    deployed = current.automation
    try:
        check_automation(revised, dialect)
    except AutomationCheckError:
        return None  # a revision Home Assistant would refuse is no revision to suggest
    alias = str(deployed.get("alias") or record.title)
    days = {moment.astimezone(context.zone).date() for moment in watch.fire_times}
    pattern = replace(
        current.pattern,
        kind=HabitKind.REVISION,
        automation_id=watch.automation.automation_id,
        trigger_entity=watch.automation.entity_id,
        trigger_state=None,
        occurrences=len(evidence),
        days_observed=len({moment.astimezone(context.zone).date() for moment in evidence}),
        days_possible=len(days | {moment.astimezone(context.zone).date() for moment in evidence}),
        evidence_times=tuple(revert.undone_at for revert in watch.reverts) or tuple(evidence),
        evidence_lags=tuple(round(revert.seconds, 1) for revert in watch.reverts),
        confidence=round(sure, 3),
        # the words read these: what changes, why, and which suggestion it revises
        notes=(change, effect, f"revises suggestion {record.id} ('{alias}')"),
        known_as=None,
    )
    diff = "".join(
        difflib.unified_diff(
            automation_to_yaml(deployed).splitlines(keepends=True),
            automation_to_yaml(revised).splitlines(keepends=True),
            fromfile=f"{alias} (deployed)",
            tofile=f"{alias} (revised)",
        )
    )
    draft = replace(
        current,
        pattern=pattern,
        automation=revised,
        yaml=automation_to_yaml(revised),
        diff=diff,
        condition_note=None if turns_off else f"{change}: {effect}",
    )
    return Revision(draft=draft, revises=record.id, turns_off=turns_off)


def _days_words(moments: Sequence[datetime], context: HomeContext) -> str:
    """', all on Saturdays' when the undone fires fall on three weekdays or fewer."""
    days = sorted({moment.astimezone(context.zone).weekday() for moment in moments})
    if len(days) > 3:
        return ""
    return f", all {days_phrase(tuple(days))}"
