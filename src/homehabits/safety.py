"""The safety rules, in one table: what homehabits never automates, and what needs a careful look.

Miners (patterns), the service table (automations.services) and every door of the review
(compile, edit, approve, deploy: automations.safety) ask these same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homehabits import domains
from homehabits.context import HomeContext
from homehabits.domains import DOMAINS

__all__ = [
    "ALLOWED_DOMAINS",
    "ALLOWED_SERVICES",
    "SENSITIVE_DOMAINS",
    "is_allowed_service",
    "is_garage",
    "is_gas_valve",
    "never_rule",
    "opens_cover",
    "sensitive_entity",
]

#: Domains whose entities homehabits may act on; an edit may not call services of any other.
ALLOWED_DOMAINS: Final = domains.ACTIONABLE_DOMAINS

#: Domains whose actions are always flagged sensitive.
SENSITIVE_DOMAINS: Final = frozenset(name for name, domain in DOMAINS.items() if domain.sensitive)

#: The services homehabits writes itself (and their plain siblings); any other is flagged.
ALLOWED_SERVICES: Final[Mapping[str, frozenset[str]]] = {
    name: domain.allowed_services for name, domain in DOMAINS.items()
}


def is_allowed_service(service: str) -> bool:
    """Whether a service (domain.name) is one homehabits itself would write."""
    domain, _, name = service.lower().partition(".")
    return name in ALLOWED_SERVICES.get(domain, frozenset())


def is_garage(entity_id: str, context: HomeContext, *, by_name: bool = True) -> bool:
    """Whether a cover is a garage door: by device class, else (`by_name`) by its name."""
    return _is_kind_of("cover", "garage", entity_id, context, by_name=by_name)


def is_gas_valve(entity_id: str, context: HomeContext, *, by_name: bool = True) -> bool:
    """Whether a valve is a gas valve: by device class, else (`by_name`) by its name."""
    return _is_kind_of("valve", "gas", entity_id, context, by_name=by_name)


def _is_kind_of(
    domain: str, device_class: str, entity_id: str, context: HomeContext, *, by_name: bool
) -> bool:
    if not entity_id.startswith(f"{domain}."):
        return False
    entity = context.entities.get(entity_id)
    if entity is not None and entity.device_class:
        return entity.device_class == device_class
    # without a device class (event files, bare recorders, an edit) the doors err on caution
    name = f"{entity_id} {context.friendly_name(entity_id)}".lower()
    return by_name and device_class in name


def sensitive_entity(entity_id: str, context: HomeContext) -> bool:
    """Locks, alarms, garage doors and gas valves (by device class): approve with care.

    The miners go by what the home says; the doors (automations.safety) also go by names.
    """
    domain = entity_id.split(".", 1)[0]
    return (
        domain in SENSITIVE_DOMAINS
        or is_garage(entity_id, context, by_name=False)
        or is_gas_valve(entity_id, context, by_name=False)
    )


def opens_cover(service: str, data: Mapping[str, Any]) -> bool:
    """Whether a cover service opens (or may open) the cover."""
    return domains.opens(service, data)


def never_rule(
    service: str, data: Mapping[str, Any], *, names: str, garage: str | None
) -> str | None:
    """Why one service call must never be automated (unlock, disarm, open a garage), or None.

    `names` are the targets as the owner knows them; `garage` the names of the garage doors
    among them (None when none is a garage door).
    """
    domain, _, name = service.lower().partition(".")
    if domain == "lock" and name in ("unlock", "open"):
        return f"never suggested: unlocking {names or 'a lock'} automatically is not safe"
    if domain == "alarm_control_panel" and name == "alarm_disarm":
        return f"never suggested: disarming {names or 'the alarm'} automatically is not safe"
    if domain == "cover" and garage is not None and opens_cover(service, data):
        return f"never suggested: opening the garage door ({garage}) automatically is not safe"
    return None
