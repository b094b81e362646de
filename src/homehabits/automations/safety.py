"""Safety at every door: compile, edit, approve and deploy ask the same rules (homehabits.safety).

`never_reason` names what homehabits never writes (unlocking, disarming, opening a garage
door); `assess_safety` flags what needs a careful look (locks, alarms, garage doors, heating
outside the limits, many entities, services homehabits does not write itself);
`edit_refusal` names what an owner's edit may not bring in (templates, services outside the
allowed domains); `judge` puts them together for a door.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from homehabits import safety as rules
from homehabits.automations.calls import FoundCall, find_calls
from homehabits.automations.fields import is_entity_id, is_template
from homehabits.automations.tree import NodeKind, walk
from homehabits.config import Settings
from homehabits.context import HomeContext
from homehabits.exceptions import NeverSuggestedError, UnsafeAutomationError
from homehabits.safety import is_garage, is_gas_valve

__all__ = [
    "DEFAULT_SAFETY",
    "MAX_ENTITIES_AT_ONCE",
    "SafetyLimits",
    "SafetyVerdict",
    "assess_safety",
    "edit_refusal",
    "entities_named",
    "judge",
    "limits_from",
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


def limits_from(settings: Settings) -> SafetyLimits:
    """The heating limits the owner set (HOMEHABITS_HEATING_MIN_C / _MAX_C)."""
    return SafetyLimits(settings.heating_min_c, settings.heating_max_c)


@dataclass(frozen=True, slots=True)
class SafetyVerdict:
    """Whether an automation is sensitive, and why, in the owner's words."""

    sensitive: bool
    reason: str | None = None


def never_reason(config: Mapping[str, Any], context: HomeContext) -> str | None:
    """Why an automation must never be suggested (unlock, disarm, open a garage), or None."""
    for call in _every_call(config):
        names = ", ".join(context.friendly_name(entity) for entity in call.entity_ids)
        garages = [entity for entity in call.entity_ids if is_garage(entity, context)]
        garage = ", ".join(context.friendly_name(entity) for entity in garages) or None
        reason = rules.never_rule(call.service, call.data, names=names, garage=garage)
        if reason is not None:
            return reason
    return None


def assess_safety(
    config: Mapping[str, Any],
    context: HomeContext,
    limits: SafetyLimits = DEFAULT_SAFETY,
) -> SafetyVerdict:
    """Flag locks, alarms, garage doors, heating extremes and actions on many entities."""
    reasons: list[str] = []
    for call in _every_call(config):
        reasons.extend(_call_reasons(call, context, limits))
    unique = list(dict.fromkeys(reasons))
    if not unique:
        return SafetyVerdict(sensitive=False)
    return SafetyVerdict(sensitive=True, reason="; ".join(unique) + _CHECK)


def judge(
    config: Mapping[str, Any],
    context: HomeContext,
    limits: SafetyLimits = DEFAULT_SAFETY,
    *,
    before: Mapping[str, Any] | None = None,
) -> SafetyVerdict:
    """The verdict of one door: raises for a never-rule (or, with `before`, a refused edit).

    Raises NeverSuggestedError for unlocking, disarming or opening a garage door, and
    UnsafeAutomationError when an edit (the automation was `before`) brings in a template or
    a service outside the allowed domains.
    """
    forbidden = never_reason(config, context)
    if forbidden is not None:
        raise NeverSuggestedError(forbidden)
    if before is not None:
        refused = edit_refusal(before, config)
        if refused is not None:
            raise UnsafeAutomationError(refused)
    return assess_safety(config, context, limits)


