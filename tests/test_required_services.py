"""A test whose local service is missing: skipped on a developer's machine, failed in CI."""

from __future__ import annotations

import pytest

from tests.required_services import REQUIRE_SERVICES_VARIABLE, missing_service


def test_a_missing_service_skips_where_services_are_not_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(REQUIRE_SERVICES_VARIABLE, raising=False)

    with pytest.raises(pytest.skip.Exception, match="PostgreSQL is down"):
        missing_service("PostgreSQL is down")


def test_a_missing_service_fails_the_test_where_ci_requires_services(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(REQUIRE_SERVICES_VARIABLE, "1")

    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is down"):
        missing_service("PostgreSQL is down")
