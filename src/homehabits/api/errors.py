"""The API's error answers: which status each error gets, and how the OpenAPI document shows them."""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel

# starlette's own status names (fastapi.status re-exports them): HTTP_422_UNPROCESSABLE_CONTENT
# is starlette 0.48's, which is why starlette is a declared dependency
from starlette import status

from homehabits.exceptions import (
    AutomationCheckError,
    ConfigError,
    DeployError,
    DeployRefusedError,
    HomeAssistantError,
    HomeAssistantTimeoutError,
    HomeHabitsError,
    RunInProgressError,
    RunNotFoundError,
    SourceError,
    StatusChangeError,
    SuggestionNotFoundError,
    VersionNotFoundError,
)

__all__ = ["MAX_ROW_ID", "ErrorOut", "errors", "status_of_error"]

#: The largest id or offset a database row can have (a signed 64-bit integer).
MAX_ROW_ID: Final = 2**63 - 1

# Which HTTP status each kind of error gets; the first match in this order wins.
_STATUS_OF_ERROR: tuple[tuple[type[HomeHabitsError], int], ...] = (
    (SuggestionNotFoundError, status.HTTP_404_NOT_FOUND),
    (RunNotFoundError, status.HTTP_404_NOT_FOUND),
    (VersionNotFoundError, status.HTTP_404_NOT_FOUND),
    (StatusChangeError, status.HTTP_409_CONFLICT),
    (RunInProgressError, status.HTTP_409_CONFLICT),
    (AutomationCheckError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (DeployRefusedError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (HomeAssistantTimeoutError, status.HTTP_504_GATEWAY_TIMEOUT),
    (DeployError, status.HTTP_502_BAD_GATEWAY),
    (HomeAssistantError, status.HTTP_502_BAD_GATEWAY),
    (SourceError, status.HTTP_502_BAD_GATEWAY),
    (ConfigError, status.HTTP_503_SERVICE_UNAVAILABLE),
)

_MEANING: Final = {
    status.HTTP_400_BAD_REQUEST: "The body could not be read (not UTF-8 JSON).",
    status.HTTP_401_UNAUTHORIZED: "The API token is missing or wrong.",
    status.HTTP_404_NOT_FOUND: "No such suggestion, run or version.",
    status.HTTP_409_CONFLICT: "Not allowed in the current status, or an analysis is running.",
    status.HTTP_422_UNPROCESSABLE_CONTENT: (
        "The request, or the automation, was refused; the detail says why "
        "(Home Assistant's own reason when it rejected the config)."
    ),
    status.HTTP_502_BAD_GATEWAY: (
        "Home Assistant could not be reached, refused the token or answered badly."
    ),
    status.HTTP_503_SERVICE_UNAVAILABLE: "The service is not configured for this (e.g. no Home Assistant).",
    status.HTTP_504_GATEWAY_TIMEOUT: "Home Assistant did not answer in time.",
}


class ErrorOut(BaseModel):
    """An error answer: what went wrong, in words."""

    detail: str


def status_of_error(err: HomeHabitsError) -> int:
    """The HTTP status for an error: 422 when Home Assistant refused a config, 504 on its timeout."""
    refused = isinstance(err, DeployError | HomeAssistantError) and err.status == 400
    if refused:
        return status.HTTP_422_UNPROCESSABLE_CONTENT
    return next(
        (code for kind, code in _STATUS_OF_ERROR if isinstance(err, kind)),
        status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that can answer these error statuses."""
    answers: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        answer: dict[str, Any] = {"description": _MEANING[code]}
        if code != status.HTTP_422_UNPROCESSABLE_CONTENT:
            # FastAPI declares its own validation error body for 422; others are {"detail": ...}
            answer["model"] = ErrorOut
        answers[code] = answer
    return answers
