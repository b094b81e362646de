"""The HTTP API on an app: its routers, their token check and error answers (see homehabits.app)."""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI, Request, status
from fastapi.responses import JSONResponse

from homehabits.api.docs import include_docs
from homehabits.api.errors import errors, status_of_error
from homehabits.api.routers import (
    analysis,
    automations,
    health,
    metrics,
    patterns,
    suggestions,
)
from homehabits.api.security import require_token
from homehabits.config import Settings
from homehabits.exceptions import HomeAssistantAuthError, HomeHabitsError

__all__ = ["include_api"]

_LOGGER = logging.getLogger(__name__)


def include_api(app: FastAPI, settings: Settings) -> None:
    """Add the API's routers (all but /health and the docs behind the token, when one is set)."""
    protected = [Depends(require_token)]
    include_docs(app)
    app.include_router(health.router)
    refused = errors(status.HTTP_401_UNAUTHORIZED) if settings.api_token else None
    for router in (
        metrics.router,
        analysis.router,
        patterns.router,
        suggestions.router,
        automations.router,
    ):
        app.include_router(router, dependencies=protected, responses=refused)
    app.add_exception_handler(HomeHabitsError, _error_response)  # type: ignore[arg-type]


async def _error_response(request: Request, err: HomeHabitsError) -> JSONResponse:
    code = status_of_error(err)
    detail = str(err)
    if isinstance(err, HomeAssistantAuthError):
        detail = (
            "Home Assistant refused the access token (HOMEHABITS_HA_TOKEN); "
            f"use a long-lived token of an administrator ({err})"
        )
    if code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        _LOGGER.warning("%s %s failed: %s", request.method, request.url.path, detail)
    return JSONResponse({"detail": detail}, status_code=code)
