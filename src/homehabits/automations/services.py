"""Which Home Assistant service puts an entity into the state a habit wants, per domain."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

from homehabits.automations.dialects import SERVICE_KEY
from homehabits.config import Dialect
from homehabits.events import ACTIONABLE_DOMAINS
from homehabits.exceptions import AutomationError, NeverSuggestedError
from homehabits.safety import never_rule

__all__ = [
    "HVAC_MODES",
    "NeverSuggestedError",
    "ServiceCall",
    "action_item",
    "direction_of",
    "service_call_for",
]

#: The hvac modes climate.set_hvac_mode accepts.
HVAC_MODES: Final = frozenset({"off", "heat", "cool", "heat_cool", "auto", "dry", "fan_only"})

_ON_OFF_DOMAINS: Final = frozenset({"light", "switch", "fan", "input_boolean", "humidifier"})
_MEDIA: Final = {
    "playing": "media_play",
    "paused": "media_pause",
    "on": "turn_on",
    "idle": "turn_on",
    "off": "turn_off",
    "standby": "turn_off",
}
_VACUUM: Final = {"cleaning": "start", "docked": "return_to_base", "returning": "return_to_base"}
_ALARM: Final = {
    "armed_away": "alarm_arm_away",
    "armed_home": "alarm_arm_home",
    "armed_night": "alarm_arm_night",
    "armed_vacation": "alarm_arm_vacation",
}
# Services that switch something on, off, or set a value; used to compare automations.
_ON_SERVICES: Final = frozenset(
    {
        "turn_on",
        "open_cover",
        "media_play",
        "start",
        "lock",
        "alarm_arm_away",
        "alarm_arm_home",
        "alarm_arm_night",
        "alarm_arm_vacation",
    }
)
_OFF_SERVICES: Final = frozenset(
    {"turn_off", "close_cover", "media_pause", "media_stop", "return_to_base", "stop"}
)


@dataclass(frozen=True, slots=True)
class ServiceCall:
    """One service call on one entity: light.turn_on with its data."""

    service: str  # domain.service
    entity_id: str
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The service without its domain, e.g. turn_on."""
        return self.service.split(".", 1)[1]


def service_call_for(
    entity_id: str,
    state: str,
    attributes: Mapping[str, Any],
    *,
    device_class: str | None = None,
    name: str | None = None,
) -> ServiceCall:
    """The service call that sets `entity_id` to `state` (with brightness, position, …).

    Raises NeverSuggestedError for unlocking, disarming and opening a garage door, and
    AutomationError for a state no service can set.
    """
    domain = entity_id.split(".", 1)[0]
    called = name or entity_id
    if domain not in ACTIONABLE_DOMAINS:
        raise AutomationError(f"homehabits does not act on {domain} entities ({entity_id})")
    if domain == "light":
        return _light(entity_id, state, attributes)
    if domain in _ON_OFF_DOMAINS:
        return ServiceCall(f"{domain}.{_on_off(entity_id, state)}", entity_id)
    if domain == "cover":
        return _cover(entity_id, state, attributes, device_class, called)
    if domain == "climate":
        return _climate(entity_id, state, attributes)
    if domain == "lock":
        if state in ("locked", "locking"):
            return ServiceCall("lock.lock", entity_id)
        if state in ("unlocked", "unlocking", "open", "opening"):
            _refuse("lock.unlock", {}, called, garage=None)
    elif domain == "alarm_control_panel":
        if state in _ALARM:
            return ServiceCall(f"alarm_control_panel.{_ALARM[state]}", entity_id)
        if state in ("disarmed", "disarming"):
            _refuse("alarm_control_panel.alarm_disarm", {}, called, garage=None)
    elif domain == "media_player" and state in _MEDIA:
        return ServiceCall(f"media_player.{_MEDIA[state]}", entity_id)
    elif domain == "vacuum" and state in _VACUUM:
        return ServiceCall(f"vacuum.{_VACUUM[state]}", entity_id)
    raise AutomationError(f"no service sets {entity_id} to {state!r}")


