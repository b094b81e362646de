"""The simulated home's rooms, devices, entities, people and existing automations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from homehabits.context import (
    Area,
    Device,
    Entity,
    ExistingAutomation,
    HomeContext,
    Location,
)
from homehabits.sources.registries import automation_from_config, slugify
from homehabits.sources.simulation.plan import PEOPLE, HomePlan

__all__ = [
    "BERLIN",
    "HA_VERSION",
    "SERVICE_USER",
    "Sensor",
    "build_context",
    "chatter_sensors",
    "entity_name",
    "initial_states",
]

BERLIN: Final = Location(latitude=52.52, longitude=13.405, elevation=34.0)
HA_VERSION: Final = "2024.3.3"
SERVICE_USER: Final = ("c9e8d7f6a5b44c3d2e1f0a9b8c7d6e5f", "Node-RED")

_AREAS: Final = {
    "living_room": "Living room",
    "kitchen": "Kitchen",
    "bedroom": "Bedroom",
    "hallway": "Hallway",
    "bathroom": "Bathroom",
    "office": "Office",
    "garden": "Garden",
    "garage": "Garage",
}

# entity id, friendly name, area, device class, state before the simulation starts
_ENTITIES: Final[tuple[tuple[str, str, str | None, str | None, str | None], ...]] = (
    ("light.kitchen_ceiling", "Kitchen ceiling light", "kitchen", None, "off"),
    ("light.kitchen_cabinet", "Kitchen cabinet lights", "kitchen", None, "off"),
    ("light.dining_pendant", "Dining pendant", "kitchen", None, "off"),
    ("light.living_room_ceiling", "Living room ceiling light", "living_room", None, "off"),
    ("light.living_room_lamp", "Living room lamp", "living_room", None, "off"),
    ("light.bedroom_ceiling", "Bedroom ceiling light", "bedroom", None, "off"),
    ("light.bedside", "Bedside lamp", "bedroom", None, "off"),
    ("light.office_desk", "Office desk lamp", "office", None, "off"),
    ("light.office_ceiling", "Office ceiling light", "office", None, "off"),
    ("light.hallway", "Hallway light", "hallway", None, "off"),
    ("light.hallway_night", "Hallway night light", "hallway", None, "off"),
    ("light.entrance", "Entrance light", "hallway", None, "off"),
    ("light.bathroom_ceiling", "Bathroom ceiling light", "bathroom", None, "off"),
    ("light.bathroom_mirror", "Bathroom mirror light", "bathroom", None, "off"),
    ("light.porch", "Porch light", "garden", None, "off"),
    ("light.garden_spots", "Garden spotlights", "garden", None, "off"),
    ("light.garage", "Garage light", "garage", None, "off"),
    ("switch.coffee_machine", "Coffee machine", "kitchen", "outlet", "off"),
    ("switch.towel_warmer", "Towel warmer", "bathroom", "outlet", "off"),
    ("switch.garden_irrigation", "Garden watering", "garden", "switch", "off"),
    ("switch.aquarium_light", "Aquarium light", "living_room", "outlet", "off"),
    ("fan.bathroom_extractor", "Bathroom extractor fan", "bathroom", None, "off"),
    ("cover.bedroom_blinds", "Bedroom blinds", "bedroom", "blind", "closed"),
    ("cover.living_room_blinds", "Living room blinds", "living_room", "blind", "closed"),
    ("cover.garage_door", "Garage door", "garage", "garage", "closed"),
    ("climate.living_room", "Living room thermostat", "living_room", None, "off"),
    ("climate.bedroom", "Bedroom thermostat", "bedroom", None, "off"),
    ("media_player.living_room_tv", "Living room TV", "living_room", "tv", "off"),
    ("media_player.kitchen_radio", "Kitchen radio", "kitchen", "speaker", "off"),
    ("lock.front_door", "Front door lock", "hallway", None, "locked"),
    ("binary_sensor.front_door", "Front door", "hallway", "door", "off"),
    ("binary_sensor.hallway_motion", "Hallway motion", "hallway", "motion", "off"),
    ("binary_sensor.bathroom_motion", "Bathroom motion", "bathroom", "motion", "off"),
    ("binary_sensor.living_room_motion", "Living room motion", "living_room", "motion", "off"),
    ("binary_sensor.kitchen_motion", "Kitchen motion", "kitchen", "motion", "off"),
    ("person.anna", "Anna", None, None, "home"),
    ("person.ben", "Ben", None, None, "home"),
    ("zone.home", "Home", None, None, "2"),
    # what real households add: more routines on their own lights, and their mess
    ("light.reading_lamp", "Reading lamp", "living_room", None, "off"),
    ("light.kitchen_island", "Kitchen island light", "kitchen", None, "off"),
    ("light.sofa_lamp", "Sofa lamp", "living_room", None, "off"),
    ("light.shelf_lights", "Shelf lights", "living_room", None, "off"),
    ("light.corner_lamp", "Corner lamp", "living_room", None, "off"),
    ("light.patio", "Patio light", "garden", None, "off"),
    ("binary_sensor.patio_door", "Patio door", "living_room", "door", "off"),
    ("light.stairs", "Stairs light", "hallway", None, "off"),
    ("binary_sensor.stairs_motion", "Stairs motion", "hallway", "motion", "off"),
    ("light.kitchen_table", "Kitchen table light", "kitchen", None, "off"),
    ("binary_sensor.stove", "Stove", "kitchen", "running", "off"),
    ("light.cooker_hood", "Cooker hood light", "kitchen", None, "off"),
    ("media_player.bedroom_tv", "Bedroom TV", "bedroom", "tv", "off"),
    ("light.bedroom_strip", "Bedroom LED strip", "bedroom", None, "off"),
    ("cover.kitchen_blinds", "Kitchen blinds", "kitchen", "blind", "closed"),
    ("switch.dehumidifier", "Dehumidifier", "bedroom", "outlet", "off"),
)

_SENSOR_AREAS: Final = ("living_room", "bedroom", "bathroom", "office", "kitchen", "garden")
_SENSOR_KINDS: Final = ("temperature", "humidity", "power")


@dataclass(frozen=True, slots=True)
class Sensor:
    """A numeric sensor that reports every few minutes."""

    entity_id: str
    name: str
    area_id: str
    kind: str  # temperature | humidity | power
    level: float  # typical reading
    swing: float  # how far it moves over a day
    every_minutes: float  # how often it reports at the default noise level


_BASE_SENSORS: Final = (
    Sensor(
        "sensor.living_room_temperature",
        "Living room temperature",
        "living_room",
        "temperature",
        21.0,
        1.5,
        10,
    ),
    Sensor(
        "sensor.living_room_humidity",
        "Living room humidity",
        "living_room",
        "humidity",
        48.0,
        6.0,
        12,
    ),
    Sensor(
        "sensor.bedroom_temperature", "Bedroom temperature", "bedroom", "temperature", 19.0, 1.5, 10
    ),
    Sensor("sensor.bathroom_humidity", "Bathroom humidity", "bathroom", "humidity", 60.0, 12.0, 12),
    Sensor(
        "sensor.outdoor_temperature", "Outdoor temperature", "garden", "temperature", 9.0, 5.0, 10
    ),
    Sensor("sensor.office_desk_power", "Office desk power", "office", "power", 85.0, 60.0, 5),
    Sensor("sensor.fridge_power", "Fridge power", "kitchen", "power", 60.0, 45.0, 5),
)
_LEVELS: Final = {
    "temperature": (20.0, 2.0, 10.0),
    "humidity": (50.0, 8.0, 12.0),
    "power": (40.0, 30.0, 5.0),
}


def chatter_sensors(size: float) -> tuple[Sensor, ...]:
    """The sensors that chatter: about seven for each unit of size (at least one)."""
    count = max(1, round(len(_BASE_SENSORS) * size))
    sensors = list(_BASE_SENSORS[:count])
    for number in range(1, count - len(sensors) + 1):
        kind = _SENSOR_KINDS[number % len(_SENSOR_KINDS)]
        area = _SENSOR_AREAS[number % len(_SENSOR_AREAS)]
        level, swing, every = _LEVELS[kind]
        sensors.append(
            Sensor(
                f"sensor.{area}_{kind}_{number:04d}",
                f"{_AREAS[area]} {kind} {number}",
                area,
                kind,
                level + (number % 7) - 3,
                swing,
                every,
            )
        )
    return tuple(sensors)


def entity_name(entity_id: str) -> str:
    """The friendly name of one of the home's fixed entities."""
    for known, name, _, _, _ in _ENTITIES:
        if known == entity_id:
            return name
    return entity_id.split(".", 1)[-1].replace("_", " ").capitalize()


