"""The retention settings: defaults, nested variables, and a bad value named with its setting."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from homehabits.cli import app
from homehabits.config import load_settings
from homehabits.exceptions import ConfigError


@pytest.fixture(autouse=True)
def _no_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_by_default_90_days_are_kept_and_no_limit_by_count() -> None:
    retention = load_settings().retention

    assert (retention.keep_days, retention.keep_runs) == (90, 0)


def test_each_limit_is_a_variable_of_its_own_or_one_json_object(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOMEHABITS_RETENTION__KEEP_DAYS", "30")
    monkeypatch.setenv("HOMEHABITS_RETENTION__KEEP_RUNS", "12")
    assert load_settings().retention.keep_days == 30
    assert load_settings().retention.keep_runs == 12

    monkeypatch.delenv("HOMEHABITS_RETENTION__KEEP_DAYS")
    monkeypatch.delenv("HOMEHABITS_RETENTION__KEEP_RUNS")
    monkeypatch.setenv("HOMEHABITS_RETENTION", '{"keep_runs": 5}')
    assert (load_settings().retention.keep_days, load_settings().retention.keep_runs) == (90, 5)


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("HOMEHABITS_RETENTION__KEEP_DAYS", "-1", "HOMEHABITS_RETENTION__KEEP_DAYS='-1'"),
        ("HOMEHABITS_RETENTION__KEEP_RUNS", "many", "HOMEHABITS_RETENTION__KEEP_RUNS='many'"),
        ("HOMEHABITS_RETENTION__KEEP_RUN", "3", "did you mean HOMEHABITS_RETENTION__KEEP_RUNS?"),
        ("HOMEHABITS_RETENTION", '{"keep_day": 3}', "'keep_day' is not a setting; did you mean"),
        ("HOMEHABITS_RETENTION", "90", "HOMEHABITS_RETENTION"),
    ],
)
def test_a_bad_retention_setting_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert said in str(caught.value)


def test_prune_stops_on_a_bad_setting_before_touching_the_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("HOMEHABITS_RETENTION__KEEP_DAYS", "-5")

    result = CliRunner().invoke(app, ["prune", "--db", f"sqlite:///{tmp_path}/h.db"])

    assert result.exit_code == 2
    assert "HOMEHABITS_RETENTION__KEEP_DAYS" in result.stderr
    assert not (tmp_path / "h.db").exists()  # type: ignore[operator]
