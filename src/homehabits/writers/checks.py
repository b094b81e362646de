"""Checks on a model's words: no code, no entity ids, and no claim of an action the automation lacks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from homehabits.automations.draft import Draft
from homehabits.automations.tree import NodeKind, walk
from homehabits.context import HomeContext
from homehabits.domains import ACTIONABLE_DOMAINS, DOMAINS
from homehabits.exceptions import ModelResponseError
from homehabits.writers.prompt import ModelAnswer
from homehabits.writers.words import Words

__all__ = ["check_answer"]

_NAME: Final = "NAME"

_CODE_SIGNS: Final = re.compile(
    r"```|[{}<>\[\]`]|https?://|^\s*-\s+\w+\s*:|"
    r"\b(?:entity_id|service|action|actions|trigger|triggers|platform|condition|conditions)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
# the domains homehabits acts on, and those its automations only watch or name
_ENTITY_ID: Final = re.compile(
    r"\b(?:"
    + "|".join(sorted(ACTIONABLE_DOMAINS))
    + r"|binary_sensor|sensor|person|device_tracker|automation|script|scene|sun|zone|input_\w+)"
    r"\.[a-z0-9_]+\b"
)


def _turn(direction: str) -> re.Pattern[str]:
    # "turns on the NAME", "turns the NAME on", "switches it off"
    return re.compile(
        rf"\b(?:turn|switch)\w*\s+(?:{direction}\b|(?:the\s+{_NAME}|it|them)\s+{direction}\b)",
        re.IGNORECASE,
    )


def _leading_to(*states: str) -> tuple[str, ...]:
    """The services (domain.name) that leave their target in one of `states` ('armed_*': any
    state that begins so), as the domain table says."""
    prefixes = tuple(state.removesuffix("*") for state in states if state.endswith("*"))
    return tuple(
        f"{domain.name}.{service.name}"
        for domain in DOMAINS.values()
        for service in domain.services
        if service.leads_to is not None
        and (service.leads_to in states or service.leads_to.startswith(prefixes))
    )


# a position between closed and open may open or close the thing: either claim is true
_POSITIONS: Final = tuple(
    f"{domain.name}.{setting.service}"
    for domain in DOMAINS.values()
    for setting in domain.settings
    if setting.key == "position" and setting.service
)

#: Each action words can claim, how to spot it, and the services that really do it.
_CLAIMS: Final[tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...]] = (
    ("unlock", re.compile(r"\bunlock", re.I), (*_leading_to("unlocked"), "lock.open")),
    ("disarm", re.compile(r"\bdisarm", re.I), _leading_to("disarmed")),
    ("arm", re.compile(r"\barm(?:s|ed|ing)?\b", re.I), _leading_to("armed_*")),
    ("lock", re.compile(r"\block(?:s|ed|ing)?\b", re.I), _leading_to("locked")),
    ("open", re.compile(r"\bopen(?:s|ed|ing)?\b", re.I), (*_leading_to("open"), *_POSITIONS)),
    (
        "close",
        re.compile(r"\bclos(?:es|ed|ing|e(?!\s+to\b))\b", re.I),
        (*_leading_to("closed"), *_POSITIONS),
    ),
    ("turn_on", _turn("on"), (".turn_on", "climate.set_hvac_mode", "media_player.media_play")),
    ("turn_off", _turn("off"), (".turn_off",)),
)


def check_answer(answer: ModelAnswer, draft: Draft, context: HomeContext, reference: Words) -> None:
    """Refuse words that hold code or entity ids, or claim an action the automation does not do.

    An action is allowed when the automation performs it or the template's own words (built
    from the facts) already speak of it; the names of the entities involved are taken out
    first, so a device named "…unlock the front door" cannot lend the words an unlock.
    """
    texts = (answer.title, answer.description, answer.rationale)
    for field, text in zip(("title", "description", "rationale"), texts, strict=True):
        if _CODE_SIGNS.search(text) or _ENTITY_ID.search(text):
            raise ModelResponseError(f"the model's {field} looks like code or config: {text!r}")
    names = _names(draft, context)
    claimed = _claims(_without_names(" ".join(texts), names))
    reference_text = " ".join((reference.title, reference.description, reference.rationale))
    allowed = _claims(_without_names(reference_text, names)) | _performed(draft.automation)
    invented = sorted(claimed - allowed)
    if invented:
        raise ModelResponseError(
            "the model's words claim an action the automation does not do: " + ", ".join(invented)
        )


def _names(draft: Draft, context: HomeContext) -> list[str]:
    pattern = draft.pattern
    entity_ids = [*pattern.targets, pattern.trigger_entity, *pattern.related_entities]
    found: set[str] = set()
    for entity_id in entity_ids:
        if not entity_id:
            continue
        found.add(context.friendly_name(entity_id))
        area = context.area_name(entity_id)
        if area:
            found.add(area)
        automation = context.automation_by_entity(entity_id)
        if automation is not None:
            found.add(automation.alias)
    for automation in context.automations:
        if pattern.automation_id and automation.automation_id == pattern.automation_id:
            found.add(automation.alias)
    # longest first, so a name that contains another is taken out whole
    return sorted((name for name in found if name.strip()), key=len, reverse=True)


def _without_names(text: str, names: Iterable[str]) -> str:
    for name in names:
        text = re.sub(re.escape(name), _NAME, text, flags=re.IGNORECASE)
    return text


def _claims(text: str) -> set[str]:
    return {claim for claim, spotted, _ in _CLAIMS if spotted.search(text)}


def _performed(automation: Mapping[str, Any]) -> set[str]:
    services = set(_services(automation))
    return {
        claim
        for claim, _, doers in _CLAIMS
        if any(doer in service for service in services for doer in doers)
    }


def _services(automation: Mapping[str, Any]) -> Iterable[str]:
    for node in walk(automation):
        if node.kind is NodeKind.ACTION and isinstance(node.value, Mapping):
            for key in ("action", "service"):
                value = node.value.get(key)
                if isinstance(value, str) and "." in value:
                    yield value
