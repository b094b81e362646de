"""Replay: how an automation would have behaved over the home's history, fire by fire.

Pure and vectorised (polars): the window, the time zone and the location come in as the
EventFrame and HomeContext; nothing is read from a clock, a file or the network.
"""

from __future__ import annotations

from homehabits.replay.engine import DEFAULT_TOLERANCE, replay_automation, replay_automations
from homehabits.replay.result import Replay

__all__ = ["DEFAULT_TOLERANCE", "Replay", "replay_automation", "replay_automations"]
