"""Watching automations after deploy: fires, reverts, misses and problems, in figures and words.

Pure functions of the EventFrame and the HomeContext, like patterns/ and replay/: no I/O, no
clock. `phase` is the one module here that reads and writes the store: the run's watch phase.
"""

from __future__ import annotations

from homehabits.watch.result import AutomationWatch, Revert, WatchedAutomation
from homehabits.watch.watching import owner_automations, watch_automation, watch_automations
from homehabits.watch.words import track_record_words

__all__ = [
    "AutomationWatch",
    "Revert",
    "WatchedAutomation",
    "owner_automations",
    "track_record_words",
    "watch_automation",
    "watch_automations",
]
