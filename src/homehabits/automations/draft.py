"""The Draft type: a habit compiled into a Home Assistant automation, before it has words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homehabits.config import Dialect
from homehabits.patterns.habit import Pattern

if TYPE_CHECKING:
    # a type only: automations never import the replay at run time (the replay imports them)
    from homehabits.replay.result import Replay

__all__ = ["Draft", "DroppedPattern"]


@dataclass(frozen=True, slots=True)
class Draft:
    """A pattern and the automation that would put it into practice."""

    pattern: Pattern
    automation: dict[str, Any]  # the config as Home Assistant takes it, in `dialect`
    yaml: str  # the same, as YAML text
    dialect: Dialect
    category: str  # lighting, climate, covers, media, security, energy, convenience
    sensitive: bool = False
    sensitive_reason: str | None = None
    diff: str | None = None  # override: a readable diff against the existing automation
    replay: Replay | None = None  # how the automation, as suggested, would have done
    # the condition chosen by replay and its effect, e.g. "only when it is dark: without it
    # 40 % of its fires were wrong, with it 4 %"
    condition_note: str | None = None

    @property
    def automation_id(self) -> str:
        """The id the automation gets in Home Assistant.

        homehabits_<fingerprint> for a new automation; an override keeps the id of the
        automation it changes, so deploying it replaces that one.
        """
        given = self.automation.get("id")
        return str(given) if given else f"homehabits_{self.pattern.fingerprint}"


@dataclass(frozen=True, slots=True)
class DroppedPattern:
    """A pattern that was not turned into a suggestion, and why."""

    pattern: Pattern
    reason: str  # e.g. "already automated by 'Evening lights'", "rejected on 2026-11-02"