def edit_refusal(before: Mapping[str, Any], after: Mapping[str, Any]) -> str | None:
    """Why an edit may not be stored: a template or a service outside the allowed domains.

    Only what the edit brings in counts: an override keeps the owner's own automation, which
    may use templates or other services already.
    """
    new_templates = sorted(_templates(after) - _templates(before))
    if new_templates:
        return (
            f"an edit may not bring in templates ({new_templates[0]!r}): homehabits writes "
            "plain values only, so what the automation does can be checked before it runs"
        )
    known = {call.service for call in _every_call(before)}
    for call in _every_call(after):
        domain = call.service.partition(".")[0]
        if domain not in rules.ALLOWED_DOMAINS and call.service not in known:
            allowed = ", ".join(sorted(rules.ALLOWED_DOMAINS))
            return (
                f"an edit may not call {call.service}: homehabits only writes actions on {allowed}"
            )
    return None


def entities_named(config: Mapping[str, Any]) -> set[str]:
    """Every entity id an automation names: in triggers, conditions and actions."""
    found: set[str] = set()
    _collect_entities(config, found)
    return found


def _collect_entities(node: Any, found: set[str]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in ("entity_id", "scene"):
                items = value.split(",") if isinstance(value, str) else value
                for item in items if isinstance(items, list | tuple) else ():
                    text = str(item).strip()
                    if is_entity_id(text):
                        found.add(text)
            else:
                _collect_entities(value, found)
    elif isinstance(node, list | tuple):
        for item in node:
            _collect_entities(item, found)


def _templates(node: Any) -> set[str]:
    found: set[str] = set()
    if is_template(node):
        found.add(str(node))
    elif isinstance(node, Mapping):
        for key, value in node.items():
            if str(key).endswith("_template"):
                found.add(f"{key}: {value}")
            found |= _templates(key) | _templates(value)
    elif isinstance(node, list | tuple):
        for item in node:
            found |= _templates(item)
    return found


def _every_call(config: Mapping[str, Any]) -> Iterator[FoundCall]:
    """Service calls, and the device actions and scenes that act like them."""
    yield from find_calls(config)
    for node in walk(config):
        if node.kind is NodeKind.ACTION and isinstance(node.value, Mapping):
            yield from _device_or_scene_action(node.value)


def _device_or_scene_action(action: Mapping[str, Any]) -> Iterator[FoundCall]:
    domain, kind = action.get("domain"), action.get("type")
    if "device_id" in action and isinstance(domain, str) and isinstance(kind, str):
        # a device action: {device_id, domain: lock, type: unlock, entity_id}
        entity = action.get("entity_id")
        entities = (entity,) if isinstance(entity, str) and "." in entity else ()
        yield FoundCall(service=f"{domain}.{kind}".lower(), entity_ids=entities)
    scene = action.get("scene")
    if isinstance(scene, str):
        yield FoundCall(service="scene.turn_on", entity_ids=(scene,))


def _call_reasons(call: FoundCall, context: HomeContext, limits: SafetyLimits) -> list[str]:
    domain, _, name = call.service.partition(".")
    names = ", ".join(context.friendly_name(entity) for entity in call.entity_ids)
    reasons: list[str] = []
    if not rules.is_allowed_service(call.service):
        reasons.append(f"Calls {call.service}, which homehabits does not write itself")
    if domain == "lock":
        reasons.append(f"Locks {names or 'a lock'} automatically")
    if domain == "alarm_control_panel":
        verb = "Arms" if name.startswith("alarm_arm") else "Changes"
        reasons.append(f"{verb} {names or 'the alarm'} automatically")
    if domain == "cover":
        garages = [entity for entity in call.entity_ids if is_garage(entity, context)]
        if garages:
            garage_names = ", ".join(context.friendly_name(entity) for entity in garages)
            reasons.append(f"Moves the garage door ({garage_names}) automatically")
    if domain == "valve":
        gas = [entity for entity in call.entity_ids if is_gas_valve(entity, context)]
        if gas:
            gas_names = ", ".join(context.friendly_name(entity) for entity in gas)
            reasons.append(f"Moves the gas valve ({gas_names}) automatically")
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


def _fahrenheit(celsius: float) -> float:
    return round(celsius * 9 / 5 + 32, 1)
