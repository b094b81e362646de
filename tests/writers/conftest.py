"""Builders for the writer tests: a small home and drafts made by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from homehabits.automations.draft import Draft
from homehabits.config import Dialect
from homehabits.context import Area, Device, Entity, ExistingAutomation, HomeContext
from homehabits.patterns.habit import Pattern


@pytest.fixture
def home() -> HomeContext:
    """A home in Berlin with a few lights, a door, a fan, the heating and two people."""
    entities = [
        Entity("light.kitchen", "Kitchen light", area_id="kitchen"),
        Entity("light.hall", "Hall light", area_id="hall"),
        Entity("light.porch", "Porch light"),
        Entity("light.living_room", "Living room lights", area_id="living"),
        Entity("binary_sensor.front_door", "Front door", device_class="door"),
        Entity("binary_sensor.hall_motion", "Hall motion", device_class="motion"),
        Entity("fan.bathroom", "Bathroom fan"),
        Entity("climate.heating", "Heating"),
        Entity("person.anna", "Anna"),
        Entity("person.ben", "Ben"),
        Entity("lock.front_door", "Front door lock"),
    ]
    return HomeContext(
        time_zone="Europe/Berlin",
        entities={entity.entity_id: entity for entity in entities},
        areas={
            "kitchen": Area("kitchen", "Kitchen"),
            "hall": Area("hall", "Hall"),
            "living": Area("living", "Living room"),
        },
        devices={"d1": Device("d1", "Hall switch", area_id="hall")},
        automations=(
            ExistingAutomation(
                automation_id="1700000000001",
                alias="Heating on at 06:00",
                entity_id="automation.heating_on_at_06_00",
            ),
        ),
    )


def _turn_on(entity_id: str) -> dict[str, Any]:
    return {
        "id": "homehabits_test",
        "alias": "test",
        "triggers": [{"trigger": "time", "at": "06:45:00"}],
        "conditions": [],
        "actions": [
            {"action": f"{entity_id.split('.')[0]}.turn_on", "target": {"entity_id": entity_id}}
        ],
        "mode": "single",
    }


DraftBuilder = Callable[..., Draft]


@pytest.fixture
def draft_of() -> DraftBuilder:
    """Make a Draft from a Pattern; the automation turns the target on unless one is given."""

    def build(
        pattern: Pattern,
        *,
        automation: dict[str, Any] | None = None,
        category: str = "lighting",
        sensitive_reason: str | None = None,
    ) -> Draft:
        config = automation if automation is not None else _turn_on(pattern.target_entity)
        return Draft(
            pattern=pattern,
            automation=config,
            yaml=repr(config),
            dialect=Dialect.MODERN,
            category=category,
            sensitive=sensitive_reason is not None,
            sensitive_reason=sensitive_reason,
        )

    return build