def action_item(call: ServiceCall, dialect: Dialect) -> dict[str, Any]:
    """The service call as one item of an automation's actions, in the dialect's keys."""
    item: dict[str, Any] = {
        SERVICE_KEY[dialect]: call.service,
        "target": {"entity_id": call.entity_id},
    }
    if call.data:
        item["data"] = dict(call.data)
    return item


def direction_of(service: str, data: Mapping[str, Any] | None = None) -> str:
    """Whether a service switches something on, off, sets a value, or toggles ("any")."""
    name = service.split(".", 1)[-1]
    if name == "set_hvac_mode" and data is not None and data.get("hvac_mode") == "off":
        return "off"
    if name in _ON_SERVICES or name.startswith("alarm_arm"):
        return "on"
    if name in _OFF_SERVICES:
        return "off"
    if name == "toggle":
        return "any"
    return "set"


def _refuse(service: str, data: Mapping[str, Any], called: str, *, garage: str | None) -> NoReturn:
    # the same rule every door of the review asks (homehabits.safety)
    reason = never_rule(service, data, names=called, garage=garage)
    raise NeverSuggestedError(reason or f"never suggested: {service} on {called}")


def _on_off(entity_id: str, state: str) -> str:
    if state == "on":
        return "turn_on"
    if state == "off":
        return "turn_off"
    raise AutomationError(f"no service sets {entity_id} to {state!r}")


def _light(entity_id: str, state: str, attributes: Mapping[str, Any]) -> ServiceCall:
    service = _on_off(entity_id, state)
    if service == "turn_off":
        return ServiceCall("light.turn_off", entity_id)
    data: dict[str, Any] = {}
    brightness = _number(attributes.get("brightness"))
    if brightness is not None:
        data["brightness"] = min(255, max(1, round(brightness)))
    kelvin = _number(attributes.get("color_temp_kelvin"))
    mireds = _number(attributes.get("color_temp"))
    if kelvin is None and mireds is not None and mireds > 0:
        # color_temp is in mireds; light.turn_on takes color_temp_kelvin since 2022.9
        kelvin = 1_000_000 / mireds
    if kelvin is not None and 1000 <= kelvin <= 20000:
        data["color_temp_kelvin"] = round(kelvin)
    return ServiceCall("light.turn_on", entity_id, data)


def _cover(
    entity_id: str,
    state: str,
    attributes: Mapping[str, Any],
    device_class: str | None,
    called: str,
) -> ServiceCall:
    position = _number(attributes.get("position", attributes.get("current_position")))
    opening = state in ("open", "opening") or (position is not None and position > 0)
    if device_class == "garage" and opening:
        _refuse("cover.open_cover", {}, called, garage=called)
    if position is not None and 0 < position < 100:
        return ServiceCall("cover.set_cover_position", entity_id, {"position": round(position)})
    if state in ("open", "opening"):
        return ServiceCall("cover.open_cover", entity_id)
    if state in ("closed", "closing"):
        return ServiceCall("cover.close_cover", entity_id)
    raise AutomationError(f"no service sets {entity_id} to {state!r}")


def _climate(entity_id: str, state: str, attributes: Mapping[str, Any]) -> ServiceCall:
    if state not in HVAC_MODES:
        raise AutomationError(f"no service sets {entity_id} to {state!r}")
    temperature = _number(attributes.get("temperature"))
    if temperature is not None and state != "off":
        data: dict[str, Any] = {"temperature": round(temperature, 1), "hvac_mode": state}
        return ServiceCall("climate.set_temperature", entity_id, data)
    return ServiceCall("climate.set_hvac_mode", entity_id, {"hvac_mode": state})


def _number(value: Any) -> float | None:
    """A finite number from an attribute value (numbers may arrive as text), else None."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
