"""Waiting in tests for what a user would see, never for a fixed time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["WAIT_SECONDS", "wait_until"]

#: How long a test waits for a condition before it fails.
WAIT_SECONDS = 10.0


async def wait_until(condition: Callable[[], object], what: str) -> None:
    """Return as soon as `condition()` holds; fail, saying `what`, after WAIT_SECONDS."""
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            # what is awaited (a reload in a fake's thread, a library's own state) has no
            # event to wait on, so the condition is checked on every short turn of the loop
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"not within {WAIT_SECONDS:g} s: {what}") from None
