"""Settings: sensible defaults, and a bad value stops start-up naming the setting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from homehabits.config import (
    DEFAULT_DATABASE_URL,
    DialectSetting,
    load_settings,
    setting_names,
    settings_for_display,
)
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


@pytest.mark.parametrize(
    "written",
    [
        '["Node-RED", "AppDaemon"]',
        "Node-RED, AppDaemon",
        " Node-RED,AppDaemon, ",
        '["Node-RED","AppDaemon"]',
    ],
)
def test_service_users_are_read_as_a_json_list_or_comma_separated(
    monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    monkeypatch.setenv("HOMEHABITS_SERVICE_USERS", written)

    assert load_settings().service_users == ["Node-RED", "AppDaemon"]


def test_one_service_user_in_json_is_that_user_not_its_brackets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOMEHABITS_SERVICE_USERS", '["Node-RED"]')

    assert load_settings().service_users == ["Node-RED"]


def test_dict_settings_are_read_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "HOMEHABITS_OPENAI_PRICES", '{"gpt-4o-mini": {"input": 0.15, "output": 0.6}}'
    )
    monkeypatch.setenv("HOMEHABITS_MINING__PER_DOMAIN", '{"cover": {"max_spread_minutes": 45}}')

    settings = load_settings()

    assert settings.openai_prices == {"gpt-4o-mini": {"input": 0.15, "output": 0.6}}
    assert settings.mining.per_domain == {"cover": {"max_spread_minutes": 45}}


def test_a_per_domain_threshold_may_be_its_own_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEHABITS_MINING__PER_DOMAIN__COVER__MAX_SPREAD_MINUTES", "45")

    assert load_settings().mining.per_domain == {"cover": {"max_spread_minutes": 45}}


def test_every_real_setting_name_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    # every field and every nested mining and watch setting, as a variable: none is a typo
    known, _ = setting_names()
    nested = {
        "HOMEHABITS_MINING",
        "HOMEHABITS_RETENTION",
        "HOMEHABITS_WATCH",
        "HOMEHABITS_LEARNING",
    }
    defaults = settings_for_display(load_settings())
    assert set(defaults) == known - nested
    for name in known - nested:
        value = defaults[name]
        if value != "(not set)":
            monkeypatch.setenv(name, value)

    settings = load_settings()

    assert settings_for_display(settings) == defaults


def test_a_misspelt_variable_is_refused_with_the_nearest_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOMEHABITS_API_TOKN", "a-long-random-token")

    with pytest.raises(ConfigError, match=r"did you mean HOMEHABITS_API_TOKEN\?"):
        load_settings()


def test_a_misspelt_key_in_the_env_file_is_refused_with_the_nearest_name(
    tmp_path: Path,
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("OTHER_TOOL_SETTING=1\nHOMEHABITS_ANALYSIS_DAYZ=14\n")

    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=env_file)

    assert "HOMEHABITS_ANALYSIS_DAYZ" in str(refused.value)
    assert "did you mean HOMEHABITS_ANALYSIS_DAYS?" in str(refused.value)


def test_the_env_file_is_read_when_its_names_are_right(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text('HOMEHABITS_ANALYSIS_DAYS=14\nHOMEHABITS_SERVICE_USERS=["Node-RED"]\n')

    settings = load_settings(_env_file=env_file)

    assert settings.analysis_days == 14
    assert settings.service_users == ["Node-RED"]


def test_an_env_file_that_is_not_text_is_refused_by_its_name(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"HOMEHABITS_ANALYSIS_DAYS=\xff\xfe14\n")

    with pytest.raises(ConfigError, match=r"\.env"):
        load_settings(_env_file=env_file)


def test_a_value_from_a_flag_is_named_by_the_flag() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(flags={"analysis_days": "--days"}, analysis_days=0)

    assert "--days 0" in str(refused.value)
    assert "HOMEHABITS_ANALYSIS_DAYS" not in str(refused.value)


def test_a_value_from_the_environment_is_named_by_the_variable_beside_a_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOMEHABITS_TIME_ZONE", "Mars/Base")

    with pytest.raises(ConfigError) as refused:
        load_settings(flags={"analysis_days": "--days"}, analysis_days=14)

    assert "HOMEHABITS_TIME_ZONE" in str(refused.value)
    assert "--days" not in str(refused.value)


def test_heating_limits_must_be_in_order() -> None:
    with pytest.raises(ConfigError, match="HOMEHABITS_HEATING_MIN_C: 24 must be below"):
        load_settings(heating_min_c=24, heating_max_c=20)

    assert load_settings(heating_min_c=18, heating_max_c=22).heating_max_c == 22


@pytest.mark.parametrize("source", ["demo", "demo:7", "ha-config:/config", "events:x.csv"])
def test_good_source_specs_are_accepted(source: str) -> None:
    assert load_settings(source=source).source == source


def test_the_live_api_source_with_its_url_and_token_is_accepted() -> None:
    settings = load_settings(
        source="ha-api", ha_url="http://homeassistant.local:8123", ha_token="a-long-lived-token"
    )

    assert settings.source == "ha-api"


def test_a_bogus_source_is_refused_at_start_with_the_kinds() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(source="bogus:x")

    message = str(refused.value)
    assert "HOMEHABITS_SOURCE" in message
    for kind in ("demo", "ha-config:DIR", "recorder:URL", "ha-api", "events:FILE"):
        assert kind in message


def test_the_settings_for_display_hide_the_secrets() -> None:
    settings = load_settings(
        api_token="api-secret-1234",
        ha_token="ha-secret-5678",
        database_url="postgresql://homehabits:db-password@db/homehabits",
        service_users=["Node-RED"],
    )

    shown = settings_for_display(settings)

    assert shown["HOMEHABITS_API_TOKEN"] == "(set, hidden)"
    assert shown["HOMEHABITS_HA_TOKEN"] == "(set, hidden)"
    assert shown["HOMEHABITS_OPENAI_API_KEY"] == "(not set)"
    assert shown["HOMEHABITS_DATABASE_URL"] == "postgresql://homehabits:***@db/homehabits"
    assert shown["HOMEHABITS_SERVICE_USERS"] == '["Node-RED"]'
    assert shown["HOMEHABITS_MINING__MIN_OCCURRENCES"] == "5"
    text = " ".join(shown.values())
    assert "secret" not in text
    assert "db-password" not in text


def test_no_test_reads_the_machines_settings(tmp_path: Path) -> None:
    # the autouse fixture in tests/conftest.py: no HOMEHABITS_* variable, no .env file
    (tmp_path / ".env").write_text("HOMEHABITS_ANALYSIS_DAYS=3\n")

    assert not [name for name in os.environ if name.upper().startswith("HOMEHABITS_")]
    assert load_settings().analysis_days == 30
