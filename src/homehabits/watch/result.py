"""What the watch reads of one automation, and what it found: fires, reverts, misses, problems."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["AutomationWatch", "Revert", "WatchedAutomation"]


@dataclass(frozen=True, slots=True)
class WatchedAutomation:
    """An automation to watch: a deployed suggestion of ours, or one of the owner's own."""

    alias: str
    config: Mapping[str, Any]  # the automation as Home Assistant has it, either dialect
    automation_id: str | None = None  # the `id` in automations.yaml
    entity_id: str | None = None  # automation.xxx, when known
    suggestion_id: int | None = None  # set when it is a homehabits suggestion, deployed


@dataclass(frozen=True, slots=True)
class Revert:
    """A person setting a target back soon after the automation changed it."""

    fired_at: datetime  # when the automation fired (UTC)
    undone_at: datetime  # when the person set it back (UTC)
    entity_id: str
    set_to: str  # what the automation set
    back_to: str  # what the person set it back to

    @property
    def seconds(self) -> float:
        """How long after the fire the person undid it."""
        return (self.undone_at - self.fired_at).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, times as ISO 8601 text."""
        return {
            "fired_at": self.fired_at.isoformat(),
            "undone_at": self.undone_at.isoformat(),
            "entity_id": self.entity_id,
            "set_to": self.set_to,
            "back_to": self.back_to,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Revert:
        """The inverse of as_dict."""
        return cls(
            fired_at=datetime.fromisoformat(str(data["fired_at"])),
            undone_at=datetime.fromisoformat(str(data["undone_at"])),
            entity_id=str(data["entity_id"]),
            set_to=str(data["set_to"]),
            back_to=str(data["back_to"]),
        )


@dataclass(frozen=True, slots=True)
class AutomationWatch:
    """One automation's track record over a window, in figures and in words."""

    automation: WatchedAutomation
    fire_times: tuple[datetime, ...] = ()  # UTC, oldest first
    reverts: tuple[Revert, ...] = ()  # at most one per fire
    misses: tuple[datetime, ...] = ()  # UTC: the person did by hand what it does, unfired
    words: str = ""
    problems: tuple[str, ...] = ()
    # entities it names that the home no longer has, and those unavailable at the window's end
    missing_entities: tuple[str, ...] = ()
    unavailable_entities: tuple[str, ...] = ()
    # False when nothing in the history can show it firing (it acts on no entity read)
    observable: bool = True

    @property
    def fires(self) -> int:
        """How many times it fired in the window."""
        return len(self.fire_times)

    @property
    def last_fired(self) -> datetime | None:
        """When it fired last, if it did."""
        return self.fire_times[-1] if self.fire_times else None
