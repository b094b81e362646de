"""Telling the home after a run: a persistent notification in Home Assistant, a notify service.

A run with new suggestions leaves one persistent notification ("3 new automation
suggestions", with a link to the review page when `HOMEHABITS_PUBLIC_URL` is set); the next
run replaces it, since it has the same `notification_id`. A `notify.*` service (the mobile
app) gets the same words when `HOMEHABITS_NOTIFY_SERVICE` names one. Nothing here fails a
run: what could not be sent comes back as warnings for the run record.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

import httpx

from homehabits.config import Settings
from homehabits.exceptions import HomeHabitsError
from homehabits.homeassistant import HomeAssistantClient

__all__ = ["NOTIFICATION_ID", "notification_words", "notify_new_suggestions"]

_LOGGER = logging.getLogger(__name__)

#: One notification of ours at a time: each run's replaces the last one's.
NOTIFICATION_ID: Final = "homehabits_new_suggestions"

_TITLES_SHOWN: Final = 5


def notification_words(titles: Sequence[str], public_url: str | None) -> tuple[str, str]:
    """The title and message (Markdown) for `titles`, newly suggested."""
    count = len(titles)
    title = f"{count} new automation suggestion{'s' if count != 1 else ''}"
    lines = [f"- {text}" for text in titles[:_TITLES_SHOWN]]
    if count > _TITLES_SHOWN:
        lines.append(f"- and {count - _TITLES_SHOWN} more")
    message = "homehabits found habits it can automate:\n\n" + "\n".join(lines)
    if public_url:
        message += f"\n\n[Review them]({public_url.rstrip('/')}/)"
    return title, message


async def notify_new_suggestions(
    settings: Settings,
    titles: Sequence[str],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[str]:
    """Tell Home Assistant about new suggestions; returns a warning for each call that failed."""
    url, token = settings.ha_url, settings.ha_token
    if not titles or not settings.notifications or not url or not token:
        return []
    title, message = notification_words(titles, settings.public_url)
    calls: list[tuple[str, str, dict[str, Any]]] = [
        (
            "persistent_notification",
            "create",
            {"notification_id": NOTIFICATION_ID, "title": title, "message": message},
        )
    ]
    if settings.notify_service:
        domain, service = settings.notify_service.split(".", 1)
        data: dict[str, Any] = {"title": title, "message": message}
        if settings.public_url:
            # the mobile app opens this address when the notification is tapped
            data["data"] = {"url": settings.public_url, "clickAction": settings.public_url}
        calls.append((domain, service, data))
    warnings: list[str] = []
    async with HomeAssistantClient(
        url,
        token,
        timeout=settings.ha_timeout_seconds,
        transport=transport,
        retries=1,
    ) as client:
        for domain, service, data in calls:
            try:
                await client.call_service(domain, service, data)
            except HomeHabitsError as err:
                warning = f"could not notify Home Assistant ({domain}.{service}): {err}"
                _LOGGER.warning("%s", warning)
                warnings.append(warning)
    return warnings
