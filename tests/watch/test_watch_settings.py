"""The watch's settings: read from the environment, refused with their names when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from homehabits.cli import app
from homehabits.config import load_settings
from homehabits.exceptions import ConfigError


def test_the_revert_minutes_and_the_others_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOMEHABITS_WATCH__REVERT_MINUTES", "4.5")
    monkeypatch.setenv("HOMEHABITS_WATCH__MISS_MINUTES", "30")
    monkeypatch.setenv("HOMEHABITS_WATCH__UNDONE_AT_LEAST", "5")

    watch = load_settings().watch

    assert (watch.revert_minutes, watch.miss_minutes, watch.undone_at_least) == (4.5, 30, 5)


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("HOMEHABITS_WATCH__REVERT_MINUTES", "0", "greater than 0"),
        ("HOMEHABITS_WATCH__REVERT_MINUTES", "ten", "valid number"),
        ("HOMEHABITS_WATCH__REVERT_MINUTES", "2000", "less than or equal to 1440"),
        ("HOMEHABITS_WATCH__MISS_MINUTES", "-5", "greater than 0"),
        ("HOMEHABITS_WATCH__UNDONE_AT_LEAST", "0", "greater than or equal to 1"),
    ],
)
def test_a_bad_watch_setting_is_refused_with_its_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, reason: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert variable in str(refused.value)
    assert reason in str(refused.value)


def test_a_misspelt_watch_setting_is_refused_with_the_right_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOMEHABITS_WATCH__REVERT_MINUTE", "5")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert "HOMEHABITS_WATCH__REVERT_MINUTE (environment) is not a setting" in str(refused.value)
    assert "HOMEHABITS_WATCH__REVERT_MINUTES" in str(refused.value)


def test_the_automations_command_has_help_and_the_readme_shows_it_and_the_settings() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    result = CliRunner().invoke(app, ["automations", "--help"])
    assert result.exit_code == 0
    assert "problems first" in result.output
    for shown in (
        "homehabits automations",
        "GET /api/automations",
        "track_record",
        "HOMEHABITS_WATCH__REVERT_MINUTES",
        "HOMEHABITS_WATCH__MISS_MINUTES",
        "HOMEHABITS_WATCH__UNDONE_AT_LEAST",
    ):
        assert shown in readme, f"README does not show {shown}"


def test_the_watch_settings_may_be_one_json_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEHABITS_WATCH", '{"revert_minutes": 3}')
    assert load_settings().watch.revert_minutes == 3

    monkeypatch.setenv("HOMEHABITS_WATCH", '{"revert_minute": 3}')
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert "HOMEHABITS_WATCH" in str(refused.value)
    assert "'revert_minute' is not a setting" in str(refused.value)
