"""The domain table: for each Home Assistant domain homehabits acts on, everything it knows.

One `Domain` per domain says which services homehabits may write, the state each service
leads to and the service written for each wished state, their direction (on, off, set, any),
the "on" state, the attributes that become service data, whether the domain is sensitive,
its review category and the words the writers use. Every other module reads this table;
adding a domain is adding an entry to `DOMAINS`. Standard library only, so anyone may import it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

__all__ = [
    "ACTIONABLE_DOMAINS",
    "CATEGORIES",
    "DOMAINS",
    "HVAC_MODES",
    "KEPT_ATTRIBUTES",
    "Direction",
    "Domain",
    "Phrase",
    "Service",
    "Setting",
    "direction_of",
    "opens",
    "phrase_for",
    "state_after",
]

#: The categories a suggestion can have: each domain's own, plus energy (presence, auto-off).
CATEGORIES: Final = ("lighting", "climate", "covers", "media", "security", "energy", "convenience")

#: The hvac modes climate.set_hvac_mode accepts.
HVAC_MODES: Final = frozenset({"off", "heat", "cool", "heat_cool", "auto", "dry", "fan_only"})


class Direction(StrEnum):
    """What a service does to its target, as automations are compared."""

    ON = "on"  # switches on, opens, starts, locks, arms
    OFF = "off"  # switches off, closes, pauses, sends home
    SET = "set"  # sets a value (or does something else)
    ANY = "any"  # toggles: either way


@dataclass(frozen=True, slots=True)
class Service:
    """One service of a domain: what it does and whether homehabits may write it."""

    name: str  # without the domain: open_cover
    direction: Direction
    leads_to: str | None = None  # the state afterwards; None when it depends on the data
    written_for: tuple[str, ...] | None = None  # wished states it is written for (leads_to)
    allowed: bool = True  # False: homehabits never writes it (the never rules say why)
    state_key: str | None = None  # the data key that carries the wished state (hvac_mode)

    @property
    def wished_states(self) -> tuple[str, ...]:
        """The states a habit may wish for that this service is written for."""
        if self.written_for is not None:
            return self.written_for
        return (self.leads_to,) if self.leads_to is not None else ()


@dataclass(frozen=True, slots=True)
class Setting:
    """An attribute of the wished state that the service call carries as data."""

    key: str  # the service data key: brightness
    attribute: str  # the attribute the owner's words read: brightness, position
    value: Callable[[Mapping[str, Any]], int | float | None]  # the data value, None to leave out
    states: frozenset[str] | None = None  # the wished states it goes with; None: any
    service: str | None = None  # the service that takes it instead of the state's own
    words: str | None = None  # how an alias says it: "to {} %"
    reads: tuple[str, ...] = ()  # the state attributes it is read from (brightness, 0–255)
    tolerance: float = 0.0  # values this close are the same setting, as a person sets it
    separate: bool = False  # a second call after the state's own service (volume_set)


@dataclass(frozen=True, slots=True)
class Phrase:
    """What is done to an entity, in the forms the words need."""

    verb: str  # "Turns on", "Sets", "Opens"
    past: str  # "turned on", "set", "opened"
    suffix: str  # what follows the name: "" or " to heat"
    state_word: str  # for titles: "on", "closed", "to heat"
    undo_past: str  # the opposite, for "after it was turned on"
    alias: str | None = None  # the alias's words when not the state itself: "back to its dock"
    done: str | None = None  # "was ___ by hand" when not "set <alias>": "opened"

    def does(self, name: str) -> str:
        """'Turns on the Kitchen light'."""
        return f"{self.verb} the {name}{self.suffix}"

    def did(self, name: str) -> str:
        """'turned on the Kitchen light'."""
        return f"{self.past} the {name}{self.suffix}"

    def was_done(self, name: str) -> str:
        """'Kitchen light turned on'."""
        return f"{name} {self.past}{self.suffix}"


@dataclass(frozen=True, slots=True)
class Domain:
    """Everything homehabits knows about one domain."""

    name: str
    services: tuple[Service, ...]
    category: str = "convenience"
    on_state: str = "on"  # the state it is in when "on", for the auto-off trigger
    sensitive: bool = False  # its habits are always flagged for a careful look
    off_when_away: bool = False  # switching it off when everyone leaves is a habit to look for
    settings: tuple[Setting, ...] = ()
    phrases: Mapping[str, Phrase] = field(default_factory=dict)

    def service(self, name: str) -> Service | None:
        """The service of that name (without the domain), if the table knows it."""
        return next((service for service in self.services if service.name == name), None)

    @property
    def allowed_services(self) -> frozenset[str]:
        """The services (without the domain) homehabits may write."""
        return frozenset(service.name for service in self.services if service.allowed)

    def service_for(self, state: str) -> Service | None:
        """The service homehabits writes to put an entity into `state`, if any."""
        return next((s for s in self.services if state in s.wished_states), None)

    def call_for(self, state: str, attributes: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """The service (without the domain) and data that put an entity into `state`.

        Raises LookupError when no service sets that state. Settings come first in the data
        (brightness, position, temperature), then the wished state when the service carries it.
        """
        own = self.service_for(state)
        name = own.name if own is not None else None
        data: dict[str, Any] = {}
        for setting in self.settings:
            if setting.separate or (setting.states is not None and state not in setting.states):
                continue
            value = setting.value(attributes)
            if value is None:
                continue
            data[setting.key] = value
            name = setting.service or name
        if name is None:
            raise LookupError(f"no {self.name} service sets {state!r}")
        if own is not None and own.state_key:
            data[own.state_key] = state
        return name, data

    def further_calls(
        self, state: str, attributes: Mapping[str, Any]
    ) -> list[tuple[str, dict[str, Any]]]:
        """The calls after call_for's that set what the state's service cannot (the volume)."""
        calls: list[tuple[str, dict[str, Any]]] = []
        for setting in self.settings:
            if not setting.separate or setting.service is None:
                continue
            if setting.states is not None and state not in setting.states:
                continue
            value = setting.value(attributes)
            if value is not None:
                calls.append((setting.service, {setting.key: value}))
        return calls

    def settings_for(self, state: str) -> tuple[Setting, ...]:
        """The settings a habit putting an entity into `state` may carry."""
        return tuple(s for s in self.settings if s.states is None or state in s.states)


def _number(value: Any) -> float | None:
    """A finite number from an attribute value (numbers may arrive as text), else None."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _brightness_pct(attributes: Mapping[str, Any]) -> int | None:
    percent = _number(attributes.get("brightness_pct"))
    if percent is None:
        # the state attribute is 0–255; light.turn_on's brightness_pct is what owners read
        brightness = _number(attributes.get("brightness"))
        percent = None if brightness is None else brightness / 255 * 100
    return None if percent is None else min(100, max(1, round(percent)))


