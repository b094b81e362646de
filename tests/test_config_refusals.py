"""Every invalid setting is refused at start-up, naming the setting and the reason."""

from __future__ import annotations

import pytest

from homehabits.config import load_settings
from homehabits.exceptions import ConfigError

# (variable, value, the name the message must show, a piece of the reason it must give)
INVALID_SETTINGS: list[tuple[str, str, str, str]] = [
    # numbers: wrong type, out of range, not finite
    ("HOMEHABITS_ANALYSIS_DAYS", "0", "HOMEHABITS_ANALYSIS_DAYS", "greater than or equal to 1"),
    ("HOMEHABITS_ANALYSIS_DAYS", "367", "HOMEHABITS_ANALYSIS_DAYS", "less than or equal to 366"),
    ("HOMEHABITS_ANALYSIS_DAYS", "thirty", "HOMEHABITS_ANALYSIS_DAYS", "valid integer"),
    ("HOMEHABITS_ANALYSIS_DAYS", "", "HOMEHABITS_ANALYSIS_DAYS", "valid integer"),
    ("HOMEHABITS_ANALYSIS_DAYS", "1.5", "HOMEHABITS_ANALYSIS_DAYS", "valid integer"),
    ("HOMEHABITS_REJECTED_DAYS", "-1", "HOMEHABITS_REJECTED_DAYS", "greater than or equal to 0"),
    ("HOMEHABITS_OPENAI_CONCURRENT_LIMIT", "0", "HOMEHABITS_OPENAI_CONCURRENT_LIMIT", "greater"),
    ("HOMEHABITS_OPENAI_CONCURRENT_LIMIT", "101", "HOMEHABITS_OPENAI_CONCURRENT_LIMIT", "less"),
    ("HOMEHABITS_OPENAI_TIMEOUT_SECONDS", "0", "HOMEHABITS_OPENAI_TIMEOUT_SECONDS", "greater"),
    ("HOMEHABITS_OPENAI_TIMEOUT_SECONDS", "inf", "HOMEHABITS_OPENAI_TIMEOUT_SECONDS", "finite"),
    ("HOMEHABITS_OPENAI_TIMEOUT_SECONDS", "nan", "HOMEHABITS_OPENAI_TIMEOUT_SECONDS", "finite"),
    (
        "HOMEHABITS_OPENAI_PHASE_DEADLINE_SECONDS",
        "-5",
        "HOMEHABITS_OPENAI_PHASE_DEADLINE",
        "greater",
    ),
    ("HOMEHABITS_OPENAI_MAX_RETRIES", "11", "HOMEHABITS_OPENAI_MAX_RETRIES", "less than"),
    ("HOMEHABITS_HA_TIMEOUT_SECONDS", "0", "HOMEHABITS_HA_TIMEOUT_SECONDS", "greater than 0"),
    ("HOMEHABITS_PORT", "0", "HOMEHABITS_PORT", "greater than or equal to 1"),
    ("HOMEHABITS_PORT", "65536", "HOMEHABITS_PORT", "less than or equal to 65535"),
    ("HOMEHABITS_PORT", "http", "HOMEHABITS_PORT", "valid integer"),
    ("HOMEHABITS_EVENTS_ASSUME_MANUAL", "maybe", "HOMEHABITS_EVENTS_ASSUME_MANUAL", "boolean"),
    # cron
    ("HOMEHABITS_SCHEDULE", "every night", "HOMEHABITS_SCHEDULE", "five fields"),
    ("HOMEHABITS_SCHEDULE", "", "HOMEHABITS_SCHEDULE", "five fields"),
    ("HOMEHABITS_SCHEDULE", "0 3 * * * *", "HOMEHABITS_SCHEDULE", "five fields"),
    ("HOMEHABITS_SCHEDULE", "61 3 * * *", "HOMEHABITS_SCHEDULE", "not a valid cron"),
    ("HOMEHABITS_SCHEDULE", "0 25 * * *", "HOMEHABITS_SCHEDULE", "not a valid cron"),
    ("HOMEHABITS_SCHEDULE", "0 3 32 * *", "HOMEHABITS_SCHEDULE", "not a valid cron"),
    ("HOMEHABITS_SCHEDULE", "0 3 * 13 *", "HOMEHABITS_SCHEDULE", "not a valid cron"),
    ("HOMEHABITS_SCHEDULE", "0 3 * * monday", "HOMEHABITS_SCHEDULE", "not a valid cron"),
    # time zones and the dialect
    ("HOMEHABITS_TIME_ZONE", "Mars/Olympus", "HOMEHABITS_TIME_ZONE", "unknown time zone"),
    ("HOMEHABITS_TIME_ZONE", "Europe/Berln", "HOMEHABITS_TIME_ZONE", "unknown time zone"),
    ("HOMEHABITS_TIME_ZONE", "../../etc/passwd", "HOMEHABITS_TIME_ZONE", "unknown time zone"),
    ("HOMEHABITS_TIME_ZONE", "+02:00", "HOMEHABITS_TIME_ZONE", "unknown time zone"),
    ("HOMEHABITS_DIALECT", "klingon", "HOMEHABITS_DIALECT", "'auto', 'modern' or 'legacy'"),
    ("HOMEHABITS_DIALECT", "", "HOMEHABITS_DIALECT", "'auto', 'modern' or 'legacy'"),
    # URLs
    ("HOMEHABITS_HA_URL", "homeassistant.local:8123", "HOMEHABITS_HA_URL", "http://"),
    ("HOMEHABITS_HA_URL", "http://", "HOMEHABITS_HA_URL", "names no host"),
    ("HOMEHABITS_HA_URL", "http://ha.local:99999", "HOMEHABITS_HA_URL", "not a valid URL"),
    ("HOMEHABITS_HA_URL", "http://home assistant.local", "HOMEHABITS_HA_URL", "not a valid URL"),
    ("HOMEHABITS_OPENAI_BASE_URL", "api.openai.com/v1", "HOMEHABITS_OPENAI_BASE_URL", "http"),
    ("HOMEHABITS_DATABASE_URL", "", "HOMEHABITS_DATABASE_URL", "not a database URL"),
    ("HOMEHABITS_DATABASE_URL", "./data/hh.db", "HOMEHABITS_DATABASE_URL", "not a database URL"),
    ("HOMEHABITS_DATABASE_URL", "mysql://u:pw@db/hh", "HOMEHABITS_DATABASE_URL", "postgresql://"),
    ("HOMEHABITS_DATABASE_URL", "postgresql://u@db:port/hh", "HOMEHABITS_DATABASE_URL", "port"),
    # secrets: placeholders and pasted-in blanks
    ("HOMEHABITS_API_TOKEN", "changeme", "HOMEHABITS_API_TOKEN", "placeholder"),
    ("HOMEHABITS_HA_TOKEN", "token", "HOMEHABITS_HA_TOKEN", "placeholder"),
    ("HOMEHABITS_OPENAI_API_KEY", "xxx", "HOMEHABITS_OPENAI_API_KEY", "placeholder"),
    ("HOMEHABITS_API_TOKEN", "abc def", "HOMEHABITS_API_TOKEN", "spaces"),
    # the bind address
    ("HOMEHABITS_HOST", "", "HOMEHABITS_HOST", "not an address"),
    ("HOMEHABITS_HOST", "0.0.0.0", "HOMEHABITS_HOST", "set HOMEHABITS_API_TOKEN"),
    # lists
    ("HOMEHABITS_SERVICE_USERS", '["Node-RED"', "HOMEHABITS_SERVICE_USERS", "not a JSON list"),
    ("HOMEHABITS_SERVICE_USERS", "[Node-RED]", "HOMEHABITS_SERVICE_USERS", "not a JSON list"),
    ("HOMEHABITS_SERVICE_USERS", '{"a": 1}', "HOMEHABITS_SERVICE_USERS", "JSON object"),
    ("HOMEHABITS_SERVICE_USERS", "[1, 2]", "HOMEHABITS_SERVICE_USERS", "valid string"),
    # dicts: JSON and its contents
    ("HOMEHABITS_OPENAI_PRICES", "cheap", "HOMEHABITS_OPENAI_PRICES", "not valid JSON"),
    ("HOMEHABITS_OPENAI_PRICES", '["m"]', "HOMEHABITS_OPENAI_PRICES", "JSON object"),
    ("HOMEHABITS_OPENAI_PRICES", '{"m": {"input": "x"}}', "HOMEHABITS_OPENAI_PRICES", "number"),
    ("HOMEHABITS_OPENAI_PRICES", '{"m": {"inptu": 1}}', "HOMEHABITS_OPENAI_PRICES", "not a price"),
    ("HOMEHABITS_OPENAI_PRICES", '{"m": {"input": -1}}', "HOMEHABITS_OPENAI_PRICES", "negative"),
    # heating limits, in °C
    ("HOMEHABITS_HEATING_MIN_C", "warm", "HOMEHABITS_HEATING_MIN_C", "valid number"),
    ("HOMEHABITS_HEATING_MIN_C", "25", "HOMEHABITS_HEATING_MIN_C", "below HOMEHABITS_HEATING_MAX"),
    ("HOMEHABITS_HEATING_MAX_C", "75", "HOMEHABITS_HEATING_MAX_C", "°C"),
    ("HOMEHABITS_HEATING_MIN_C", "-40", "HOMEHABITS_HEATING_MIN_C", "°C"),
    # mining thresholds and per-domain overrides
    ("HOMEHABITS_MINING__MIN_OCCURRENCES", "1", "HOMEHABITS_MINING__MIN_OCCURRENCES", "greater"),
    ("HOMEHABITS_MINING__MIN_ADHERENCE", "1.5", "HOMEHABITS_MINING__MIN_ADHERENCE", "less"),
    ("HOMEHABITS_MINING__MIN_CONFIDENCE", "-0.1", "HOMEHABITS_MINING__MIN_CONFIDENCE", "greater"),
    (
        "HOMEHABITS_MINING__SEQUENCE_MIN_LIFT",
        "1",
        "HOMEHABITS_MINING__SEQUENCE_MIN_LIFT",
        "greater",
    ),
    ("HOMEHABITS_MINING__MAX_SPREAD_MINUTES", "0", "HOMEHABITS_MINING__MAX_SPREAD", "greater"),
    ("HOMEHABITS_MINING", "nope", "HOMEHABITS_MINING", "not valid JSON"),
    ("HOMEHABITS_MINING", '{"min_occurences": 3}', "HOMEHABITS_MINING", "'min_occurrences'"),
    ("HOMEHABITS_MINING__PER_DOMAIN", "{cover", "HOMEHABITS_MINING__PER_DOMAIN", "not valid JSON"),
    (
        "HOMEHABITS_MINING__PER_DOMAIN",
        '{"covr": {"max_spread_minutes": 45}}',
        "HOMEHABITS_MINING__PER_DOMAIN",
        "did you mean 'cover'",
    ),
    (
        "HOMEHABITS_MINING__PER_DOMAIN",
        '{"cover": {"max_spred_minutes": 45}}',
        "HOMEHABITS_MINING__PER_DOMAIN",
        "did you mean 'max_spread_minutes'",
    ),
    (
        "HOMEHABITS_MINING__PER_DOMAIN",
        '{"cover": {"min_adherence": 2}}',
        "HOMEHABITS_MINING__PER_DOMAIN",
        "less than or equal to 1",
    ),
    (
        "HOMEHABITS_MINING__PER_DOMAIN",
        '{"cover": {"min_occurrences": 1}}',
        "HOMEHABITS_MINING__PER_DOMAIN",
        "greater than or equal to 2",
    ),
    ("HOMEHABITS_MINING__PER_DOMAIN", '{"cover": 45}', "HOMEHABITS_MINING__PER_DOMAIN", "dict"),
    (
        "HOMEHABITS_MINING__PER_DOMAIN__COVR__MAX_SPREAD_MINUTES",
        "45",
        "HOMEHABITS_MINING__PER_DOMAIN",
        "not a domain homehabits mines",
    ),
    # the source spec
    ("HOMEHABITS_SOURCE", "bogus:x", "HOMEHABITS_SOURCE", "use one of: demo"),
    ("HOMEHABITS_SOURCE", "", "HOMEHABITS_SOURCE", "unknown source"),
    ("HOMEHABITS_SOURCE", "ha_config:/config", "HOMEHABITS_SOURCE", "did you mean 'ha-config'"),
    ("HOMEHABITS_SOURCE", "recorder:", "HOMEHABITS_SOURCE", "needs a value"),
    ("HOMEHABITS_SOURCE", "recorder:/config/ha.db", "HOMEHABITS_SOURCE", "database URL"),
    ("HOMEHABITS_SOURCE", "recorder:oracle://u:pw@h/db", "HOMEHABITS_SOURCE", "database URL"),
    ("HOMEHABITS_SOURCE", "demo:abc", "HOMEHABITS_SOURCE", "whole number"),
    ("HOMEHABITS_SOURCE", "ha-config:", "HOMEHABITS_SOURCE", "needs a value"),
    ("HOMEHABITS_SOURCE", "events:", "HOMEHABITS_SOURCE", "needs a value"),
    ("HOMEHABITS_SOURCE", "ha-api", "HOMEHABITS_SOURCE", "needs HOMEHABITS_HA_URL"),
    # half a language model: silently no model before
    ("HOMEHABITS_OPENAI_MODEL", "gpt-4o-mini", "HOMEHABITS_OPENAI_MODEL", "OPENAI_BASE_URL is not"),
    ("HOMEHABITS_OPENAI_BASE_URL", "https://x.ai/v1", "HOMEHABITS_OPENAI_BASE_URL", "MODEL is not"),
    ("HOMEHABITS_OPENAI_API_KEY", "sk-abcdef", "HOMEHABITS_OPENAI_API_KEY", "no model"),
    # names that are no setting: silently dropped before
    ("HOMEHABITS_API_TOKN", "a-long-token", "HOMEHABITS_API_TOKN", "mean HOMEHABITS_API_TOKEN?"),
    ("HOMEHABITS_SERVICE_USER", "Node-RED", "HOMEHABITS_SERVICE_USER", "HOMEHABITS_SERVICE_USERS?"),
    ("HOMEHABIT_PORT", "8020", "HOMEHABIT_PORT", "did you mean HOMEHABITS_PORT?"),
    ("HOMEHABITS_DAYS", "14", "HOMEHABITS_DAYS", "HOMEHABITS_ANALYSIS_DAYS?"),
    (
        "HOMEHABITS_MINING__MIN_OCCURENCES",
        "3",
        "HOMEHABITS_MINING__MIN_OCCURENCES",
        "did you mean HOMEHABITS_MINING__MIN_OCCURRENCES?",
    ),
]

