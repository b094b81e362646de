"""Override habits: an automation acts and a person reverts it soon after."""

from __future__ import annotations

from datetime import timedelta

from homehabits.config import MiningSettings
from homehabits.context import ExistingAutomation, HomeContext
from homehabits.patterns.habit import HabitKind
from homehabits.patterns.override import find_overrides

from .conftest import BERLIN, at, build_frame

START, END = "2024-05-06 00:00", "2024-06-03 00:00"


def _automation(
    automation_id: str, clock: str, action: str = "cover.close_cover"
) -> ExistingAutomation:
    return ExistingAutomation(
        automation_id=automation_id,
        alias=f"Blinds at {clock}",
        entity_id=f"automation.blinds_{automation_id}",
        triggers=({"trigger": "time", "at": clock},),
        actions=({"action": action, "target": {"entity_id": "cover.living_room"}},),
    )


def _blinds(revert_minutes: float, weekend_only: bool = False) -> list[tuple]:
    rows: list[tuple] = []
    for day in range(28):
        closed = at(START) + timedelta(days=day, hours=21)
        rows.append((closed, "cover.living_room", "closed", "automation"))
        weekend = day % 7 >= 5  # START is a Monday
        if not weekend_only or weekend:
            reopen = closed + timedelta(minutes=revert_minutes + day % 3)
            rows.append((reopen, "cover.living_room", "open", "user"))
            rows.append((reopen + timedelta(hours=2), "cover.living_room", "closed", "user"))
        rows.append((closed + timedelta(hours=10), "cover.living_room", "open", "user"))
    return rows


def test_blinds_reopened_after_the_automation_closes_them_is_an_override_of_that_automation() -> (
    None
):
    context = HomeContext(
        time_zone=BERLIN,
        automations=(_automation("morning", "07:00:00"), _automation("evening", "21:00:00")),
    )
    [habit] = find_overrides(build_frame(_blinds(5)), context, at(START), at(END), MiningSettings())
    assert habit.kind is HabitKind.OVERRIDE
    assert (habit.target_entity, habit.target_state) == ("cover.living_room", "open")
    assert habit.automation_id == "evening"
    assert habit.trigger_entity == "automation.blinds_evening"
    assert habit.time_of_day is not None
    assert (habit.time_of_day.hour, habit.time_of_day.minute) == (
        21,
        0,
    )
    assert habit.lag_seconds is not None
    assert 300 <= habit.lag_seconds <= 420
    assert habit.occurrences == 28


def test_override_on_weekends_only_names_those_days() -> None:
    home = HomeContext(time_zone=BERLIN)
    [habit] = find_overrides(
        build_frame(_blinds(5, weekend_only=True)), home, at(START), at(END), MiningSettings()
    )
    assert habit.weekdays == (5, 6)
    assert habit.automation_id is None
    assert habit.notes


def test_a_revert_much_later_than_the_setting_is_no_override() -> None:
    home = HomeContext(time_zone=BERLIN)
    frame = build_frame(_blinds(50))
    assert find_overrides(frame, home, at(START), at(END), MiningSettings()) == []
    longer = MiningSettings(override_max_revert_seconds=3600)
    assert find_overrides(frame, home, at(START), at(END), longer) != []
