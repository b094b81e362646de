"""Fixtures for every test: no setting leaks in from the machine that runs the tests."""

from __future__ import annotations

import os

import pytest

from homehabits.config import ENV_PREFIX, Settings


@pytest.fixture(autouse=True)
def _clean_homehabits_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clear every HOMEHABITS_* variable and read no .env file, so a test sees only its own."""
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.setitem(Settings.model_config, "env_file", None)
