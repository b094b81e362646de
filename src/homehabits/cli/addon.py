"""`homehabits addon-run`: the service as the add-on (or its container image) starts it."""

from __future__ import annotations

from homehabits.cli._common import app, fail, setup_logging
from homehabits.exceptions import HomeHabitsError

__all__ = ["addon_run"]


@app.command("addon-run")
def addon_run() -> None:
    """Serve as the Home Assistant add-on (under the Supervisor) or its container image."""
    from homehabits.addon import settings_here
    from homehabits.api.server import serve as serve_app

    setup_logging(quiet=False)
    try:
        serve_app(settings_here())
    except HomeHabitsError as err:
        fail(str(err))
