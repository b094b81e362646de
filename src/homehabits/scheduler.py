"""The daily analysis: a cron schedule in the home's time zone that never overlaps a run."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from homehabits.config import Settings
from homehabits.exceptions import ConfigError, HomeHabitsError, RunInProgressError
from homehabits.job import AnalysisRunner
from homehabits.sources.base import Source

__all__ = [
    "MISFIRE_GRACE_SECONDS",
    "AnalysisScheduler",
    "home_time_zone",
    "schedule_trigger",
]

_LOGGER = logging.getLogger(__name__)

#: A run missed while the machine slept still happens if it wakes within this many seconds.
MISFIRE_GRACE_SECONDS = 3600

_JOB_ID = "daily-analysis"


def schedule_trigger(schedule: str, zone: ZoneInfo) -> CronTrigger:
    """The cron trigger of a five-field schedule, read in the home's time zone."""
    try:
        return CronTrigger.from_crontab(schedule, timezone=zone)
    except ValueError as err:
        raise ConfigError(f"HOMEHABITS_SCHEDULE: {schedule!r} is not a valid cron: {err}") from err


async def home_time_zone(settings: Settings, source_factory: Callable[[], Source]) -> ZoneInfo:
    """The home's time zone: the setting, else the home's own; UTC if neither can be read."""
    if settings.time_zone:
        return ZoneInfo(settings.time_zone)
    try:
        context = await source_factory().read_context()
        return ZoneInfo(context.time_zone)
    except Exception as err:  # the service must start even when the home cannot be read now
        _LOGGER.warning(
            "could not read the home's time zone (%s); the schedule runs in UTC "
            "(set HOMEHABITS_TIME_ZONE to choose)",
            err,
        )
        return ZoneInfo("UTC")


class AnalysisScheduler:
    """Starts `runner.run("schedule")` on the settings' cron, one run at a time."""

    def __init__(self, runner: AnalysisRunner, schedule: str, zone: ZoneInfo) -> None:
        self._runner = runner
        self._zone = zone
        self._trigger = schedule_trigger(schedule, zone)
        self._scheduler = AsyncIOScheduler(timezone=zone)
        self._scheduler.add_job(
            self.run_scheduled,
            self._trigger,
            id=_JOB_ID,
            name="daily analysis",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            replace_existing=True,
        )

    @property
    def zone(self) -> ZoneInfo:
        """The time zone the schedule is read in."""
        return self._zone

    @property
    def running(self) -> bool:
        """Whether the scheduler has been started and not stopped."""
        return bool(self._scheduler.running)

    def start(self) -> None:
        """Start the schedule (call from inside the running event loop)."""
        if not self._scheduler.running:
            self._scheduler.start()
            _LOGGER.info("daily analysis scheduled; next run at %s", self.next_run_time())

    def shutdown(self) -> None:
        """Stop the schedule; a run already going is left to the runner."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def next_run_time(self) -> datetime | None:
        """When the next scheduled run starts, in the home's time zone."""
        job = self._scheduler.get_job(_JOB_ID) if self._scheduler.running else None
        moment: datetime | None = getattr(job, "next_run_time", None) if job else None
        if moment is None:
            moment = self.next_run_after(datetime.now(self._zone))
        return moment.astimezone(self._zone) if moment else None

    def next_run_after(self, moment: datetime) -> datetime | None:
        """When the schedule next fires after an aware moment, in the home's time zone."""
        fire: datetime | None = self._trigger.get_next_fire_time(None, moment)
        return fire.astimezone(self._zone) if fire else None

    async def run_scheduled(self) -> None:
        """The scheduled job: run one analysis; a failure is logged and the schedule goes on."""
        try:
            result = await self._runner.run("schedule")
        except RunInProgressError:
            _LOGGER.warning("scheduled analysis skipped: another analysis is still running")
        except HomeHabitsError as err:
            # the runner has already recorded the run as failed
            _LOGGER.error("scheduled analysis failed: %s", err)
        except Exception:
            _LOGGER.exception("scheduled analysis crashed")
        else:
            _LOGGER.info(
                "scheduled analysis %s %s: %s suggestions",
                result.run.id,
                result.run.status.value,
                result.run.summary.suggestions_created,
            )