def initial_states() -> dict[str, str]:
    """The state of each switchable entity before the simulation starts."""
    return {entity_id: state for entity_id, _, _, _, state in _ENTITIES if state is not None}


def _legacy(raw: dict[str, Any]) -> ExistingAutomation:
    """An automation written in the pre-2024.10 dialect, read as the config folder reads one."""
    return automation_from_config(raw, f"automation.{slugify(str(raw['alias']))}")


def _automations(plan: HomePlan) -> tuple[ExistingAutomation, ...]:
    override = plan.override
    climate = override.habit.target_entity
    morning = override.habit.time_of_day
    routines = plan.routines
    raws: list[dict[str, Any]] = [
        {
            "id": "heating_morning",
            "alias": override.automation_alias,
            "trigger": [
                {"platform": "time", "at": f"{morning:%H:%M:%S}" if morning else "06:00:00"}
            ],
            "action": [
                {
                    "service": "climate.set_hvac_mode",
                    "target": {"entity_id": climate},
                    "data": {"hvac_mode": "heat"},
                }
            ],
            "mode": "single",
        },
        {
            "id": "heating_night",
            "alias": f"Heating off at {override.evening_off:%H:%M}",
            "trigger": [{"platform": "time", "at": f"{override.evening_off:%H:%M:%S}"}],
            "action": [
                {
                    "service": "climate.set_hvac_mode",
                    "target": {"entity_id": climate},
                    "data": {"hvac_mode": "off"},
                }
            ],
            "mode": "single",
        },
        {
            "id": "porch_light_off",
            "alias": "Porch light off at 01:00",
            "trigger": [{"platform": "time", "at": "01:00:00"}],
            "action": [
                {"service": "light.turn_off", "target": {"entity_id": routines.porch_light}}
            ],
            "mode": "single",
        },
        {
            "id": "garage_door_close",
            "alias": "Close the garage door after 5 minutes",
            "trigger": [
                {
                    "platform": "state",
                    "entity_id": "cover.garage_door",
                    "to": "open",
                    "for": "00:05:00",
                }
            ],
            "action": [
                {"service": "cover.close_cover", "target": {"entity_id": "cover.garage_door"}}
            ],
            "mode": "single",
        },
        {
            "id": "garden_watering",
            "alias": "Garden watering at 05:30",
            "trigger": [{"platform": "time", "at": "05:30:00"}],
            "action": [
                {"service": "switch.turn_on", "target": {"entity_id": routines.watering}},
                {"delay": "00:20:00"},
                {"service": "switch.turn_off", "target": {"entity_id": routines.watering}},
            ],
            "mode": "single",
        },
        {
            "id": "hallway_night_light",
            "alias": "Hallway night light on motion",
            "trigger": [
                {"platform": "state", "entity_id": "binary_sensor.hallway_motion", "to": "on"}
            ],
            "condition": [{"condition": "time", "after": "23:00:00", "before": "06:00:00"}],
            "action": [
                {"service": "light.turn_on", "target": {"entity_id": routines.night_light}},
                {
                    "wait_for_trigger": [
                        {
                            "platform": "state",
                            "entity_id": "binary_sensor.hallway_motion",
                            "to": "off",
                            "for": "00:02:00",
                        }
                    ]
                },
                {"service": "light.turn_off", "target": {"entity_id": routines.night_light}},
            ],
            "mode": "restart",
        },
    ]
    household = plan.household
    for clock in household.clocks if household else ():
        if clock.opposite_by_automation_at is None:
            continue
        whole = round(clock.opposite_by_automation_at)
        at = f"{whole // 60:02d}:{whole % 60:02d}"
        target = clock.habit.target_entity
        domain = target.split(".", 1)[0]
        action: dict[str, Any] = (
            {
                "service": "climate.set_hvac_mode",
                "target": {"entity_id": target},
                "data": {"hvac_mode": clock.opposite},
            }
            if domain == "climate"
            else {"service": f"{domain}.turn_off", "target": {"entity_id": target}}
        )
        raws.append(
            {
                "id": f"{target.split('.', 1)[1]}_morning_off",
                "alias": f"{entity_name(target)} off at {at}",
                "trigger": [{"platform": "time", "at": f"{at}:00"}],
                "action": [action],
                "mode": "single",
            }
        )
    return tuple(_legacy(raw) for raw in raws)