def _kelvin(attributes: Mapping[str, Any]) -> int | None:
    kelvin = _number(attributes.get("color_temp_kelvin"))
    mireds = _number(attributes.get("color_temp"))
    if kelvin is None and mireds is not None and mireds > 0:
        # color_temp is in mireds; light.turn_on takes color_temp_kelvin since 2022.9
        kelvin = 1_000_000 / mireds
    return round(kelvin) if kelvin is not None and 1000 <= kelvin <= 20000 else None


def _partial_position(attributes: Mapping[str, Any]) -> int | None:
    # fully open or closed is said by the state itself (open_cover, close_valve)
    position = _number(attributes.get("position", attributes.get("current_position")))
    return round(position) if position is not None and 0 < position < 100 else None


def _temperature(attributes: Mapping[str, Any]) -> float | None:
    temperature = _number(attributes.get("temperature"))
    return None if temperature is None else round(temperature, 1)


def _percentage(attributes: Mapping[str, Any]) -> int | None:
    percentage = _number(attributes.get("percentage"))
    return round(percentage) if percentage is not None and 0 < percentage <= 100 else None


def _volume(attributes: Mapping[str, Any]) -> float | None:
    volume = _number(attributes.get("volume_level"))
    return round(volume, 2) if volume is not None and 0 <= volume <= 1 else None


