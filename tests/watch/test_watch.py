"""The watch over hand-built histories: fires, reverts within the minutes, misses, the words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from homehabits.config import WatchSettings
from homehabits.context import Entity, ExistingAutomation, HomeContext
from homehabits.events import check_events
from homehabits.watch import WatchedAutomation, owner_automations, watch_automation

BERLIN = ZoneInfo("Europe/Berlin")
FIRST_DAY = date(2026, 2, 2)  # a Monday
DAYS = 28
START = datetime.combine(FIRST_DAY, datetime.min.time(), BERLIN).astimezone(UTC)
END = START + timedelta(days=DAYS)
LAMP = "light.reading_lamp"
LAMP_ON = {
    "alias": "Reading lamp on at 21:45",
    "id": "homehabits_lamp",
    "triggers": [{"trigger": "time", "at": "21:45:00"}],
    "actions": [{"action": "light.turn_on", "target": {"entity_id": LAMP}}],
}
CONTEXT = HomeContext(
    time_zone="Europe/Berlin",
    entities={
        LAMP: Entity(LAMP, "Reading lamp"),
        "light.porch": Entity("light.porch", "Porch light"),
    },
)


def _at(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    local = datetime.combine(FIRST_DAY + timedelta(days=day), datetime.min.time(), BERLIN)
    return local.replace(hour=hour, minute=minute, second=second).astimezone(UTC)


def _frame(rows: list[tuple[datetime, str, str, str | None, str]]) -> pl.DataFrame:
    raw = pl.DataFrame(
        [
            {"time": t, "entity_id": e, "state": s, "old_state": o, "origin": origin}
            for t, e, s, o, origin in rows
        ],
        schema={
            "time": pl.Datetime("us", "UTC"),
            "entity_id": pl.String(),
            "state": pl.String(),
            "old_state": pl.String(),
            "origin": pl.String(),
        },
    )
    return check_events(raw).frame


def _lamp_month(
    *,
    saturday_off_minute: int = 48,
    skip_days: frozenset[int] = frozenset(),
    by_hand_before: frozenset[int] = frozenset(),
) -> list[tuple[datetime, str, str, str | None, str]]:
    """The lamp on by the automation at 21:45 each day; off by hand, soon on Saturdays."""
    rows: list[tuple[datetime, str, str, str | None, str]] = []
    for day in range(DAYS):
        if day in by_hand_before:
            # the person switched it on before the automation: its fire changed nothing
            rows.append((_at(day, 21, 25), LAMP, "on", "off", "user"))
        elif day not in skip_days:
            rows.append((_at(day, 21, 45, 1), LAMP, "on", "off", "automation"))
        saturday = (FIRST_DAY + timedelta(days=day)).weekday() == 5
        off = _at(day, 21, saturday_off_minute) if saturday else _at(day, 23, 30)
        rows.append((off, LAMP, "off", "on", "user"))
    return rows


def _watch(rows: list[Any], config: dict[str, Any] = LAMP_ON, **settings: Any) -> Any:
    automation = WatchedAutomation(
        alias=str(config["alias"]),
        config=config,
        automation_id=str(config.get("id", "")) or None,
        entity_id="automation." + str(config["alias"]).lower().replace(" ", "_").replace(":", "_"),
        suggestion_id=7,
    )
    return watch_automation(
        _frame(rows),
        CONTEXT,
        automation,
        window_start=START,
        window_end=END,
        settings=WatchSettings(**settings),
    )


def test_each_fire_is_counted_and_the_saturday_reverts_are_named_with_their_times() -> None:
    watched = _watch(_lamp_month())

    assert watched.fires == DAYS
    assert watched.last_fired == _at(DAYS - 1, 21, 45, 1)
    assert len(watched.reverts) == 4
    assert {r.fired_at.astimezone(BERLIN).weekday() for r in watched.reverts} == {5}
    first = watched.reverts[0]
    assert first.fired_at == _at(5, 21, 45, 1)
    assert first.undone_at == _at(5, 21, 48)
    assert (first.set_to, first.back_to, first.entity_id) == ("on", "off", LAMP)
    assert watched.words.startswith("fired 28 times; undone 4 times, all on Saturdays")
    assert "usually 3 minutes after it" in watched.words
    assert watched.misses == ()
    assert watched.problems == ("keeps being undone: 4 of 28 fires undone by hand",)


def test_a_change_back_after_the_revert_minutes_is_no_revert() -> None:
    later = _watch(_lamp_month(saturday_off_minute=59))  # 14 minutes after: not undone
    assert later.reverts == ()
    assert later.words == "fired 28 times; never undone"

    wider = _watch(_lamp_month(saturday_off_minute=59), revert_minutes=15)
    assert len(wider.reverts) == 4


def test_doing_it_by_hand_before_it_fires_or_on_a_day_it_did_not_fire_is_a_miss() -> None:
    watched = _watch(_lamp_month(by_hand_before=frozenset({2, 9}), skip_days=frozenset({16})))

    assert watched.fires == DAYS - 3
    # day 16 it did not fire and nobody switched it on: nothing was missed that day
    assert watched.misses == (_at(2, 21, 25), _at(9, 21, 25))
    assert watched.words.endswith("; done by hand 2 times when it had not fired")


def test_a_person_switching_it_on_far_from_its_time_is_no_miss() -> None:
    rows = [*_lamp_month(), (_at(3, 7, 0), LAMP, "on", "off", "user")]
    rows.append((_at(3, 7, 30), LAMP, "off", "on", "user"))
    assert _watch(sorted(rows)).misses == ()


def test_reverts_spread_over_the_week_name_no_days() -> None:
    rows = []
    for day in range(DAYS):
        rows.append((_at(day, 21, 45, 1), LAMP, "on", "off", "automation"))
        off = _at(day, 21, 50) if day % 3 == 0 else _at(day, 23, 0)
        rows.append((off, LAMP, "off", "on", "user"))
    watched = _watch(rows)
    assert len(watched.reverts) == 10
    assert watched.words.startswith("fired 28 times; undone 10 times, usually")


def test_the_automation_entitys_own_rows_count_fires_that_changed_nothing() -> None:
    rows = _lamp_month(by_hand_before=frozenset({2}))
    entity = "automation.reading_lamp_on_at_21_45"
    for day in range(DAYS):
        # the firing writes the automation's state again (new last_triggered), and once more
        # when its run ends a moment later
        rows.append((_at(day, 21, 45, 0), entity, "on", "on", "automation"))
        rows.append((_at(day, 21, 45, 1), entity, "on", "on", "automation"))
    watched = _watch(sorted(rows))
    assert watched.fires == DAYS
    assert len(watched.reverts) == 4
    assert watched.misses == (_at(2, 21, 25),)


def test_the_owners_automation_that_never_fires_and_one_naming_a_removed_entity() -> None:
    never = ExistingAutomation(
        automation_id="porch_at_dusk",
        alias="Porch light at dusk",
        entity_id="automation.porch_light_at_dusk",
        triggers=({"trigger": "sun", "event": "sunset"},),
        actions=({"action": "light.turn_on", "target": {"entity_id": "light.porch"}},),
    )
    removed = ExistingAutomation(
        automation_id="old_lantern",
        alias="Lantern on motion",
        entity_id="automation.lantern_on_motion",
        triggers=({"trigger": "state", "entity_id": "binary_sensor.yard_motion", "to": "on"},),
        actions=({"action": "light.turn_on", "target": {"entity_id": "light.lantern"}},),
    )
    ours = ExistingAutomation(
        automation_id="homehabits_lamp", alias="Reading lamp on at 21:45", entity_id=None
    )
    context = HomeContext(
        time_zone="Europe/Berlin",
        entities=CONTEXT.entities,
        automations=(never, removed, ours),
    )
    owners = owner_automations(context, ["homehabits_lamp"])
    assert [a.automation_id for a in owners] == ["porch_at_dusk", "old_lantern"]

    frame = _frame(_lamp_month())
    found = {
        a.automation_id: watch_automation(frame, context, a, window_start=START, window_end=END)
        for a in owners
    }
    assert found["porch_at_dusk"].problems == ("never fired in 28 days",)
    assert found["porch_at_dusk"].words == "never fired in 28 days"
    lantern = found["old_lantern"]
    assert lantern.missing_entities == ("binary_sensor.yard_motion", "light.lantern")
    assert lantern.problems[0] == (
        "names entities the home no longer has: binary_sensor.yard_motion, light.lantern"
    )


def test_an_entity_unavailable_at_the_end_and_an_automation_turned_off_are_problems() -> None:
    rows = _lamp_month()
    rows.append((_at(DAYS - 1, 23, 50), LAMP, "unavailable", "off", "device"))
    entity = "automation.reading_lamp_on_at_21_45"
    rows.append((_at(DAYS - 1, 23, 55), entity, "off", "on", "user"))
    watched = _watch(sorted(rows))
    assert "names entities that are unavailable: light.reading_lamp" in watched.problems
    assert "is turned off in Home Assistant" in watched.problems


def test_undone_fewer_times_than_the_setting_is_no_problem() -> None:
    assert _watch(_lamp_month(), undone_at_least=5).problems == ()


def test_most_reverts_on_one_or_two_days_are_said_as_so_many_of_them() -> None:
    rows = []
    for day in range(DAYS):
        rows.append((_at(day, 21, 45, 1), LAMP, "on", "off", "automation"))
        weekend = (FIRST_DAY + timedelta(days=day)).weekday() >= 5
        off = _at(day, 21, 50) if weekend or day in (7, 8) else _at(day, 23, 30)
        rows.append((off, LAMP, "off", "on", "user"))
    watched = _watch(rows)
    assert len(watched.reverts) == 10
    assert watched.words.startswith("fired 28 times; undone 10 times, 8 of them at weekends")

    # a Monday and a Tuesday beside four Saturdays (and no Sundays at all): all on three days
    saturdays = [r for r in _lamp_month() if r[0].astimezone(BERLIN).weekday() != 6]
    for day in (7, 8):
        saturdays = [r for r in saturdays if r[0] != _at(day, 23, 30)]
        saturdays.append((_at(day, 21, 47), LAMP, "off", "on", "user"))
    few = _watch(sorted(saturdays))
    assert few.words.startswith(
        "fired 24 times; undone 6 times, all on Mondays, Tuesdays and Saturdays"
    )


def test_a_motion_automation_has_no_usual_time_so_nothing_is_a_miss() -> None:
    motion = {
        "alias": "Lamp on motion",
        "triggers": [{"trigger": "state", "entity_id": "binary_sensor.motion", "to": "on"}],
        "actions": [{"action": "light.turn_on", "target": {"entity_id": LAMP}}],
    }
    rows = []
    for day in range(DAYS):
        hour = 7 + (day * 5) % 15  # at a different hour each day
        rows.append((_at(day, hour, 0, 1), LAMP, "on", "off", "automation"))
        rows.append((_at(day, hour, 30), LAMP, "off", "on", "user"))
        rows.append((_at(day, (hour + 3) % 24, 0), LAMP, "on", "off", "user"))
        rows.append((_at(day, (hour + 3) % 24, 20), LAMP, "off", "on", "user"))
    watched = _watch(sorted(rows), motion)
    assert watched.fires == DAYS
    assert watched.misses == ()


def test_an_automation_acting_on_no_entity_cannot_be_watched_and_is_not_called_idle() -> None:
    notify = {
        "alias": "Tell me at 21:00",
        "triggers": [{"trigger": "time", "at": "21:00:00"}],
        "actions": [{"action": "notify.mobile_app_phone", "data": {"message": "hi"}}],
    }
    watched = _watch(_lamp_month(), notify)
    assert not watched.observable
    assert watched.words.startswith("cannot be watched")
    assert watched.problems == ()
