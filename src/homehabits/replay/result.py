"""Replay: how an automation would have behaved over a window of the home's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["Replay"]


@dataclass(frozen=True, slots=True)
class Replay:
    """What an automation would have done: its fires, judged against what people did by hand.

    Every fire is exactly one of useful, idle or wrong, so `fires == useful + idle + wrong`.
    `fire_times` are the moments it fired (its triggers and conditions held); `wrong_times`
    the moments its wrong actions would have run (the fire plus any delay before them).
    `skipped` names the parts of the automation the replay could not judge (a template
    condition, an event trigger…): such a trigger never fires, such a condition never holds.
    """

    fires: int  # times the automation would have fired (after its conditions)
    useful: int  # fires where the person did the same by hand within the tolerance
    idle: int  # fires when the target was already in the state it sets
    wrong: int  # fires that would have changed something the person did not
    saved: int  # manual actions the automation would have saved
    wrong_rate: float  # wrong / fires (0.0 when it never fires)
    # of the wrong fires, those on days away (nobody home for most of the day): an empty
    # home's lamp at sunset; no evidence that the person does otherwise
    wrong_away: int = 0
    fire_times: tuple[datetime, ...] = ()  # UTC
    wrong_times: tuple[datetime, ...] = ()  # UTC
    skipped: tuple[str, ...] = ()  # e.g. "condition template", "trigger event"

    def as_dict(self) -> dict[str, Any]:
        """The figures the API and `--json` carry: fires, useful, idle, wrong, saved, wrong_rate."""
        return {
            "fires": self.fires,
            "useful": self.useful,
            "idle": self.idle,
            "wrong": self.wrong,
            "saved": self.saved,
            "wrong_rate": self.wrong_rate,
        }