def _position(service: str) -> Setting:
    """A partial position (0–100) set by the domain's own set-position service."""
    return Setting(
        "position",
        "position",
        _partial_position,
        service=service,
        words="to {} %",
        reads=("current_position",),
        tolerance=5,
    )


def _on_off(*, off_when_away: bool = True, **kwargs: Any) -> Domain:
    """A domain switched on and off: light, switch, fan…"""
    services = (
        Service("turn_on", Direction.ON, "on"),
        Service("turn_off", Direction.OFF, "off"),
        Service("toggle", Direction.ANY),
    )
    return Domain(services=services, off_when_away=off_when_away, **kwargs)


def _opens(noun: str) -> tuple[Service, ...]:
    """The services of something that opens and closes: cover, valve."""
    return (
        Service(f"open_{noun}", Direction.ON, "open", ("open", "opening")),
        Service(f"close_{noun}", Direction.OFF, "closed", ("closed", "closing")),
        Service(f"set_{noun}_position", Direction.SET),
        Service(f"stop_{noun}", Direction.SET),
    )


_OPEN_CLOSE: Final = MappingProxyType(
    {
        "open": Phrase("Opens", "opened", "", "open", "closed", done="opened"),
        "closed": Phrase("Closes", "closed", "", "closed", "opened", done="closed"),
    }
)


def _set_to(words: str, undo: str, *, alias: str | None = None, done: str | None = None) -> Phrase:
    return Phrase("Sets", "set", f" to {words}", f"to {words}", undo, alias=alias, done=done)


def _armed(how: str) -> Phrase:
    return Phrase(
        "Arms", "armed", f" ({how})", f"armed ({how})", "disarmed", alias=f"armed ({how})"
    )


_ARMED: Final = ("away", "home", "night", "vacation")
_DOCKED: Final = Phrase(
    "Sends home", "sent home", "", "docked", "started", alias="back to its dock"
)

