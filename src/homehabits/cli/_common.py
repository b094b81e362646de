"""What every command shares: the app, settings, the store, running async work, failing clearly."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from homehabits.config import Settings, load_settings
from homehabits.exceptions import HomeHabitsError, SourceError
from homehabits.store.records import SuggestionStatus

__all__ = [
    "app",
    "console",
    "err_console",
    "fail",
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


def settings_with(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
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
    # the message quotes file names, values and Home Assistant's words: never Rich markup
    # (`x[red].csv` must stay `x[red].csv`)
    err_console.print(f"[bold red]Error:[/bold red] {escape(message)}")
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
