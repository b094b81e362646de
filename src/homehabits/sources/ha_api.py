"""A running Home Assistant as a source: its history and context over the REST/WebSocket API.

Where the cause of a change comes from. The history API (`/api/history/period`, and the
WebSocket `history/history_during_period`) gives states and attributes but no context; the
recorder's `context_user_id`/`context_parent_id` are only exposed through the **logbook**.
`GET /api/logbook/<start>?end_time=<end>` (Home Assistant's documented REST API) returns every
state change with `context_user_id` and, from the event that started its context,
`context_event_type`/`context_domain`/`context_entity_id`. The logbook finds that origin event
through the context id itself, so it also names the automation behind a change that an
automation fired by a time or sun trigger made (where user and parent ids are both empty).

So each day of the window is read with two requests: the logbook (what changed, when, and why)
and the history of the entities that matter (their attributes and the state before). They are
joined on entity and time. A change is classified, in this order:

1. `context_event_type` is `automation_triggered`/`script_started`, or `context_domain` or
   `context_entity_id` is an automation or a script → automation (a script a person started is
   still the script's doing, and suggesting it again as a habit would duplicate the script);
2. `context_user_id` set → service when that user is a configured service account (by id, or
   by name through the WebSocket user list), else user;
3. otherwise → device (a physical switch or an integration).

Without a logbook (it can be disabled) the changes come from the history alone, as `unknown`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import httpx
import polars as pl

from homehabits.context import Entity, ExistingAutomation, HomeContext, Location
from homehabits.events import ACTIONABLE_DOMAINS, Origin, check_events
from homehabits.homeassistant import (
    HaRegistries,
    HaState,
    HomeAssistantClient,
    LogbookEntry,
    WsConnect,
)
from homehabits.sources.base import EventRead
from homehabits.sources.registries import (
    areas_from_registry,
    automation_from_config,
    devices_from_registry,
    entities_from_registry,
    home_users,
    tidy_entity_name,
    users_from_auth,
)

__all__ = ["WATCHED_DOMAINS", "HomeAssistantApiSource"]

_LOGGER = logging.getLogger(__name__)

#: Domains whose history is read: what habits act on, and what they are triggered by.
WATCHED_DOMAINS: Final = ACTIONABLE_DOMAINS | frozenset(
    {"binary_sensor", "person", "device_tracker", "input_select"}
)

#: The attributes worth keeping with a state change.
_KEPT_ATTRIBUTES: Final = (
    "brightness",
    "color_temp",
    "color_temp_kelvin",
    "temperature",
    "target_temp_low",
    "target_temp_high",
    "current_position",
    "current_tilt_position",
    "percentage",
)

_AUTOMATION_EVENTS: Final = frozenset({"automation_triggered", "script_started"})
_AUTOMATION_DOMAINS: Final = frozenset({"automation", "script"})
_CHUNK: Final = timedelta(days=1)
_MAX_FILTER_CHARS: Final = 3000  # keeps a history URL well under aiohttp's 8 KiB line limit
_USER_ID_PATTERN: Final = re.compile(r"^[0-9a-f]{32}$")
_NO_LOGBOOK: Final = (
    "Home Assistant's logbook is not enabled, so what caused each change is unknown "
    "(add `logbook:` or `default_config:` to configuration.yaml)"
)


class HomeAssistantApiSource:
    """Reads a running Home Assistant through its API; it never changes anything there."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        service_users: Iterable[str] = (),
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        ws_connect: WsConnect | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        concurrency: int = 4,
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self._service_users = tuple(name.strip() for name in service_users if name.strip())
        self._timeout = timeout
        self._transport = transport
        self._ws_connect = ws_connect
        self._retries = retries
        self._backoff = backoff
        self._concurrency = max(1, concurrency)

    def __repr__(self) -> str:
        return f"HomeAssistantApiSource(url={self.url!r})"

    @property
    def description(self) -> str:
        """Where the data comes from (never the token)."""
        return f"Home Assistant at {self.url}"

    def default_window_end(self) -> datetime | None:
        """A live home's window ends now."""
        return None

    def client(self) -> HomeAssistantClient:
        """A client for this Home Assistant, to use as an async context manager."""
        return HomeAssistantClient(
            self.url,
            self._token,
            timeout=self._timeout,
            transport=self._transport,
            ws_connect=self._ws_connect,
            retries=self._retries,
            backoff=self._backoff,
        )

    async def read_context(self) -> HomeContext:
        """Config, registries, states, users and automations, in one bulk read each."""
        async with self.client() as ha:
            await ha.check()
            config, states = await asyncio.gather(ha.get_config(), ha.get_states())
            automation_states = [s for s in states if s.entity_id.startswith("automation.")]
            registries = await ha.read_registries(s.entity_id for s in automation_states)
        users = users_from_auth(registries.users or [])
        persons = [s for s in states if s.entity_id.startswith("person.")]
        person_entries = [
            {"user_id": p.attributes.get("user_id"), "name": p.attributes.get("friendly_name")}
            for p in persons
        ]
        location = None
        if config.latitude is not None and config.longitude is not None:
            location = Location(config.latitude, config.longitude, config.elevation or 0.0)
        return HomeContext(
            time_zone=config.time_zone,
            location=location,
            ha_version=config.version,
            name=config.location_name,
            entities=_entities(registries, states),
            devices=devices_from_registry(registries.devices),
            areas=areas_from_registry(registries.areas),
            automations=_automations(registries, automation_states),
            users=users,
            service_user_ids=self._service_user_ids(users, known=registries.users is not None),
            user_details=home_users(registries.users or [], person_entries),
            persons=tuple(p.friendly_name or p.entity_id.split(".", 1)[1] for p in persons),
            own_user_id=registries.token_user_id,
            temperature_unit=config.temperature_unit,
        )

    async def read_events(self, start: datetime, end: datetime, context: HomeContext) -> EventRead:
        """The state changes with start <= time < end, read one day at a time."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware datetimes")
        if end <= start:
            return EventRead(frame=check_events(_changes_frame([])).frame, rows_read=0)
        watched = sorted(e for e in context.entities if e.split(".", 1)[0] in WATCHED_DOMAINS)
        service_ids = context.service_user_ids | self._service_user_ids(context.users)
        gate = asyncio.Semaphore(self._concurrency)
        window_days = list(_days(start, end))
        total = len(window_days)
        finished = [False] * total
        reported = 0
        async with self.client() as ha:

            async def read_day(index: int) -> tuple[list[LogbookEntry] | None, list[HaState]]:
                nonlocal reported
                day_start, day_end = window_days[index]
                async with gate:
                    logbook = await ha.get_logbook(day_start, day_end)
                    history: list[HaState] = []
                    for batch in _batches(watched):
                        history += await ha.get_history(day_start, day_end, batch)
                # a month of history takes a while: say how far it has got, in date order
                # (days are read in parallel and finish in any order)
                finished[index] = True
                while reported < total and finished[reported]:
                    _LOGGER.info(
                        "Read %s: %d of %d days",
                        window_days[reported][0].date(),
                        reported + 1,
                        total,
                    )
                    reported += 1
                return logbook, history

            days = await asyncio.gather(*(read_day(index) for index in range(total)))

        warnings: list[str] = []
        history_rows = [row for _, history in days for row in _history_rows(history)]
        if any(logbook is None for logbook, _ in days):
            warnings.append(_NO_LOGBOOK)
            raw = _changes_from_history(_history_frame(history_rows), start, end)
        else:
            change_rows = [
                _change_row(entry, service_ids)
                for (logbook, _), (day_start, day_end) in zip(days, _days(start, end), strict=True)
                for entry in logbook or ()
                if _is_watched_change(entry) and day_start <= entry.when < day_end
            ]
            raw = _join_history(_changes_frame(change_rows), _history_frame(history_rows))
        checked = check_events(raw)
        _LOGGER.info(
            "Read %d state changes from %s in %d day(s)", checked.frame.height, self.url, len(days)
        )
        return EventRead(
            frame=checked.frame,
            rows_read=raw.height,
            rejected=checked.rejected,
            rejected_by_reason=checked.rejected_by_reason,
            warnings=tuple(warnings),
        )

    def _service_user_ids(self, users: Mapping[str, str], *, known: bool = True) -> frozenset[str]:
        """The ids of the configured service accounts, given by id or by name."""
        by_name = {name.casefold(): user_id for user_id, name in users.items()}
        found: set[str] = set()
        for wanted in self._service_users:
            if wanted in users or _USER_ID_PATTERN.match(wanted):
                found.add(wanted)
            elif wanted.casefold() in by_name:
                found.add(by_name[wanted.casefold()])
            elif known:
                _LOGGER.warning(
                    "Service user %r is not a user of Home Assistant at %s; give its id instead",
                    wanted,
                    self.url,
                )
        return frozenset(found)


def _entities(registries: HaRegistries, states: Sequence[HaState]) -> dict[str, Entity]:
    """Registry entities named as the UI names them, plus entities that only have a state."""
    entities = entities_from_registry(registries.entities, registries.devices)
    for state in states:
        attributes = state.attributes
        device_class = state.device_class
        known = entities.get(state.entity_id)
        name = state.friendly_name
        if known is None:
            entities[state.entity_id] = Entity(
                entity_id=state.entity_id,
                name=name or tidy_entity_name(state.entity_id),
                device_class=device_class,
                capabilities=_capabilities(attributes),
            )
            continue
        entities[state.entity_id] = Entity(
            entity_id=known.entity_id,
            name=name or known.name or tidy_entity_name(state.entity_id),
            area_id=known.area_id,
            device_id=known.device_id,
            device_class=known.device_class or device_class,
            platform=known.platform,
            capabilities=dict(known.capabilities) or _capabilities(attributes),
        )
    return entities


def _capabilities(attributes: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("supported_color_modes", "min_color_temp_kelvin", "max_color_temp_kelvin", "min_temp")
    return {key: attributes[key] for key in (*keys, "max_temp") if key in attributes}


def _automations(
    registries: HaRegistries, automation_states: Sequence[HaState]
) -> tuple[ExistingAutomation, ...]:
    """Every automation the home has; those without a readable config keep their name."""
    automations = []
    for state in automation_states:
        config = registries.automation_configs.get(state.entity_id)
        if config is not None:
            automations.append(automation_from_config(config, state.entity_id))
            continue
        automations.append(
            ExistingAutomation(
                automation_id=state.automation_id,
                alias=state.friendly_name or state.entity_id,
                entity_id=state.entity_id,
            )
        )
    return tuple(automations)


def _days(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    day_start = start
    while day_start < end:
        day_end = min(day_start + _CHUNK, end)
        yield day_start, day_end
        day_start = day_end


def _batches(entity_ids: Sequence[str]) -> Iterator[list[str]]:
    """Entity ids in groups whose comma-joined length fits in one URL."""
    batch: list[str] = []
    length = 0
    for entity_id in entity_ids:
        if batch and length + len(entity_id) + 1 > _MAX_FILTER_CHARS:
            yield batch
            batch, length = [], 0
        batch.append(entity_id)
        length += len(entity_id) + 1
    if batch:
        yield batch


def _is_watched_change(entry: LogbookEntry) -> bool:
    return (
        entry.entity_id is not None
        and entry.state is not None
        and entry.entity_id.split(".", 1)[0] in WATCHED_DOMAINS
    )


def _origin(entry: LogbookEntry, service_ids: frozenset[str]) -> Origin:
    """What caused a logbook state change (see the module docstring for the order)."""
    context_entity = entry.context_entity_id or ""
    if (
        entry.context_event_type in _AUTOMATION_EVENTS
        or entry.context_domain in _AUTOMATION_DOMAINS
        or context_entity.split(".", 1)[0] in _AUTOMATION_DOMAINS
    ):
        return Origin.AUTOMATION
    if entry.context_user_id:
        return Origin.SERVICE if entry.context_user_id in service_ids else Origin.USER
    return Origin.DEVICE


def _change_row(entry: LogbookEntry, service_ids: frozenset[str]) -> dict[str, Any]:
    return {
        "time": entry.when,
        "entity_id": entry.entity_id,
        "state": entry.state,
        "origin": _origin(entry, service_ids).value,
        "user_id": entry.context_user_id,
    }


def _history_rows(history: Iterable[HaState]) -> Iterator[dict[str, Any]]:
    for state in history:
        moment = state.last_updated or state.last_changed
        if moment is None or not state.entity_id:
            continue
        kept = {key: state.attributes[key] for key in _KEPT_ATTRIBUTES if key in state.attributes}
        yield {
            "time": moment,
            "entity_id": state.entity_id,
            "h_state": state.state,
            "attributes": json.dumps(kept, sort_keys=True) if kept else None,
        }


_CHANGE_SCHEMA: Final = {
    "time": pl.Datetime("us", "UTC"),
    "entity_id": pl.String(),
    "state": pl.String(),
    "origin": pl.String(),
    "user_id": pl.String(),
}
_HISTORY_SCHEMA: Final = {
    "time": pl.Datetime("us", "UTC"),
    "entity_id": pl.String(),
    "h_state": pl.String(),
    "attributes": pl.String(),
}


def _changes_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=_CHANGE_SCHEMA)


def _history_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=_HISTORY_SCHEMA)
    # Day chunks overlap at their edges (each starts with the state at its start).
    return frame.unique(subset=["entity_id", "time"], keep="last", maintain_order=True).sort(
        "entity_id", "time"
    )


def _join_history(changes: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """Each logbook change with its attributes and the state before, from the history."""
    changes = changes.sort("entity_id", "time")
    at_change = history.select("entity_id", "time", "attributes")
    before = history.select("entity_id", "time", pl.col("h_state").alias("history_before"))
    # Both frames are sorted by entity and time, which is what an asof join by entity needs.
    joined = changes.join_asof(
        at_change,
        on="time",
        by="entity_id",
        strategy="backward",
        tolerance=timedelta(seconds=1),
        check_sortedness=False,
    ).join_asof(
        before,
        on="time",
        by="entity_id",
        strategy="backward",
        allow_exact_matches=False,
        check_sortedness=False,
    )
    # Entities without history (not in the registry) still get the state before from the logbook;
    # their first change in the window has none, and is never counted as made by hand (see
    # event_cleaning). A restart's rows never get here: the logbook leaves out states without
    # one before them (seen on Home Assistant 2024.3 and 2026.2).
    return joined.with_columns(
        pl.coalesce(
            "history_before", pl.col("state").shift(1).over("entity_id", order_by="time")
        ).alias("old_state")
    ).drop("history_before")


def _changes_from_history(history: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """State changes seen in the history alone (no logbook): cause unknown."""
    previous = pl.col("h_state").shift(1).over("entity_id", order_by="time")
    return (
        history.with_columns(previous.alias("old_state"))
        .filter(
            pl.col("old_state").is_not_null()
            & (pl.col("h_state") != pl.col("old_state"))
            & pl.col("time").is_between(start, end, closed="left")
        )
        .select(
            "time",
            "entity_id",
            pl.col("h_state").alias("state"),
            "old_state",
            pl.lit(Origin.UNKNOWN.value).alias("origin"),
            pl.lit(None, dtype=pl.String()).alias("user_id"),
            "attributes",
        )
    )