_TABLE: Final = (
    _on_off(
        name="light",
        category="lighting",
        settings=(
            Setting(
                "brightness_pct",
                "brightness_pct",
                _brightness_pct,
                frozenset({"on"}),
                words="on at {} %",
                reads=("brightness",),
                tolerance=5,
            ),
            Setting(
                "color_temp_kelvin",
                "color_temp_kelvin",
                _kelvin,
                frozenset({"on"}),
                reads=("color_temp_kelvin", "color_temp"),
                tolerance=150,
            ),
        ),
    ),
    _on_off(name="switch"),
    Domain(
        name="fan",
        services=(
            Service("turn_on", Direction.ON, "on"),
            Service("turn_off", Direction.OFF, "off"),
            Service("toggle", Direction.ANY),
            Service("set_percentage", Direction.SET),
        ),
        category="climate",
        off_when_away=True,
        settings=(
            Setting(
                "percentage",
                "percentage",
                _percentage,
                frozenset({"on"}),
                words="on at {} %",
                reads=("percentage",),
                tolerance=5,
            ),
        ),
    ),
    _on_off(name="input_boolean"),
    _on_off(name="humidifier", category="climate"),
    Domain(
        name="cover",
        services=_opens("cover"),
        category="covers",
        on_state="open",
        settings=(_position("set_cover_position"),),
        phrases=_OPEN_CLOSE,
    ),
    Domain(
        name="valve",
        services=(*_opens("valve"), Service("toggle", Direction.ANY)),
        on_state="open",
        settings=(_position("set_valve_position"),),
        phrases=_OPEN_CLOSE,
    ),
    Domain(
        name="climate",
        services=(
            Service("set_hvac_mode", Direction.SET, None, tuple(HVAC_MODES), state_key="hvac_mode"),
            Service("set_temperature", Direction.SET, state_key="hvac_mode"),
            Service("turn_on", Direction.ON),
            Service("turn_off", Direction.OFF, "off", ()),
        ),
        category="climate",
        settings=(
            Setting(
                "temperature",
                "temperature",
                _temperature,
                HVAC_MODES - {"off"},
                service="set_temperature",
                words="to {} °C",
                reads=("temperature",),
                tolerance=0.3,
            ),
        ),
        phrases={
            mode: _set_to(
                mode.replace("_", "/"), "turned off", alias=f"to {mode.replace('_', ' ')}"
            )
            for mode in sorted(HVAC_MODES - {"off"})
        },
    ),
    Domain(
        name="media_player",
        services=(
            Service("media_play", Direction.ON, "playing"),
            Service("media_pause", Direction.OFF, "paused"),
            Service("media_stop", Direction.OFF, "idle", ()),
            Service("turn_on", Direction.ON, "on", ("on", "idle")),
            Service("turn_off", Direction.OFF, "off", ("off", "standby")),
            Service("volume_set", Direction.SET),
        ),
        category="media",
        on_state="playing",
        off_when_away=True,
        settings=(
            Setting(
                "volume_level",
                "volume_level",
                _volume,
                frozenset({"playing", "on", "idle", "paused"}),
                service="volume_set",
                reads=("volume_level",),
                tolerance=0.04,
                separate=True,
            ),
        ),
        phrases={
            "playing": Phrase(
                "Starts playing on", "started playing on", "", "playing", "stopped", done="started"
            ),
            "paused": Phrase("Pauses", "paused", "", "paused", "started"),
            "off": Phrase("Turns off", "turned off", "", "off", "turned on", done="turned off"),
            "on": Phrase("Turns on", "turned on", "", "on", "turned off", done="turned on"),
            "idle": Phrase("Stops", "stopped", "", "stopped", "started", alias="idle"),
        },
    ),
    Domain(
        name="vacuum",
        services=(
            Service("start", Direction.ON, "cleaning"),
            Service("return_to_base", Direction.OFF, "returning", ("docked", "returning")),
            Service("stop", Direction.OFF),
            Service("pause", Direction.SET),
        ),
        on_state="cleaning",
        phrases={
            "cleaning": Phrase("Starts", "started", "", "cleaning", "docked"),
            "docked": _DOCKED,
            "returning": _DOCKED,
        },
    ),
    Domain(
        name="lock",
        services=(
            Service("lock", Direction.ON, "locked", ("locked", "locking")),
            Service("unlock", Direction.SET, "unlocked", ("unlocked", "unlocking"), allowed=False),
            Service("open", Direction.SET, "open", ("open", "opening"), allowed=False),
        ),
        category="security",
        sensitive=True,
        phrases={
            "locked": Phrase("Locks", "locked", "", "locked", "unlocked", done="locked"),
            "unlocked": Phrase("Unlocks", "unlocked", "", "unlocked", "locked"),
            "open": _set_to("open", "changed back", done="opened"),
        },
    ),
    Domain(
        name="alarm_control_panel",
        services=(
            *(Service(f"alarm_arm_{how}", Direction.ON, f"armed_{how}") for how in _ARMED),
            Service(
                "alarm_arm_custom_bypass", Direction.ON, "armed_custom_bypass", (), allowed=False
            ),
            Service("alarm_disarm", Direction.SET, "disarmed", ("disarmed", "disarming"), False),
        ),
        category="security",
        sensitive=True,
        phrases={
            **{f"armed_{how}": _armed(how) for how in _ARMED},
            "armed_custom_bypass": _armed("custom bypass"),
            "disarmed": Phrase("Disarms", "disarmed", "", "disarmed", "armed"),
        },
    ),
)

