"""Run the service with uvicorn on the configured address."""

from __future__ import annotations

import logging

import uvicorn

from homehabits.api.security import remember_secrets
from homehabits.app import create_app
from homehabits.config import Settings, is_loopback
from homehabits.exceptions import ConfigError

__all__ = ["serve"]

_LOGGER = logging.getLogger(__name__)


def serve(settings: Settings) -> None:
    """Serve the API, the review page and the daily analysis until interrupted."""
    # the settings refuse this already; a second look here costs nothing and guards callers
    # that build Settings with model_construct or change the host afterwards
    if not is_loopback(settings.host) and not settings.api_token:
        raise ConfigError(
            f"refusing to serve on {settings.host!r} without HOMEHABITS_API_TOKEN: "
            "anyone on the network could deploy automations into your home"
        )
    remember_secrets(settings)  # uvicorn logs from before the app starts, too
    app = create_app(settings)
    _LOGGER.info("homehabits on http://%s:%s (API docs at /docs)", settings.host, settings.port)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        proxy_headers=False,
        server_header=False,
        log_config=None,  # keep the logging homehabits set up
    )
