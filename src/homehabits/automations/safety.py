"""Safety: automations that need a careful look, and those homehabits never suggests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from homehabits.automations.calls import FoundCall, find_calls
from homehabits.context import HomeContext

__all__ = [
    "DEFAULT_SAFETY",
    "MAX_ENTITIES_AT_ONCE",
    "SafetyLimits",
    "SafetyVerdict",
    "assess_safety",
    "never_reason",
]

#: An action on more entities than this at once ("turn everything off") is flagged.
MAX_ENTITIES_AT_ONCE: Final = 5

_CHECK: Final = " — check before you approve"


@dataclass(frozen=True)
class SafetyLimits:
    """The setpoints a heating automation may use without a warning, in °C."""

    heating_min_c: float = 16.0
    heating_max_c: float = 24.0


#: The limits used when none are given: 16–24 °C.
DEFAULT_SAFETY: Final = SafetyLimits()


@dataclass(frozen=True, slots=True)
class SafetyVerdict:
    """Whether an automation is sensitive, and why, in the owner's words."""

    sensitive: bool
    reason: str | None = None


def never_reason(config: Mapping[str, Any], context: HomeContext) -> str | None:
    """Why an automation must never be suggested (unlock, disarm, open a garage), or None."""
    for call in find_calls(config):
        domain, _, name = call.service.partition(".")
        names = ", ".join(context.friendly_name(entity) for entity in call.entity_ids)
        if domain == "lock" and name in ("unlock", "open"):
            return f"never suggested: unlocking {names or 'a lock'} automatically is not safe"
        if domain == "alarm_control_panel" and name == "alarm_disarm":
            return f"never suggested: disarming {names or 'the alarm'} automatically is not safe"
        if domain == "cover" and _opens(call):
            garages = [entity for entity in call.entity_ids if _is_garage(entity, context)]
            if garages:
                garage_names = ", ".join(context.friendly_name(entity) for entity in garages)
                return (
                    f"never suggested: opening the garage door ({garage_names}) automatically "
                    "is not safe"
                )
    return None


def assess_safety(
    config: Mapping[str, Any],
    context: HomeContext,
    limits: SafetyLimits = DEFAULT_SAFETY,
) -> SafetyVerdict:
    """Flag locks, alarms, garage doors, heating extremes and actions on many entities."""
    reasons: list[str] = []
    for call in find_calls(config):
        reasons.extend(_call_reasons(call, context, limits))
    unique = list(dict.fromkeys(reasons))
    if not unique:
        return SafetyVerdict(sensitive=False)
    return SafetyVerdict(sensitive=True, reason="; ".join(unique) + _CHECK)


def _call_reasons(call: FoundCall, context: HomeContext, limits: SafetyLimits) -> list[str]:
    domain, _, name = call.service.partition(".")
    names = ", ".join(context.friendly_name(entity) for entity in call.entity_ids)
    reasons: list[str] = []
    if domain == "lock":
        reasons.append(f"Locks {names or 'a lock'} automatically")
    if domain == "alarm_control_panel":
        verb = "Arms" if name.startswith("alarm_arm") else "Changes"
        reasons.append(f"{verb} {names or 'the alarm'} automatically")
    if domain == "cover":
        garages = [entity for entity in call.entity_ids if _is_garage(entity, context)]
        if garages:
            garage_names = ", ".join(context.friendly_name(entity) for entity in garages)
            reasons.append(f"Moves the garage door ({garage_names}) automatically")
    if domain == "climate":
        # the limits are in °C; a home on US customary units sets its thermostats in °F
        unit = context.temperature_unit
        low, high = (
            (_fahrenheit(limits.heating_min_c), _fahrenheit(limits.heating_max_c))
            if unit == "°F"
            else (limits.heating_min_c, limits.heating_max_c)
        )
        for key in ("temperature", "target_temp_low", "target_temp_high"):
            value = call.data.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not low <= value <= high:
                reasons.append(
                    f"Sets {names or 'the heating'} to {value:g} {unit}, outside the "
                    f"{low:g}–{high:g} {unit} range"
                )
    if call.wide_target == "all":
        reasons.append(f"Runs {call.service} on every entity at once")
    elif call.wide_target is not None:
        reasons.append(f"Runs {call.service} on a whole {call.wide_target} at once")
    elif len(call.entity_ids) > MAX_ENTITIES_AT_ONCE:
        reasons.append(f"Runs {call.service} on {len(call.entity_ids)} entities at once")
    return reasons


def _opens(call: FoundCall) -> bool:
    name = call.service.partition(".")[2]
    if name in ("open_cover", "toggle"):
        return True
    position = call.data.get("position")
    return name == "set_cover_position" and not (
        isinstance(position, int | float) and position <= 0
    )


def _is_garage(entity_id: str, context: HomeContext) -> bool:
    entity = context.entities.get(entity_id)
    if entity is not None and entity.device_class:
        return entity.device_class == "garage"
    # without a device class (event files, bare recorders) err on the side of caution
    named = f"{entity_id} {context.friendly_name(entity_id)}".lower()
    return entity_id.startswith("cover.") and "garage" in named


def _fahrenheit(celsius: float) -> float:
    return round(celsius * 9 / 5 + 32, 1)