#: The domains homehabits acts on, by name.
DOMAINS: Final[Mapping[str, Domain]] = MappingProxyType({d.name: d for d in _TABLE})

#: Domains whose entities a habit may act on.
ACTIONABLE_DOMAINS: Final = frozenset(DOMAINS)

#: The state attributes the settings are read from: what a source keeps with a state change.
KEPT_ATTRIBUTES: Final = tuple(
    dict.fromkeys(name for d in _TABLE for setting in d.settings for name in setting.reads)
)


# a service of a domain the table does not hold (homeassistant.turn_on, script.turn_on) is
# read by its name: what every domain that has that name agrees on, and nothing more
def _agreed(name: str) -> Service:
    found = [service for domain in _TABLE for service in domain.services if service.name == name]
    directions = {service.direction for service in found}
    leads_to = {service.leads_to for service in found}
    state_keys = {service.state_key for service in found}
    return Service(
        name,
        directions.pop() if len(directions) == 1 else Direction.SET,
        leads_to.pop() if len(leads_to) == 1 else None,
        state_key=state_keys.pop() if len(state_keys) == 1 else None,
    )


_BY_NAME: Final = MappingProxyType(
    {service.name: _agreed(service.name) for domain in _TABLE for service in domain.services}
)


def _known(service: str, entity_id: str | None) -> Service | None:
    domain_name, _, name = service.lower().partition(".")
    domain = DOMAINS.get(domain_name)
    if domain is None and entity_id is not None:
        # homeassistant.turn_on on light.kitchen does what light.turn_on does
        domain = DOMAINS.get(entity_id.split(".", 1)[0])
    known = domain.service(name) if domain is not None else None
    return known or _BY_NAME.get(name)


def direction_of(service: str, data: Mapping[str, Any] | None = None) -> Direction:
    """Whether a service (domain.name) switches something on, off, sets a value or toggles."""
    known = _known(service, None)
    if known is None:
        return Direction.SET
    if known.state_key and data is not None and data.get(known.state_key) == "off":
        return Direction.OFF
    return known.direction


def state_after(
    service: str, data: Mapping[str, Any] | None = None, *, entity_id: str | None = None
) -> str | None:
    """The state a service call (domain.name) leaves `entity_id` in; None when it may be any."""
    known = _known(service, entity_id)
    if known is None:
        return None
    wished = data.get(known.state_key) if known.state_key and data is not None else None
    return wished if isinstance(wished, str) else known.leads_to


def opens(service: str, data: Mapping[str, Any]) -> bool:
    """Whether a service (domain.name) opens, or may open, its target (toggle, a position)."""
    domain_name, _, name = service.lower().partition(".")
    domain = DOMAINS.get(domain_name)
    for setting in domain.settings if domain is not None else ():
        if setting.key == "position" and setting.service == name:
            position = data.get("position")
            if isinstance(position, int | float) and not isinstance(position, bool):
                return position > 0
            return True  # a position we cannot read may open it
    # in a domain the table holds, only its own services (and toggle) count
    known = domain.service(name) if domain is not None else _BY_NAME.get(name)
    if known is None:
        return name == "toggle"
    return known.direction in (Direction.ON, Direction.ANY)


_GENERIC: Final = MappingProxyType(
    {
        "on": Phrase("Turns on", "turned on", "", "on", "turned off", done="turned on"),
        "off": Phrase("Turns off", "turned off", "", "off", "turned on", done="turned off"),
    }
)


def phrase_for(domain: str, state: str) -> Phrase:
    """The words for putting an entity of `domain` into `state` (any domain, any state)."""
    known = DOMAINS.get(domain)
    phrase = known.phrases.get(state) if known is not None else None
    if phrase is not None:
        return phrase
    if state in _GENERIC:
        return _GENERIC[state]
    readable = state.replace("_", " ")
    return _set_to(readable, "changed back")
