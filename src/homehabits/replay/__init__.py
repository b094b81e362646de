"""Replay: how an automation would have behaved over the home's history, fire by fire.

`replay_automation(automation, frame, context, window_start=…, window_end=…)` reads the
automation (either dialect), finds when its triggers fire (triggers.py), keeps the fires its
conditions let through (conditions.py), and judges each against what people did by hand
(judge.py): useful, idle or wrong, and the manual actions it would have saved.
`replay_automations` does many at once over one reading of the history (history.py).
`choose_conditions` (choosing.py) uses the replay to give each compiled draft the condition
that cuts its wrong fires (dark, a time window, home/away, a day type, a gating entity).

Pure and vectorised (polars): the window, the time zone and the location come in as the
EventFrame and HomeContext; nothing is read from a clock, a file or the network.

What it cannot know it says (`Replay.skipped`) rather than guesses: templates, event and
device triggers, attribute triggers, zones other than zone.home. It is counterfactual: the
history is what happened without the automation. Calls nested in choose/if run without their
own conditions, and `mode: single` with a delay is judged against the previous fire.
"""

from __future__ import annotations

from homehabits.replay.choosing import (
    choose_conditions,
    drop_misfiring,
    rank_drafts,
    usefulness,
)
from homehabits.replay.engine import DEFAULT_TOLERANCE, replay_automation, replay_automations
from homehabits.replay.result import Replay

__all__ = [
    "DEFAULT_TOLERANCE",
    "Replay",
    "choose_conditions",
    "drop_misfiring",
    "rank_drafts",
    "replay_automation",
    "replay_automations",
    "usefulness",
]
