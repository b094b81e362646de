"""The service fixtures of the API tests, for the watch's end-to-end tests."""

from __future__ import annotations

from tests.api.conftest import make_settings, start_service

__all__ = ["make_settings", "start_service"]
