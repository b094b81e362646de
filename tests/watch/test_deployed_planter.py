"""The simulator's 'reverts after deploy' planter: off by default, and apart from the rest."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import polars as pl

from homehabits.sources.simulation.deployed import (
    ARMCHAIR_LAMP,
    DEPLOYED_AUTOMATION,
    NEVER_FIRES_ID,
    REMOVED_ENTITIES,
    REMOVED_ENTITY_ID,
    REVERT_WEEKDAY,
)
from homehabits.sources.simulator import DemoSource, SimulationConfig, simulate_home


def test_the_planter_is_off_by_default_and_leaves_the_rest_of_the_home_as_it_was() -> None:
    plain = simulate_home(SimulationConfig(days=14))
    planted = simulate_home(SimulationConfig(days=14, deployed_reverts=True))

    assert ARMCHAIR_LAMP not in plain.context.entities
    assert plain.frame.filter(pl.col("entity_id") == ARMCHAIR_LAMP).is_empty()
    # every change is as it was; only Home Assistant's restarts, which write every entity's
    # state again with none before it, now write the lamp's too, in another order
    changes = pl.col("old_state").is_not_null()
    others = planted.frame.filter(pl.col("entity_id") != ARMCHAIR_LAMP, changes)
    assert others.equals(plain.frame.filter(changes))
    assert planted.truth == plain.truth
    added = planted.context.automations[len(plain.context.automations) :]
    assert planted.context.automations[: len(plain.context.automations)] == (
        plain.context.automations
    )
    assert [a.automation_id for a in added] == [
        DEPLOYED_AUTOMATION["id"],
        NEVER_FIRES_ID,
        REMOVED_ENTITY_ID,
    ]
    assert not set(REMOVED_ENTITIES) & planted.context.entities.keys()
    assert "reverts after deploy" in DemoSource(SimulationConfig(deployed_reverts=True)).description


def test_the_lamp_is_switched_straight_back_off_only_on_saturdays() -> None:
    home = simulate_home(SimulationConfig(days=30, deployed_reverts=True))
    lamp = home.frame.filter(pl.col("entity_id") == ARMCHAIR_LAMP).with_columns(
        pl.col("time").dt.convert_time_zone("Europe/Berlin").alias("local")
    )
    fired = lamp.filter(pl.col("origin") == "automation")
    assert fired.height >= 20
    assert set(fired["local"].dt.strftime("%H:%M").to_list()) == {"21:45"}
    clock = pl.col("local").dt.strftime("%H:%M")
    soon_off = lamp.filter(
        pl.col("state") == "off", pl.col("origin") == "user", clock > "21:45", clock < "21:52"
    )["local"].to_list()
    zone = ZoneInfo("Europe/Berlin")
    assert soon_off
    assert {moment.astimezone(zone).weekday() for moment in soon_off} == {REVERT_WEEKDAY}
