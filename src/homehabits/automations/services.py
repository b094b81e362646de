"""The service call that puts an entity into the state a habit wants, as the domain table says."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from homehabits import domains
from homehabits.automations.dialects import SERVICE_KEY
from homehabits.config import Dialect
from homehabits.domains import DOMAINS, HVAC_MODES
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
    domain_name = entity_id.split(".", 1)[0]
    called = name or entity_id
    domain = DOMAINS.get(domain_name)
    if domain is None:
        raise AutomationError(f"homehabits does not act on {domain_name} entities ({entity_id})")
    try:
        service, data = domain.call_for(state, attributes)
    except LookupError:
        raise AutomationError(f"no service sets {entity_id} to {state!r}") from None
    call = ServiceCall(f"{domain_name}.{service}", entity_id, data)
    # the same rules every door of the review asks (homehabits.safety)
    garage = called if device_class == "garage" else None
    reason = never_rule(call.service, call.data, names=called, garage=garage)
    if reason is not None:
        raise NeverSuggestedError(reason)
    return call


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
    return domains.direction_of(service, data).value
