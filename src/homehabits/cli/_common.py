"""What every command shares: the app, settings, the store, running async work, failing clearly."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine, Mapping
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from homehabits.config import Settings, load_settings
from homehabits.exceptions import HomeHabitsError, SourceError
from homehabits.store.records import SuggestionStatus

__all__ = [
    "SETTING_FLAGS",
    "app",
    "console",
    "err_console",
    "fail",
    "flags_of",
    "open_store",
    "run_async",
    "settings_with",
    "setup_logging",
    "status_named",
    "suggestions_app",
]

_T = TypeVar("_T")

app = typer.Typer(
    name="homehabits",
    help="Learn the habits of a Home Assistant home and propose them as automations.",
    no_args_is_help=True,
    add_completion=False,
)
suggestions_app = typer.Typer(help="Review the stored suggestions.", no_args_is_help=True)

err_console = Console(stderr=True)
console = Console()


#: The command-line flag each setting given on the command line comes from.
SETTING_FLAGS: dict[str, str] = {
    "analysis_days": "--days",
    "database_url": "--db",
    "time_zone": "--time-zone",
    "ha_url": "--ha-url",
    "ha_token": "--ha-token",
    "events_assume_manual": "--assume-manual",
    "host": "--host",
    "port": "--port",
}


def flags_of(overrides: Mapping[str, Any]) -> dict[str, str]:
    """The flag each setting given on the command line came from, for error messages."""
    return {name: SETTING_FLAGS.get(name, "--" + name.replace("_", "-")) for name in overrides}


def settings_with(**overrides: Any) -> Settings:
    """The settings, with the values given as flags; a mistake names the flag and exits."""
    try:
        return load_settings(flags=flags_of(overrides), **overrides)
    except HomeHabitsError as err:
        fail(str(err))


def status_named(status: str | None) -> SuggestionStatus | None:
    if status is None:
        return None
    try:
        return SuggestionStatus(status)
    except ValueError:
        known = ", ".join(s.value for s in SuggestionStatus)
        fail(f"unknown status {status!r}; use one of {known}")


class open_store:  # noqa: N801 - used as `async with open_store(settings)`
    """The homehabits database, migrated, for one command."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engine: Any = None

    async def __aenter__(self) -> Any:
        from homehabits.store.engine import make_engine, make_sessionmaker
        from homehabits.store.migrations import migrate

        self._engine = make_engine(self._settings.database_url)
        await migrate(self._engine)
        return make_sessionmaker(self._engine)

    async def __aexit__(self, *exc: object) -> None:
        if self._engine is not None:
            await self._engine.dispose()


def run_async(work: Coroutine[Any, Any, _T]) -> _T:
    try:
        return asyncio.run(work)
    except SourceError as err:
        fail(f"could not read the home: {err}")
    except HomeHabitsError as err:
        fail(str(err))


def fail(message: str) -> NoReturn:
    """Print the error (never wrapped mid-line, never read as markup) and exit with status 2."""
    # `x[red].csv` must be shown as it is; a message laid out in lines (a list of choices)
    # keeps them
    lines = "\n".join(line.rstrip() for line in message.strip().splitlines())
    err_console.print(f"[bold red]Error:[/bold red] {escape(lines)}", soft_wrap=True)
    raise typer.Exit(2)


def setup_logging(*, quiet: bool, job_speaks_for_itself: bool = False) -> None:
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if job_speaks_for_itself:
        # `analyze` shows the progress and says what went wrong; the job's log would repeat it
        logging.getLogger("homehabits.job").setLevel(logging.CRITICAL)
    for noisy in ("httpx", "httpcore", "alembic", "aiosqlite", "openai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
