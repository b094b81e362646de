"""The homehabits command line: thin commands over the same functions the API calls."""

from __future__ import annotations

# importing the command modules registers their commands, in the order `--help` lists them
from homehabits.cli import (
    addon,
    analysis,
    automations,
    check,
    fleet,
    prune,
    service,
    suggestions,
    versions,
)
from homehabits.cli._common import app, suggestions_app

__all__ = ["app", "main"]

app.add_typer(suggestions_app, name="suggestions")
_COMMAND_MODULES = (
    analysis,
    check,
    suggestions,
    versions,
    prune,
    automations,
    service,
    addon,
    fleet,
)


def main() -> None:
    """Entry point of the `homehabits` script."""
    app()
