"""The errors this package raises when Home Assistant refuses the token or cannot be reached."""

from __future__ import annotations

import httpx

from homehabits.exceptions import (
    HomeAssistantAuthError,
    HomeAssistantTimeoutError,
    HomeAssistantUnreachableError,
)

__all__ = ["token_refused", "unreachable"]


def token_refused(url: str, status: int, said: str | None = None) -> HomeAssistantAuthError:
    """Home Assistant at `url` refused the token (401/403), and how to get a right one."""
    return HomeAssistantAuthError(
        f"Home Assistant refused the token ({status}) at {url} — create a long-lived "
        "access token in your profile",
        status=status,
        ha_message=said,
    )


def unreachable(url: str, err: BaseException, timeout: float) -> HomeAssistantUnreachableError:
    """Home Assistant at `url` gave no answer: timed out, or could not be connected to."""
    if isinstance(err, TimeoutError | httpx.TimeoutException):
        return HomeAssistantTimeoutError(
            f"Home Assistant at {url} did not answer within {timeout:g} s "
            "— check that it is running and not overloaded"
        )
    return HomeAssistantUnreachableError(
        f"Home Assistant at {url} could not be reached ({type(err).__name__}) "
        "— check the address, the port and that it is running"
    )
