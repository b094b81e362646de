"""The run's watch phase: every deployed suggestion and the owner's automations, watched and stored.

The one module of watch/ that reads and writes the store; the watching itself is pure.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime

import polars as pl

from homehabits.config import WatchSettings
from homehabits.context import HomeContext
from homehabits.review import automation_id_for
from homehabits.sources.registries import slugify
from homehabits.store import repository
from homehabits.store.engine import Sessions
from homehabits.store.records import SuggestionRecord, SuggestionStatus
from homehabits.watch.result import AutomationWatch, WatchedAutomation
from homehabits.watch.watching import owner_automations, watch_automations

__all__ = ["WatchReport", "watch_run"]

_MOST_DEPLOYED = 10_000


@dataclass(frozen=True, slots=True)
class WatchReport:
    """What the phase watched, for the run's progress line."""

    deployed: int
    owners: int
    undone: int  # deployed suggestions undone at least once
    with_problems: int  # the owner's automations with a problem

    @property
    def message(self) -> str:
        """e.g. '2 deployed suggestions watched (1 undone), 7 of the home's (2 with problems)'."""
        return (
            f"{self.deployed} deployed suggestions watched ({self.undone} undone), "
            f"{self.owners} of the home's own ({self.with_problems} with problems)"
        )


def deployed_automation(record: SuggestionRecord, context: HomeContext) -> WatchedAutomation:
    """A deployed suggestion as Home Assistant has it: its id, its alias and its entity."""
    automation_id = automation_id_for(record)
    alias = record.automation.get("alias")
    alias = alias if isinstance(alias, str) and alias else record.title
    watched = WatchedAutomation(
        alias=alias,
        config=record.automation,
        automation_id=automation_id,
        suggestion_id=record.id,
    )
    return _with_entity(watched, context)


def _with_entity(automation: WatchedAutomation, context: HomeContext) -> WatchedAutomation:
    """Its `automation.*` entity: as the home lists it, else as Home Assistant names it."""
    if automation.entity_id:
        return automation
    for existing in context.automations:
        same = automation.automation_id and existing.automation_id == automation.automation_id
        if same and existing.entity_id:
            return replace(automation, entity_id=existing.entity_id)
    return replace(automation, entity_id=f"automation.{slugify(automation.alias)}")


async def watch_run(
    sessions: Sessions,
    run_id: int,
    history: pl.DataFrame,
    context: HomeContext,
    *,
    window: tuple[datetime, datetime],
    settings: WatchSettings,
    owner: str | None = None,
) -> WatchReport:
    """Watch the deployed suggestions and the home's own automations; store their records.

    An empty history says nothing of them (a source that read nothing): nothing is stored,
    and the page and API keep showing the last run that saw the home.
    """
    if history.is_empty():
        return WatchReport(deployed=0, owners=0, undone=0, with_problems=0)
    deployed = await repository.list_suggestions(
        sessions, status=SuggestionStatus.DEPLOYED, limit=_MOST_DEPLOYED
    )
    ours = [deployed_automation(record, context) for record in deployed]
    theirs = [
        _with_entity(automation, context)
        for automation in owner_automations(context, [a.automation_id for a in ours])
    ]
    start, end = window
    watched: list[AutomationWatch] = await asyncio.to_thread(
        watch_automations,
        history,
        context,
        [*ours, *theirs],
        window_start=start,
        window_end=end,
        settings=settings,
    )
    await repository.store_watch(sessions, run_id, watched, owner=owner)
    mine = watched[: len(ours)]
    home = watched[len(ours) :]
    return WatchReport(
        deployed=len(mine),
        owners=len(home),
        undone=sum(1 for one in mine if one.reverts),
        with_problems=sum(1 for one in home if one.problems),
    )
