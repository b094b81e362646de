"""What the routes need, as `Annotated[..., Depends(...)]` aliases over the running service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from homehabits.api.errors import MAX_ROW_ID
from homehabits.api.home_assistant_status import HomeAssistantCheck
from homehabits.config import Settings
from homehabits.job import AnalysisRunner
from homehabits.mqtt import MqttPublisher
from homehabits.scheduler import AnalysisScheduler
from homehabits.store.engine import Sessions

__all__ = [
    "HaTransportDep",
    "OffsetQuery",
    "RowIdPath",
    "RowIdQuery",
    "RunnerDep",
    "SchedulerDep",
    "Service",
    "SessionsDep",
    "SettingsDep",
    "service_of",
]


@dataclass(slots=True)
class Service:
    """The parts of the running service, built once by the app's lifespan."""

    settings: Settings
    engine: AsyncEngine
    sessions: Sessions
    runner: AnalysisRunner
    scheduler: AnalysisScheduler
    ha_transport: httpx.AsyncBaseTransport | None = None
    home_assistant: HomeAssistantCheck | None = None
    time_zone_fallback: str | None = None  # why the schedule is not in the home's time zone
    mqtt: MqttPublisher | None = None  # the MQTT entities, when a broker is configured


def service_of(request: Request) -> Service:
    """The running service of the app that received the request."""
    service: Service = request.app.state.service
    return service


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _sessions(request: Request) -> Sessions:
    return service_of(request).sessions


def _runner(request: Request) -> AnalysisRunner:
    return service_of(request).runner


def _scheduler(request: Request) -> AnalysisScheduler:
    return service_of(request).scheduler


def _ha_transport(request: Request) -> httpx.AsyncBaseTransport | None:
    return service_of(request).ha_transport


SettingsDep = Annotated[Settings, Depends(_settings)]
SessionsDep = Annotated[Sessions, Depends(_sessions)]
RunnerDep = Annotated[AnalysisRunner, Depends(_runner)]
SchedulerDep = Annotated[AnalysisScheduler, Depends(_scheduler)]
HaTransportDep = Annotated[httpx.AsyncBaseTransport | None, Depends(_ha_transport)]

#: A suggestion's or run's id in the path: a database row id, so at most a signed 64-bit integer.
RowIdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
#: A run's id as a query parameter.
RowIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="a run id")]
#: How many rows to skip: at most what a database row count can be.
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_ROW_ID)]