_SECRETS = {"HOMEHABITS_API_TOKEN", "HOMEHABITS_HA_TOKEN", "HOMEHABITS_OPENAI_API_KEY"}


@pytest.mark.parametrize(
    ("variable", "value", "named", "reason"),
    INVALID_SETTINGS,
    ids=[f"{variable}={value!r}" for variable, value, _, _ in INVALID_SETTINGS],
)
def test_an_invalid_setting_is_refused_with_its_name_and_reason(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str, reason: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as refused:
        load_settings()

    message = str(refused.value)
    assert named in message
    assert reason in message
    assert "\n" not in message
    if variable in _SECRETS and len(value) > 3:
        assert value not in message


def test_the_table_tries_every_kind_of_mistake() -> None:
    # the trial tried 57 invalid values; this table tries at least as many
    assert len(INVALID_SETTINGS) >= 57
    assert len({(variable, value) for variable, value, _, _ in INVALID_SETTINGS}) == len(
        INVALID_SETTINGS
    )


def test_a_recorder_password_never_shows_in_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEHABITS_SOURCE", "recorder:oracle://ha:hunter2@db/ha")
    monkeypatch.setenv("HOMEHABITS_DATABASE_URL", "mysql://hh:hunter3@db/hh")

    with pytest.raises(ConfigError) as refused:
        load_settings()

    assert "HOMEHABITS_SOURCE" in str(refused.value)
    assert "HOMEHABITS_DATABASE_URL" in str(refused.value)
    assert "hunter2" not in str(refused.value)
    assert "hunter3" not in str(refused.value)
