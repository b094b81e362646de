"""Settings: sensible defaults, and a bad value stops start-up naming the setting."""

from __future__ import annotations

import pytest

from homehabits.config import DEFAULT_DATABASE_URL, DialectSetting, load_settings
from homehabits.exceptions import ConfigError


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_need_no_configuration() -> None:
    settings = load_settings()

    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.analysis_days == 30
    assert settings.schedule == "0 3 * * *"
    assert settings.openai_concurrent_limit == 5
    assert settings.dialect is DialectSetting.AUTO
    assert settings.port == 8018
    assert not settings.model_enabled


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEHABITS_ANALYSIS_DAYS", "14")
    monkeypatch.setenv("HOMEHABITS_SERVICE_USERS", "Node-RED, AppDaemon")
    monkeypatch.setenv("HOMEHABITS_DIALECT", "legacy")
    monkeypatch.setenv("HOMEHABITS_MINING__MIN_OCCURRENCES", "7")

    settings = load_settings()

    assert settings.analysis_days == 14
    assert settings.service_users == ["Node-RED", "AppDaemon"]
    assert settings.dialect is DialectSetting.LEGACY
    assert settings.mining.min_occurrences == 7


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("HOMEHABITS_TIME_ZONE", "Mars/Olympus", "HOMEHABITS_TIME_ZONE"),
        ("HOMEHABITS_ANALYSIS_DAYS", "0", "HOMEHABITS_ANALYSIS_DAYS"),
        ("HOMEHABITS_SCHEDULE", "every night", "HOMEHABITS_SCHEDULE"),
        ("HOMEHABITS_DIALECT", "klingon", "HOMEHABITS_DIALECT"),
        ("HOMEHABITS_HA_URL", "homeassistant.local:8123", "HOMEHABITS_HA_URL"),
        ("HOMEHABITS_OPENAI_CONCURRENT_LIMIT", "0", "HOMEHABITS_OPENAI_CONCURRENT_LIMIT"),
        ("HOMEHABITS_API_TOKEN", "changeme", "HOMEHABITS_API_TOKEN"),
    ],
)
def test_bad_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_public_address_without_api_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="HOMEHABITS_API_TOKEN"):
        load_settings(host="0.0.0.0")

    assert load_settings(host="0.0.0.0", api_token="a-long-random-token").host == "0.0.0.0"


def test_secrets_do_not_show_in_the_settings_repr() -> None:
    settings = load_settings(ha_token="super-secret-ha-token", api_token="another-secret")

    assert "super-secret-ha-token" not in repr(settings)
    assert "another-secret" not in repr(settings)
