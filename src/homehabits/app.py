"""The service's one app factory: the running service (database, analysis runner, schedule),
the API and the review page composed on one FastAPI app.

The API (homehabits.api) and the page (homehabits.web) know nothing of each other: both read
the settings from `app.state.settings` and the running service from `app.state.service`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from homehabits import __version__
from homehabits.access import IngressGate
from homehabits.api.app import include_api
from homehabits.api.deps import Service
from homehabits.api.home_assistant_status import HomeAssistantCheck
from homehabits.api.security import forget_secrets, remember_secrets
from homehabits.config import Settings, load_settings
from homehabits.job import AnalysisRunner
from homehabits.mqtt import MqttPublisher
from homehabits.scheduler import AnalysisScheduler
from homehabits.sources.base import Source
from homehabits.store import repository
from homehabits.store.engine import Sessions, make_engine, make_sessionmaker
from homehabits.store.migrate import migrate
from homehabits.web import include_review_page

__all__ = ["SourceFactory", "create_app"]

_LOGGER = logging.getLogger(__name__)

SourceFactory = Callable[[], Source]

_STOP_GRACE_SECONDS = 10.0


def create_app(
    settings: Settings | None = None,
    *,
    ha_transport: httpx.AsyncBaseTransport | None = None,
    source_factory: SourceFactory | None = None,
) -> FastAPI:
    """The homehabits service, API and review page; tests swap the I/O with the keywords."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        remember_secrets(settings)
        try:
            service = await _start_service(settings, ha_transport, source_factory)
        except BaseException:
            forget_secrets(settings)
            raise
        app.state.service = service
        try:
            yield
        finally:
            await _stop_service(service)
            forget_secrets(settings)

    app = FastAPI(
        title="homehabits",
        version=__version__,
        summary="Learns the habits of a Home Assistant home and proposes them as automations.",
        lifespan=lifespan,
        # /openapi.json and /docs are the API's own routes (api.docs): they follow ingress
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    include_api(app, settings)
    include_review_page(app)
    if settings.ingress:
        # outermost, so nothing else answers an address that is not the Supervisor's proxy
        app.add_middleware(IngressGate, proxy=settings.ingress_proxy)
    return app


async def _start_service(
    settings: Settings,
    ha_transport: httpx.AsyncBaseTransport | None,
    source_factory: SourceFactory | None,
) -> Service:
    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        sessions = make_sessionmaker(engine)
        # only runs no live process holds (an analysis of the CLI may be running beside us)
        abandoned = await repository.mark_abandoned_runs(sessions)
        if abandoned:
            _LOGGER.warning("%s analysis run(s) were abandoned by a stopped process", abandoned)
        factory = source_factory or _source_from_settings(settings)
        runner = AnalysisRunner(settings, sessions, factory)
        zone, fallback = await _schedule_zone(settings, factory)
        runner.ha_transport = ha_transport
        scheduler = AnalysisScheduler(runner, settings.schedule, zone)
        scheduler.start()
        mqtt = _mqtt_publisher(settings, runner, sessions)
    except BaseException:
        await engine.dispose()
        raise
    return Service(
        settings=settings,
        engine=engine,
        sessions=sessions,
        runner=runner,
        scheduler=scheduler,
        ha_transport=ha_transport,
        home_assistant=HomeAssistantCheck(settings, ha_transport),
        time_zone_fallback=fallback,
        mqtt=mqtt,
    )


def _mqtt_publisher(
    settings: Settings, runner: AnalysisRunner, sessions: Sessions
) -> MqttPublisher | None:
    """The MQTT entities' publisher, started, when a broker is configured."""
    if not settings.mqtt_url:
        return None
    publisher = MqttPublisher(settings, runner, sessions)
    publisher.start()  # connects in the background: a broker that is down never stops us
    return publisher


async def _schedule_zone(settings: Settings, factory: SourceFactory) -> tuple[ZoneInfo, str | None]:
    """The schedule's time zone, and why it is not the home's when it fell back to UTC."""
    if settings.time_zone:
        return ZoneInfo(settings.time_zone), None
    try:
        context = await factory().read_context()
        return ZoneInfo(context.time_zone), None
    except Exception as err:  # the service must start even when the home cannot be read now
        why = (
            f"the home's time zone could not be read ({err}); the schedule runs in UTC "
            "(set HOMEHABITS_TIME_ZONE to choose)"
        )
        _LOGGER.warning("%s", why)
        return ZoneInfo("UTC"), why


async def _stop_service(service: Service) -> None:
    service.scheduler.shutdown()
    if service.mqtt is not None:
        await service.mqtt.stop()
    try:
        # a run started over the API gets a moment to finish; after that it is cancelled
        # (awaiting it is what cancels it), and it records that it was stopped
        await asyncio.wait_for(service.runner.wait(), _STOP_GRACE_SECONDS)
    except Exception as err:
        _LOGGER.info("the running analysis was stopped with the service (%s)", type(err).__name__)
    await service.engine.dispose()


def _source_from_settings(settings: Settings) -> SourceFactory:
    from homehabits.sources.factory import source_from_spec

    def factory() -> Source:
        return source_from_spec(settings.source, settings)

    return factory
