"""A missing local service skips its tests on a developer's machine and fails them in CI."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

__all__ = ["REQUIRE_SERVICES_VARIABLE", "missing_service", "services_required"]

#: Set to 1 by .ci/run: there, a test that cannot reach its service is a failure, not a skip.
#: (Not a HOMEHABITS_* name: the test suite clears those for every test.)
REQUIRE_SERVICES_VARIABLE = "REQUIRE_TEST_SERVICES"


def services_required() -> bool:
    """Whether every local service (PostgreSQL, MariaDB, Chromium, fixtures) must be there."""
    return os.environ.get(REQUIRE_SERVICES_VARIABLE, "").strip().lower() in {"1", "true", "yes"}


def missing_service(reason: str) -> NoReturn:
    """Skip the test for this reason, or fail it when the services are required."""
    if services_required():
        pytest.fail(f"{reason} ({REQUIRE_SERVICES_VARIABLE} is set: CI must not skip it)")
    pytest.skip(reason)
