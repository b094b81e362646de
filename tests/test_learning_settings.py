"""HOMEHABITS_LEARNING__HALF_LIFE_DAYS: how fast the owner's decisions age, checked by name."""

from __future__ import annotations

import pytest

from homehabits.config import load_settings
from homehabits.exceptions import ConfigError


def test_the_half_life_defaults_to_180_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOMEHABITS_LEARNING__HALF_LIFE_DAYS", raising=False)

    assert load_settings(_env_file=None).learning.half_life_days == 180.0


def test_the_half_life_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEHABITS_LEARNING__HALF_LIFE_DAYS", "45")

    assert load_settings(_env_file=None).learning.half_life_days == 45.0


@pytest.mark.parametrize("value", ["0", "-3", "forever", "nan"])
def test_a_bad_half_life_names_the_setting(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("HOMEHABITS_LEARNING__HALF_LIFE_DAYS", value)

    with pytest.raises(ConfigError, match="HOMEHABITS_LEARNING__HALF_LIFE_DAYS"):
        load_settings(_env_file=None)


def test_a_misspelt_learning_setting_is_refused_with_the_right_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOMEHABITS_LEARNING__HALFLIFE_DAYS", "45")

    with pytest.raises(ConfigError, match="did you mean HOMEHABITS_LEARNING__HALF_LIFE_DAYS"):
        load_settings(_env_file=None)
