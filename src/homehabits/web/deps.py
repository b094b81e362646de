"""What the review page's routes need from the running service, as `Depends` aliases.

The app factory (homehabits.app) keeps the settings in `app.state.settings` and the running
service in `app.state.service`; the page reads only the parts it uses, named here.
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from homehabits.config import Settings
from homehabits.store.engine import Sessions

__all__ = ["AnalysisRunningDep", "SessionsDep", "SettingsDep"]


class _Runner(Protocol):
    @property
    def running(self) -> bool: ...


class _RunningService(Protocol):
    """The parts of the service the page uses."""

    @property
    def sessions(self) -> Sessions: ...

    @property
    def runner(self) -> _Runner: ...


def _service(request: Request) -> _RunningService:
    service: _RunningService = request.app.state.service
    return service


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _sessions(request: Request) -> Sessions:
    return _service(request).sessions


def _analysis_running(request: Request) -> bool:
    return _service(request).runner.running


SettingsDep = Annotated[Settings, Depends(_settings)]
SessionsDep = Annotated[Sessions, Depends(_sessions)]
#: Whether an analysis is running now (the page says so and disables its button).
AnalysisRunningDep = Annotated[bool, Depends(_analysis_running)]
