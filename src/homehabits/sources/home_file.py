"""The home file beside an event file: names, areas, device classes, people, time zone, place.

An event file says what changed and when, not what the home is made of. Without areas and
device classes no habit can follow a motion sensor in the same room, and without the home's
place no habit can follow the sun. A JSON file beside it gives them (`events.home.json` for
`events.csv`, else `home.json` in the same folder):

    {
      "name": "Our flat",
      "time_zone": "Europe/Berlin",
      "location": {"latitude": 52.52, "longitude": 13.405, "elevation": 34},
      "areas": {"hall": "Hallway", "bathroom": "Bathroom"},
      "entities": {
        "binary_sensor.bathroom_motion": {"area": "bathroom", "device_class": "motion"},
        "light.bathroom_ceiling": {"name": "Bathroom ceiling", "area": "bathroom"}
      },
      "persons": ["Anna", "Ben"]
    }

Every key is optional. An entity's `area` is an area id or name from `areas` (when `areas` is
left out, the areas are the ones the entities name). Anything else is refused with one line
that names the file and the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from homehabits.context import Area, Entity, HomeContext, Location
from homehabits.exceptions import SourceFormatError
from homehabits.sources.registries import tidy_entity_name

__all__ = ["HOME_FILE_NAME", "HomeFile", "home_file_beside", "read_home_file", "write_home_file"]

#: The name of a home file shared by every event file in its folder.
HOME_FILE_NAME: Final = "home.json"
_KEYS: Final = ("name", "time_zone", "location", "areas", "entities", "persons")
_ENTITY_KEYS: Final = ("name", "area", "device_class")
_LOCATION_KEYS: Final = ("latitude", "longitude", "elevation")
_ENTITY_ID: Final = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")


@dataclass(frozen=True, slots=True)
class HomeFile:
    """What a home file says about the home; what it leaves out is None or empty."""

    path: Path
    name: str | None = None
    time_zone: str | None = None
    location: Location | None = None
    areas: Mapping[str, Area] = field(default_factory=dict)
    entities: Mapping[str, Entity] = field(default_factory=dict)
    persons: tuple[str, ...] = ()


def home_file_beside(events: Path) -> Path | None:
    """The home file of an event file: `<stem>.home.json`, else `home.json`; None if neither."""
    for candidate in (
        events.with_name(f"{events.stem}.home.json"),
        events.with_name(HOME_FILE_NAME),
    ):
        if candidate.is_file():
            return candidate
    return None


def read_home_file(path: Path) -> HomeFile:
    """The home file at `path`; bad content is a SourceFormatError naming the file and field."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise SourceFormatError(f"cannot be read ({err.strerror or err})", path=str(path)) from err
    except UnicodeDecodeError as err:
        raise SourceFormatError("not UTF-8 text; save the file as UTF-8", path=str(path)) from err
    try:
        document = json.loads(text)
    except ValueError as err:
        line = getattr(err, "lineno", None)
        reason = getattr(err, "msg", str(err))
        raise SourceFormatError(f"not valid JSON ({reason})", path=str(path), line=line) from err
    return _Reader(path).home(document)


def write_home_file(context: HomeContext, path: Path) -> Path:
    """Write what a context knows of the home as a home file (the format read_home_file reads)."""
    entities: dict[str, dict[str, str]] = {}
    for entity_id, entity in sorted(context.entities.items()):
        item = {"name": entity.name}
        area = context.area_id(entity_id)
        if area:
            item["area"] = area
        if entity.device_class:
            item["device_class"] = entity.device_class
        entities[entity_id] = item
    document: dict[str, Any] = {"time_zone": context.time_zone}
    if context.name:
        document["name"] = context.name
    if context.location is not None:
        document["location"] = {
            "latitude": context.location.latitude,
            "longitude": context.location.longitude,
            "elevation": context.location.elevation,
        }
    document["areas"] = {area_id: area.name for area_id, area in sorted(context.areas.items())}
    document["entities"] = entities
    if context.persons:
        document["persons"] = list(context.persons)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


