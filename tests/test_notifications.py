"""After a run with new suggestions, Home Assistant hears of it; a failure to tell is a warning."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from homehabits.config import Settings, load_settings
from homehabits.exceptions import ConfigError
from homehabits.job import AnalysisRunner
from homehabits.notifications import NOTIFICATION_ID, notification_words, notify_new_suggestions
from homehabits.sources.simulator import DemoSource, SimulationConfig
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.store.records import RunStatus
from tests.fakes.fake_home_assistant import FakeHomeAssistant

_TOKEN = "ha-token-for-notifications"


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}",
        ha_url="http://ha.local:8123",
        ha_token=_TOKEN,
        **overrides,
    )


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = make_engine(_settings(tmp_path).database_url)
    await migrate(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(scope="module")
def demo() -> DemoSource:
    return DemoSource(SimulationConfig())


def _runner(
    settings: Settings, sessions: Sessions, demo: DemoSource, home: FakeHomeAssistant
) -> AnalysisRunner:
    runner = AnalysisRunner(settings, sessions, lambda: demo)
    runner.ha_transport = home.transport()
    return runner


async def test_a_run_with_new_suggestions_leaves_one_persistent_notification_with_a_link(
    tmp_path: Path, sessions: Sessions, demo: DemoSource
) -> None:
    home = FakeHomeAssistant(token=_TOKEN)
    settings = _settings(tmp_path, public_url="http://homehabits.local:8018")

    result = await _runner(settings, sessions, demo, home).run("cli")

    created = result.run.summary.suggestions_created
    assert created > 1
    assert list(home.notifications) == [NOTIFICATION_ID]
    notification = home.notifications[NOTIFICATION_ID]
    assert notification["title"] == f"{created} new automation suggestions"
    assert "[Review them](http://homehabits.local:8018/)" in notification["message"]
    assert result.suggestions[0].title in notification["message"]
    assert result.run.summary.warnings == [] or all(
        "notify" not in w for w in result.run.summary.warnings
    )


async def test_the_next_notification_replaces_the_last_one(tmp_path: Path) -> None:
    home = FakeHomeAssistant(token=_TOKEN)
    settings = _settings(tmp_path)

    first = await notify_new_suggestions(settings, ["a", "b", "c"], transport=home.transport())
    second = await notify_new_suggestions(settings, ["d"], transport=home.transport())

    assert first == second == []
    assert list(home.notifications) == [NOTIFICATION_ID]
    assert home.notifications[NOTIFICATION_ID]["title"] == "1 new automation suggestion"
    assert "Review them" not in home.notifications[NOTIFICATION_ID]["message"]  # no public URL


async def test_a_notify_service_gets_the_same_words(tmp_path: Path) -> None:
    home = FakeHomeAssistant(token=_TOKEN)
    home.notify_services.add("mobile_app_pixel")
    settings = _settings(
        tmp_path, notify_service="notify.mobile_app_pixel", public_url="https://hh.example"
    )

    warnings = await notify_new_suggestions(settings, ["a", "b"], transport=home.transport())

    assert warnings == []
    (call,) = [c for c in home.service_calls if c[0] == "notify"]
    assert call[1] == "mobile_app_pixel"
    assert call[2]["title"] == "2 new automation suggestions"
    assert call[2]["data"]["url"] == "https://hh.example"


async def test_notifications_can_be_turned_off_and_need_home_assistant(tmp_path: Path) -> None:
    home = FakeHomeAssistant(token=_TOKEN)

    off = await notify_new_suggestions(
        _settings(tmp_path, notifications=False), ["a"], transport=home.transport()
    )
    unconfigured = await notify_new_suggestions(
        Settings(_env_file=None),
        ["a"],
        transport=home.transport(),  # type: ignore[call-arg]
    )

    assert off == unconfigured == []
    assert home.service_calls == []
    assert home.count("/api/services") == 0


async def test_nothing_new_means_no_notification(tmp_path: Path) -> None:
    home = FakeHomeAssistant(token=_TOKEN)

    assert await notify_new_suggestions(_settings(tmp_path), [], transport=home.transport()) == []
    assert home.count("/api/services") == 0


async def test_a_failure_to_notify_is_a_warning_on_the_run_never_a_failed_run(
    tmp_path: Path, sessions: Sessions, demo: DemoSource
) -> None:
    home = FakeHomeAssistant(token=_TOKEN)  # no notify service of that name: 400
    settings = _settings(tmp_path, notify_service="notify.mobile_app_gone")

    result = await _runner(settings, sessions, demo, home).run("cli")

    assert result.run.summary.status is RunStatus.SUCCEEDED
    assert NOTIFICATION_ID in home.notifications  # the persistent one still went out
    (warning,) = [w for w in result.run.summary.warnings if "notify" in w]
    assert "notify.mobile_app_gone" in warning
    assert "400" in warning


async def test_home_assistant_down_is_a_warning_too(tmp_path: Path) -> None:
    home = FakeHomeAssistant(token=_TOKEN)
    home.go_down()

    warnings = await notify_new_suggestions(_settings(tmp_path), ["a"], transport=home.transport())

    (warning,) = warnings
    assert "persistent_notification.create" in warning
    assert _TOKEN not in warning


def test_many_titles_are_summed_up() -> None:
    title, message = notification_words([f"habit {n}" for n in range(8)], None)

    assert title == "8 new automation suggestions"
    assert "- habit 4" in message
    assert "- habit 5" not in message
    assert "- and 3 more" in message


@pytest.mark.parametrize("bad", ["mobile_app_pixel", "notify.", "notify.Mobile App", "light.x"])
def test_a_notify_service_must_look_like_one(bad: str) -> None:
    with pytest.raises(ConfigError, match="HOMEHABITS_NOTIFY_SERVICE"):
        load_settings(
            notify_service=bad, ha_url="http://ha.local:8123", ha_token="a-real-token-1234"
        )


def test_a_notify_service_needs_home_assistant() -> None:
    with pytest.raises(ConfigError, match="HOMEHABITS_HA_URL"):
        load_settings(notify_service="notify.mobile_app_pixel")


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("mqtt_url", "http://127.0.0.1:1883"),
        ("mqtt_url", "mqtt://:1883"),
        ("mqtt_url", "mqtt://127.0.0.1:99999"),
        ("mqtt_discovery_prefix", "home/#"),
        ("mqtt_discovery_prefix", " "),
        ("public_url", "homehabits.local:8018"),
    ],
)
def test_mqtt_and_public_url_settings_are_checked(setting: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"HOMEHABITS_{setting.upper()}"):
        load_settings(**{setting: value})


def test_an_mqtt_password_is_never_shown() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(mqtt_url="mqtt://anna:hunter2pw@127.0.0.1:99999")

    assert "hunter2pw" not in str(refused.value)