def build_context(plan: HomePlan, size: float, time_zone: str) -> HomeContext:
    """The context of the simulated home: every entity with its device and area."""
    areas = {area_id: Area(area_id, name) for area_id, name in _AREAS.items()}
    devices: dict[str, Device] = {}
    entities: dict[str, Entity] = {}
    for entity_id, name, area_id, device_class, _ in _ENTITIES:
        device_id = None
        if area_id is not None:
            device_id = f"dev_{entity_id.replace('.', '_')}"
            devices[device_id] = Device(
                device_id, name, "Demo Devices", entity_id.split(".")[0], area_id
            )
        entities[entity_id] = Entity(entity_id, name, None, device_id, device_class, "demo")
    for sensor in chatter_sensors(max(size, 1.0)):
        device_id = f"dev_{sensor.entity_id.replace('.', '_')}"
        devices[device_id] = Device(
            device_id, f"{sensor.name} sensor", "Demo Devices", "multisensor", sensor.area_id
        )
        entities[sensor.entity_id] = Entity(
            sensor.entity_id, sensor.name, None, device_id, sensor.kind, "demo"
        )
    users = {user_id: name for _, user_id, name in PEOPLE}
    users[SERVICE_USER[0]] = SERVICE_USER[1]
    return HomeContext(
        time_zone=time_zone,
        location=BERLIN,
        ha_version=HA_VERSION,
        name="Demo home",
        entities=entities,
        devices=devices,
        areas=areas,
        automations=_automations(plan),
        users=users,
        service_user_ids=frozenset({SERVICE_USER[0]}),
    )
