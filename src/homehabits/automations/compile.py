"""The compiler: every habit becomes a Home Assistant automation that Home Assistant accepts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from homehabits.automations.checker import check_automation
from homehabits.automations.dedupe import KnownAutomations
from homehabits.automations.dialects import (
    ACTION_LIST_KEY,
    choose_dialect,
    convert_dialect,
)
from homehabits.automations.draft import Draft, DroppedPattern
from homehabits.automations.kinds import habit_parts
from homehabits.automations.naming import alias_for, category_for, description_for
from homehabits.automations.override import compile_override
from homehabits.automations.safety import (
    DEFAULT_SAFETY,
    SafetyLimits,
    assess_safety,
    never_reason,
)
from homehabits.automations.services import NeverSuggestedError
from homehabits.automations.yaml_text import automation_from_yaml, automation_to_yaml
from homehabits.config import Dialect
from homehabits.context import HomeContext
from homehabits.exceptions import AutomationCheckError, AutomationError
from homehabits.patterns.habit import HabitKind, Pattern

__all__ = [
    "CompileResult",
    "SafetyLimits",
    "automation_from_yaml",
    "automation_to_yaml",
    "check_automation",
    "choose_dialect",
    "compile_pattern",
    "compile_patterns",
    "convert_dialect",
]

_FLAGGED_BY_MINER = "Marked sensitive when the habit was found — check before you approve"


@dataclass
class CompileResult:
    """The drafts to suggest, and the habits left out with the reason."""

    drafts: list[Draft] = field(default_factory=list)
    dropped: list[DroppedPattern] = field(default_factory=list)


def compile_pattern(
    pattern: Pattern,
    context: HomeContext,
    *,
    dialect: Dialect,
    safety: SafetyLimits = DEFAULT_SAFETY,
) -> Draft:
    """The automation for one habit, checked, in `dialect`.

    Raises AutomationError when the habit cannot (or must never) be an automation.
    """
    diff: str | None = None
    if pattern.kind is HabitKind.OVERRIDE:
        automation, diff = compile_override(pattern, context, dialect)
    else:
        automation = _new_automation(pattern, context, dialect)
    forbidden = never_reason(automation, context)
    if forbidden is not None:
        raise NeverSuggestedError(forbidden)
    try:
        check_automation(automation, dialect)
    except AutomationCheckError as err:
        raise AutomationError(
            f"the automation for this habit would not be accepted by Home Assistant: {err}"
        ) from err
    verdict = assess_safety(automation, context, safety)
    reason = verdict.reason or (_FLAGGED_BY_MINER if pattern.sensitive else None)
    return Draft(
        pattern=pattern,
        automation=automation,
        yaml=automation_to_yaml(automation),
        dialect=dialect,
        category=category_for(pattern, context),
        sensitive=verdict.sensitive or pattern.sensitive,
        sensitive_reason=reason,
        diff=diff,
    )


def compile_patterns(
    patterns: Sequence[Pattern],
    context: HomeContext,
    *,
    dialect: Dialect,
    active_fingerprints: Collection[str] = (),
    rejected_fingerprints: Collection[str] = (),
    safety: SafetyLimits = DEFAULT_SAFETY,
) -> CompileResult:
    """Drafts for the habits worth suggesting; the rest dropped with a reason the owner reads.

    Left out: habits the owner rejected or has pending already, habits the home's automations
    already cover, and habits that cannot or must never be automated (unlocking, disarming).
    """
    rejected = frozenset(rejected_fingerprints)
    active = frozenset(active_fingerprints)
    result = CompileResult()
    known = KnownAutomations(context)
    seen: set[str] = set()
    for pattern in patterns:
        fingerprint = pattern.fingerprint
        reason = _bookkeeping_reason(fingerprint, rejected, active, seen)
        if reason is None:
            try:
                draft = compile_pattern(pattern, context, dialect=dialect, safety=safety)
            except AutomationError as err:
                reason = str(err)
            else:
                reason = _covered_reason(draft, known)
                if reason is None:
                    seen.add(fingerprint)
                    result.drafts.append(draft)
                    continue
        result.dropped.append(DroppedPattern(pattern=pattern, reason=reason))
    return result


def _bookkeeping_reason(
    fingerprint: str, rejected: frozenset[str], active: frozenset[str], seen: set[str]
) -> str | None:
    if fingerprint in rejected:
        return "you rejected this"
    if fingerprint in active:
        return "already suggested"
    if fingerprint in seen:
        return "the same habit was found twice in this run"
    return None


def _covered_reason(draft: Draft, known: KnownAutomations) -> str | None:
    own_id = draft.automation.get("id") if draft.pattern.kind is HabitKind.OVERRIDE else None
    existing = known.covering(draft.automation, ignore_id=own_id)
    if existing is None:
        return None
    return f"already automated by {existing.alias!r}"


def _new_automation(pattern: Pattern, context: HomeContext, dialect: Dialect) -> dict[str, Any]:
    parts = habit_parts(pattern, context)
    automation: dict[str, Any] = {
        "id": f"homehabits_{pattern.fingerprint}",
        "alias": alias_for(pattern, context),
        "description": description_for(pattern, context),
        "triggers": parts.triggers,
    }
    if parts.conditions:
        automation["conditions"] = parts.conditions
    automation[ACTION_LIST_KEY[Dialect.MODERN]] = parts.actions
    automation["mode"] = parts.mode
    if dialect is Dialect.LEGACY:
        return convert_dialect(automation, Dialect.LEGACY)
    return automation
