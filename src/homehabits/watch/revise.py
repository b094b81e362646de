"""Revisions of deployed automations people keep undoing: a condition that spares them, or off.

A deployed suggestion undone at least `undone_at_least` times in the window is looked at
again with the replay's condition search (replay/choosing.py `separating_condition`): the
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
from datetime import datetime
from typing import Any, Final

import polars as pl

from homehabits.automations.checker import check_automation
from homehabits.automations.dialects import convert_dialect
from homehabits.automations.draft import Draft
from homehabits.automations.tree import TRIGGER_LIST_KEY
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Dialect, WatchSettings
from homehabits.context import HomeContext
from homehabits.exceptions import AutomationCheckError
from homehabits.patterns.habit import HabitKind
from homehabits.phrasing import days_phrase
from homehabits.replay.choosing import separating_condition, with_condition
from homehabits.store.records import SuggestionRecord
from homehabits.watch.result import AutomationWatch

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
    """A revision for every deployed suggestion undone often enough to need one."""
    found: list[Revision] = []
    for watch in watches:
        suggestion_id = watch.automation.suggestion_id
        record = deployed.get(suggestion_id) if suggestion_id is not None else None
        if record is None or len(watch.reverts) < settings.undone_at_least:
            continue
        revision = _revise(watch, record, frame, context, window_start, window_end)
        if revision is not None:
            found.append(revision)
    return found


def _revise(
    watch: AutomationWatch,
    record: SuggestionRecord,
    frame: pl.DataFrame,
    context: HomeContext,
    window_start: datetime,
    window_end: datetime,
) -> Revision | None:
    dialect = Dialect(record.dialect)  # the dialect it was stored (and deployed) in
    deployed = convert_dialect(record.automation, dialect)
    habit = record.habit
    current = Draft(
        pattern=habit,
        automation=deployed,
        yaml=automation_to_yaml(deployed),
        dialect=dialect,
        category=record.category,
    )
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
        revised = _triggers_off(deployed, dialect)
        change = "turn it off"
        effect = f"{undone_words}, and nothing in the home tells those times apart"
        turns_off = True
        sure = len(undone) / max(watch.fires, 1)  # how often it was undone
    else:
        return None
    try:
        check_automation(revised, dialect)
    except AutomationCheckError:
        return None  # a revision Home Assistant would refuse is no revision to suggest
    alias = str(deployed.get("alias") or record.title)
    pattern = replace(
        habit,
        kind=HabitKind.REVISION,
        automation_id=watch.automation.automation_id,
        trigger_entity=watch.automation.entity_id,
        trigger_state=None,
        occurrences=len(undone),
        days_observed=len({moment.astimezone(context.zone).date() for moment in undone}),
        days_possible=len({moment.astimezone(context.zone).date() for moment in watch.fire_times}),
        evidence_times=tuple(revert.undone_at for revert in watch.reverts),
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


def _triggers_off(automation: Mapping[str, Any], dialect: Dialect) -> dict[str, Any]:
    """The automation with every trigger disabled (`enabled: false`): it no longer fires."""
    revised = dict(automation)
    key = TRIGGER_LIST_KEY[dialect]
    triggers = revised.get(key)
    items = triggers if isinstance(triggers, list) else [triggers]
    revised[key] = [
        {**item, "enabled": False} if isinstance(item, Mapping) else item for item in items
    ]
    return revised