class _Reader:
    """Checks one home file's document, naming the field of anything wrong."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def _error(self, where: str, message: str) -> SourceFormatError:
        return SourceFormatError(message, path=str(self._path), field=where)

    def home(self, document: Any) -> HomeFile:
        if not isinstance(document, dict):
            raise SourceFormatError(
                f"a home file is a JSON object (with {', '.join(_KEYS)}), not {_kind(document)}",
                path=str(self._path),
            )
        self._known_keys(document, _KEYS, "")
        areas = self._areas(document.get("areas"))
        entities, named_areas = self._entities(document.get("entities"), areas)
        return HomeFile(
            path=self._path,
            name=self._text(document.get("name"), "name"),
            time_zone=self._time_zone(document.get("time_zone")),
            location=self._location(document.get("location")),
            areas=areas or named_areas,
            entities=entities,
            persons=self._persons(document.get("persons")),
        )

    def _known_keys(self, item: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
        for key in item:
            if key not in known:
                raise self._error(
                    f"{where}{key}", f"unknown field; a home file knows {', '.join(known)}"
                )

    def _text(self, value: Any, where: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self._error(where, f"must be a text, not {_kind(value)}")
        return value.strip()

    def _time_zone(self, value: Any) -> str | None:
        zone = self._text(value, "time_zone")
        if zone is None:
            return None
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise self._error(
                "time_zone", f"unknown time zone {zone!r}; use an IANA name such as Europe/Berlin"
            ) from err
        return zone

    def _location(self, value: Any) -> Location | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._error(
                "location", f"must be an object with latitude and longitude, not {_kind(value)}"
            )
        self._known_keys(value, _LOCATION_KEYS, "location.")
        latitude = self._number(value.get("latitude"), "location.latitude", -90, 90)
        longitude = self._number(value.get("longitude"), "location.longitude", -180, 180)
        if latitude is None or longitude is None:
            missing = "location.latitude" if latitude is None else "location.longitude"
            raise self._error(missing, "is missing; give latitude and longitude together")
        elevation = self._number(value.get("elevation"), "location.elevation", -500, 9000)
        return Location(latitude, longitude, elevation or 0.0)

    def _number(self, value: Any, where: str, low: float, high: float) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._error(where, f"must be a number, not {_kind(value)}")
        if not low <= value <= high:
            raise self._error(where, f"{value} is outside {low:g} to {high:g}")
        return float(value)

    def _areas(self, value: Any) -> dict[str, Area]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self._error(
                "areas",
                f'must be an object of area id to name ({{"hall": "Hallway"}}), not {_kind(value)}',
            )
        areas: dict[str, Area] = {}
        for area_id, name in value.items():
            text = self._text(name, f"areas.{area_id}")
            areas[str(area_id)] = Area(area_id=str(area_id), name=text or str(area_id))
        return areas

    def _entities(
        self, value: Any, areas: Mapping[str, Area]
    ) -> tuple[dict[str, Entity], dict[str, Area]]:
        if value is None:
            return {}, {}
        if not isinstance(value, dict):
            raise self._error(
                "entities", f"must be an object of entity id to its details, not {_kind(value)}"
            )
        by_name = {area.name.casefold(): area.area_id for area in areas.values()}
        named: dict[str, Area] = {}
        entities: dict[str, Entity] = {}
        for entity_id, details in value.items():
            where = f"entities.{entity_id}"
            if not _ENTITY_ID.match(str(entity_id)):
                raise self._error(where, "is not an entity id such as light.hall")
            if not isinstance(details, dict):
                raise self._error(
                    where, f"must be an object (name, area, device_class), not {_kind(details)}"
                )
            self._known_keys(details, _ENTITY_KEYS, f"{where}.")
            area = self._text(details.get("area"), f"{where}.area")
            area_id = None
            if area is not None and areas:
                area_id = area if area in areas else by_name.get(area.casefold())
                if area_id is None:
                    raise self._error(
                        f"{where}.area", f"{area!r} is none of the areas ({', '.join(areas)})"
                    )
            elif area is not None:
                area_id = _slug(area)
                named.setdefault(area_id, Area(area_id=area_id, name=area))
            entities[entity_id] = Entity(
                entity_id=entity_id,
                name=self._text(details.get("name"), f"{where}.name")
                or tidy_entity_name(entity_id),
                area_id=area_id,
                device_class=self._text(details.get("device_class"), f"{where}.device_class"),
            )
        return entities, named

    def _persons(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self._error("persons", f"must be a list of names, not {_kind(value)}")
        return tuple(
            name
            for index, item in enumerate(value)
            if (name := self._text(item, f"persons[{index}]")) is not None
        )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_") or "area"


def _kind(value: Any) -> str:
    """What a JSON value is, in words, for a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:30]!r}"
    if isinstance(value, list):
        return "a list"
    return "an object"
