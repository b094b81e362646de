"""The domain table and the phrasing module: one consistent source for every other module."""

from __future__ import annotations

import pytest

from homehabits import domains, phrasing
from homehabits.domains import CATEGORIES, DOMAINS, Direction
from homehabits.events import ACTIONABLE_DOMAINS
from homehabits.safety import ALLOWED_DOMAINS, ALLOWED_SERVICES, SENSITIVE_DOMAINS


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_each_wished_state_has_one_service_and_it_is_the_domains_own(name: str) -> None:
    domain = DOMAINS[name]
    wished = [state for service in domain.services for state in service.wished_states]
    assert len(wished) == len(set(wished)), f"{name}: a state is written by two services"
    assert domain.category in CATEGORIES
    for setting in domain.settings:
        assert setting.service is None or domain.service(setting.service) is not None


def test_the_safety_rules_and_the_events_read_the_same_table() -> None:
    assert ACTIONABLE_DOMAINS == ALLOWED_DOMAINS == frozenset(DOMAINS)
    assert sorted(SENSITIVE_DOMAINS) == ["alarm_control_panel", "lock"]
    assert "unlock" not in ALLOWED_SERVICES["lock"]
    assert "alarm_disarm" not in ALLOWED_SERVICES["alarm_control_panel"]
    assert ALLOWED_SERVICES["cover"] == {
        "open_cover",
        "close_cover",
        "set_cover_position",
        "stop_cover",
    }


def test_both_directions_of_a_service_come_from_the_table() -> None:
    assert DOMAINS["media_player"].service_for("idle") == DOMAINS["media_player"].service("turn_on")
    assert domains.state_after("media_player.media_stop") == "idle"
    assert domains.state_after("climate.set_hvac_mode", {"hvac_mode": "heat"}) == "heat"
    # a domain the table does not hold is read by the service's name, or by its target's domain
    assert domains.state_after("homeassistant.turn_on", entity_id="light.kitchen") == "on"
    assert domains.direction_of("script.turn_on") is Direction.ON
    assert domains.direction_of("climate.set_hvac_mode", {"hvac_mode": "off"}) is Direction.OFF
    assert domains.direction_of("light.toggle") is Direction.ANY
    assert domains.direction_of("cover.stop_cover") is Direction.SET


def test_a_light_turned_on_carries_brightness_and_kelvin_from_mireds() -> None:
    service, data = DOMAINS["light"].call_for("on", {"brightness": "300", "color_temp": 250})

    assert (service, data) == ("turn_on", {"brightness_pct": 100, "color_temp_kelvin": 4000})


@pytest.mark.parametrize(
    ("seconds", "short", "spelled"),
    [
        (20, "20 s", "20 seconds"),
        (0.2, "0 s", "1 second"),
        (900, "15 min", "15 minutes"),
        (4500, "1 h 15 min", "75 minutes"),
        (5400, "1 h 30 min", "1 hour 30 minutes"),
        (7200, "2 h", "2 hours"),
    ],
)
def test_one_duration_formatter_keeps_each_callers_words(
    seconds: float, short: str, spelled: str
) -> None:
    assert phrasing.duration(seconds) == short
    assert phrasing.duration(seconds, spelled_out=True, hours_from_minutes=90) == spelled


def test_one_day_phrase_keeps_each_callers_words() -> None:
    assert phrasing.days_phrase((1, 3)) == "on Tuesdays and Thursdays"
    assert phrasing.days_phrase((1, 3), short=True) == "on Tue and Thu"
    assert phrasing.days_phrase((1, 3), short=True, joiner="+") == "on Tue+Thu"
    assert phrasing.days_phrase(phrasing.ALL_DAYS, every_day="") == ""
    assert phrasing.days_phrase((5, 6)) == "at weekends"
