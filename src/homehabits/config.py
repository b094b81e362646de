"""Settings, read from HOMEHABITS_* environment variables and an optional .env file."""

from __future__ import annotations

import difflib
import ipaddress
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, get_origin
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from homehabits.exceptions import ConfigError

__all__ = [
    "DEFAULT_DATABASE_URL",
    "ENV_PREFIX",
    "HEATING_RANGE_C",
    "INGRESS_PROXY",
    "SECRET_SETTINGS",
    "Dialect",
    "DialectSetting",
    "LearningSettings",
    "MiningSettings",
    "RetentionSettings",
    "Settings",
    "WatchSettings",
    "WriterChoice",
    "is_loopback",
    "load_settings",
    "setting_names",
    "settings_for_display",
]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/homehabits.db"
ENV_PREFIX = "HOMEHABITS_"
#: The settings whose values never appear in a message, a log or `homehabits check`.
SECRET_SETTINGS = frozenset({"api_token", "ha_token", "openai_api_key"})
#: The address the Supervisor's ingress proxy connects from, inside the hassio network.
INGRESS_PROXY = "172.30.32.2"
#: Heating limits outside this range (°C) are a typo, or a value meant in °F.
HEATING_RANGE_C = (5.0, 35.0)

_PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "changethis", "secret", "token", "xxx", "...", "<token>"}
)
_DATABASE_BACKENDS = frozenset({"sqlite", "postgresql", "postgres"})
_NOTIFY_SERVICE = re.compile(r"notify\.[a-z0-9_]+")


class DialectSetting(StrEnum):
    """Which automation dialect to write: chosen from the Home Assistant version, or forced."""

    AUTO = "auto"
    MODERN = "modern"
    LEGACY = "legacy"


class WriterChoice(StrEnum):
    """Who writes the words of a suggestion."""

    AUTO = "auto"  # the OpenAI-compatible model when one is configured, else the template
    TEMPLATE = "template"
    OPENAI = "openai"
    AI_TASK = "ai_task"  # Home Assistant's own AI Task (2025.8 and later)


_AI_TASK_ENTITY = re.compile(r"ai_task\.[a-z0-9_]+")


class Dialect(StrEnum):
    """An automation dialect Home Assistant speaks."""

    MODERN = "modern"  # 2024.10 and later: triggers/trigger, conditions, actions/action
    LEGACY = "legacy"  # before: trigger/platform, condition, action/service


def _bad(setting: str, reason: str) -> PydanticCustomError:
    """A validation error that names its setting (a field path such as `mining__per_domain`)."""
    return PydanticCustomError("bad_setting", "{reason}", {"setting": setting, "reason": reason})


def _decode_text(setting: str, value: Any, annotation: Any) -> Any:
    """A list, dict or nested model written as text: JSON, or (lists only) comma-separated."""
    if not isinstance(value, str):
        return value
    origin = get_origin(annotation) or annotation
    text = value.strip()
    if origin is list:
        if text.startswith("{"):
            raise _bad(setting, f'{value!r} is a JSON object; a list is written ["a", "b"] or a,b')
        if not text.startswith("["):
            return [part.strip() for part in text.split(",") if part.strip()]
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError as err:
            raise _bad(
                setting,
                f"{value!r} is not a JSON list ({err.msg}); write it as "
                '["Node-RED", "AppDaemon"] or as Node-RED,AppDaemon',
            ) from err
        if not isinstance(decoded, list):
            raise _bad(setting, f"{value!r} is not a list")
        return decoded
    is_mapping = origin is dict or (isinstance(origin, type) and issubclass(origin, BaseModel))
    if not is_mapping:
        return value
    if not text:
        return {}
    try:
        decoded = json.loads(text)
    except json.JSONDecodeError as err:
        raise _bad(
            setting, f"is not valid JSON ({err.msg} at column {err.colno}): {value!r}"
        ) from err
    if not isinstance(decoded, dict):
        raise _bad(setting, f"must be a JSON object {{...}}, not {value!r}")
    return decoded


def _decode_fields(model: type[BaseModel], data: Any, path: str = "") -> Any:
    if not isinstance(data, dict):
        return data
    decoded = dict(data)
    for name, field in model.model_fields.items():
        if name in decoded:
            decoded[name] = _decode_text(f"{path}{name}", decoded[name], field.annotation)
    return decoded


class MiningSettings(BaseModel):
    """Thresholds for habit mining; defaults work for a typical home."""

    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")

    # the least evidence for any habit, counted in distinct local days on which the person did
    # it (not in events: a switch that bounces ten times one morning is one day); the name
    # stays as it was, since renaming a setting breaks the users' configuration
    min_occurrences: int = Field(default=5, ge=2)
    min_adherence: float = Field(default=0.6, gt=0, le=1)
    min_confidence: float = Field(default=0.5, ge=0, le=1)
    max_spread_minutes: float = Field(default=30.0, gt=0)
    sequence_max_lag_seconds: float = Field(default=300.0, gt=0)
    sequence_min_lift: float = Field(default=3.0, gt=1)
    # a timer's steady durations spread at most this share of their length: sessions spread
    # evenly over 40 to 110 minutes (ratio about 0.35) are as variable as sessions are
    auto_off_max_spread_ratio: float = Field(default=0.3, gt=0)
    override_max_revert_seconds: float = Field(default=1800.0, gt=0)
    presence_max_lag_seconds: float = Field(default=1200.0, gt=0)
    # a clock habit must be this many times denser than the entity's actions spread evenly
    time_min_contrast: float = Field(default=3.0, ge=1)
    # sun beats clock when the sun offset's spread is below this share of the clock spread
    sun_spread_ratio: float = Field(default=0.7, gt=0, le=1)
    sun_min_shift_minutes: float = Field(default=20.0, ge=0)
    auto_off_motion_max_lag_seconds: float = Field(default=3600.0, gt=0)
    # beyond this, "off again after a while" is a clock habit or chance, not a timer
    auto_off_max_duration_seconds: float = Field(default=5400.0, gt=0)
    presence_min_lift: float = Field(default=2.0, ge=1)
    # a change undone within this many seconds (contact bounce, crosstalk) is no action; 0: off
    debounce_seconds: float = Field(default=3.0, ge=0, le=60)
    per_domain: dict[str, dict[str, float]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _decode_json_text(cls, data: Any) -> Any:
        return _decode_fields(cls, data, "mining__")


class RetentionSettings(BaseModel):
    """How long the analyses' records are kept; what the owner decided is never pruned."""

    model_config = ConfigDict(extra="forbid")

    # runs (and their habits), rejected and retired suggestions and earlier versions older
    # than this many days are pruned; 0: no limit by age
    keep_days: int = Field(default=90, ge=0, le=36500)
    # at most this many runs are kept (the newest); 0: no limit by count
    keep_runs: int = Field(default=0, ge=0, le=1_000_000)

    @model_validator(mode="before")
    @classmethod
    def _decode_json_text(cls, data: Any) -> Any:
        return _decode_fields(cls, data, "retention__")


class LearningSettings(BaseModel):
    """How the owner's decisions weigh the ranking: older ones count less."""

    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")

    # a decision's weight halves every this many days (an approval a year ago says less
    # about the owner's taste today than one last week)
    half_life_days: float = Field(default=180.0, gt=0, le=36500)

    @model_validator(mode="before")
    @classmethod
    def _decode_json_text(cls, data: Any) -> Any:
        return _decode_fields(cls, data, "learning__")


class WatchSettings(BaseModel):
    """How deployed automations and the owner's own are watched after each run."""

    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")

    # a person setting a target back this soon after the automation changed it undid it
    revert_minutes: float = Field(default=10.0, gt=0, le=1440)
    # doing by hand what the automation does, this close to its usual time with no fire
    # around it, is a miss
    miss_minutes: float = Field(default=60.0, gt=0, le=720)
    # one of the owner's automations undone this many times is listed as one people undo
    undone_at_least: int = Field(default=3, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _decode_json_text(cls, data: Any) -> Any:
        return _decode_fields(cls, data, "watch__")


class Settings(BaseSettings):
    """All settings of homehabits; every field is HOMEHABITS_<NAME> in the environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        # lists, dicts and nested settings are decoded by _decode_json_text, with messages
        enable_decoding=False,
        allow_inf_nan=False,
        # unknown names are refused with a suggestion by load_settings, before this runs
        extra="ignore",
    )

    # storage
    database_url: str = DEFAULT_DATABASE_URL

    # the home and the analysis
    # demo | ha-config:DIR | recorder:URL | ha-api | events:FILE; None: none chosen (refused)
    source: str | None = None
    time_zone: str | None = None  # None: the home's own (from its context)
    # where the home is, for sun habits; None: the home's own (from its context)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    analysis_days: int = Field(default=30, ge=1, le=366)
    schedule: str = "0 3 * * *"
    service_users: list[str] = Field(default_factory=list)
    # event files without an origin column (History "Download data"): take changes as manual
    events_assume_manual: bool = False
    rejected_days: int = Field(default=90, ge=0, le=36500)
    mining: MiningSettings = Field(default_factory=MiningSettings)
    watch: WatchSettings = Field(default_factory=WatchSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    learning: LearningSettings = Field(default_factory=LearningSettings)

    # automations
    dialect: DialectSetting = DialectSetting.AUTO
    heating_min_c: float = 16.0
    heating_max_c: float = 24.0

    # who writes the words: auto (the model when configured) | template | openai | ai_task
    writer: WriterChoice = WriterChoice.AUTO
    # the AI Task entity for ai_task words; None: the one preferred in Home Assistant
    ai_task_entity: str | None = None

    # language model (off unless base_url/api_key/model are set)
    openai_base_url: str | None = None
    openai_api_key: str | None = Field(default=None, repr=False)
    openai_model: str | None = None
    openai_concurrent_limit: int = Field(default=5, ge=1, le=100)
    openai_timeout_seconds: float = Field(default=30.0, gt=0)
    openai_phase_deadline_seconds: float = Field(default=300.0, gt=0)
    # the OpenAI SDK's own retries (408/409/429/5xx, lost connections; Retry-After honoured)
    openai_max_retries: int = Field(default=3, ge=0, le=10)
    # price per million tokens, per model: {"gpt-4o-mini": {"input": 0.15, "output": 0.6}}
    openai_prices: dict[str, dict[str, float]] = Field(default_factory=dict)

    # Home Assistant (live API and deploy)
    ha_url: str | None = None
    ha_token: str | None = Field(default=None, repr=False)
    ha_timeout_seconds: float = Field(default=30.0, gt=0)

    # telling the home: a persistent notification after a run with new suggestions (on when
    # Home Assistant is configured), a notify.* service too, and MQTT discovery entities
    notifications: bool = True
    notify_service: str | None = None  # e.g. notify.mobile_app_pixel
    public_url: str | None = None  # the review page's address, linked from the notification
    mqtt_url: str | None = Field(default=None, repr=False)  # mqtt://user:pass@host:1883
    mqtt_discovery_prefix: str = "homeassistant"

    # the service
    host: str = "127.0.0.1"
    port: int = Field(default=8018, ge=1, le=65535)
    api_token: str | None = Field(default=None, repr=False)

    # behind Home Assistant's ingress (the add-on sets it): only the Supervisor's proxy may
    # connect, the page lives under its X-Ingress-Path and the user comes from its headers
    ingress: bool = False
    ingress_proxy: str = INGRESS_PROXY

    @model_validator(mode="before")
    @classmethod
    def _decode_json_text(cls, data: Any) -> Any:
        return _decode_fields(cls, data)

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
            ) from err
        return value

    @field_validator("schedule")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        if len(value.split()) != 5:
            raise ValueError(f"{value!r} is not a cron expression of five fields, e.g. '0 3 * * *'")
        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as err:
            raise ValueError(f"{value!r} is not a valid cron expression: {err}") from err
        return value

    @field_validator("service_users")
    @classmethod
    def _names_without_blanks(cls, value: list[str]) -> list[str]:
        return [name.strip() for name in value if name.strip()]

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        backend = value.partition("://")[0].split("+", 1)[0].lower() if "://" in value else ""
        if backend not in _DATABASE_BACKENDS:
            raise ValueError(
                f"{_masked_url(value)!r} is not a database URL homehabits can use: "
                "use sqlite:///path/to/file.db or postgresql://user:password@host/database"
            )
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except (ArgumentError, ValueError) as err:
            raise ValueError(f"{_masked_url(value)!r} is not a readable URL: {err}") from err
        return value

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from homehabits.sources.factory import parse_source_spec

        try:
            parse_source_spec(value)
        except ConfigError as err:
            raise ValueError(str(err)) from err
        return value.strip()

    @field_validator("ha_url", "openai_base_url", "public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} must start with http:// or https://")
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - reading it checks the port
        except ValueError as err:
            raise ValueError(f"{value!r} is not a valid URL: {err}") from err
        if not parts.hostname or any(c.isspace() for c in value):
            raise ValueError(f"{value!r} is not a valid URL: it names no host")
        return value.rstrip("/")

    @field_validator("notify_service")
    @classmethod
    def _notify_service(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        if not _NOTIFY_SERVICE.fullmatch(value.strip()):
            raise ValueError(
                f"{value!r} is not a notify service: write notify.<name>, "
                "e.g. notify.mobile_app_pixel (Developer tools → Actions lists them)"
            )
        return value.strip()

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        shown = _masked_url(value)
        if not value.startswith(("mqtt://", "mqtts://")):
            raise ValueError(f"{shown!r} must start with mqtt:// or mqtts:// (TLS)")
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - reading it checks the port
        except ValueError as err:
            raise ValueError(f"{shown!r} is not a valid URL: {_masked_url(str(err))}") from err
        if not parts.hostname or any(c.isspace() for c in value):
            raise ValueError(f"{shown!r} is not a valid URL: it names no host")
        if parts.path not in ("", "/") or parts.query:
            raise ValueError(
                f"{shown!r} names a path; give only mqtt://[user:password@]host[:port]"
            )
        return value

    @field_validator("mqtt_discovery_prefix")
    @classmethod
    def _topic_prefix(cls, value: str) -> str:
        prefix = value.strip().strip("/")
        if not prefix or any(c in prefix for c in "#+") or any(c.isspace() for c in prefix):
            raise ValueError(
                f"{value!r} is not an MQTT topic prefix (no spaces, # or +; "
                "Home Assistant's default is homeassistant)"
            )
        return prefix

    @field_validator("openai_prices")
    @classmethod
    def _prices_per_million(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for model, prices in value.items():
            unknown = sorted(set(prices) - {"input", "output"})
            if unknown:
                raise ValueError(
                    f"{model}: {', '.join(unknown)} is not a price; give "
                    '{"input": …, "output": …} per million tokens'
                )
            negative = [kind for kind, price in prices.items() if price < 0]
            if negative:
                raise ValueError(f"{model}: the {negative[0]} price is negative")
        return value

    @field_validator("ai_task_entity")
    @classmethod
    def _ai_task_entity(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        if not _AI_TASK_ENTITY.fullmatch(value.strip()):
            raise ValueError(
                f"{value!r} is not an AI Task entity: write it as ai_task.<name>, e.g. "
                "ai_task.openai (Settings → Devices & services → Entities in Home Assistant)"
            )
        return value.strip()

    @field_validator("openai_model")
    @classmethod
    def _optional_text(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        return value.strip()

    @field_validator("host")
    @classmethod
    def _bind_address(cls, value: str) -> str:
        if not value.strip() or any(c.isspace() for c in value.strip()):
            raise ValueError(f"{value!r} is not an address to bind (e.g. 127.0.0.1 or 0.0.0.0)")
        return value.strip()

    @field_validator("ingress_proxy")
    @classmethod
    def _proxy_address(cls, value: str) -> str:
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError as err:
            raise ValueError(
                f"{value!r} is not an IP address (the Supervisor's is 172.30.32.2)"
            ) from err

    @field_validator("heating_min_c", "heating_max_c")
    @classmethod
    def _heating_in_celsius(cls, value: float) -> float:
        low, high = HEATING_RANGE_C
        if not low <= value <= high:
            raise ValueError(
                f"{value:g} is not a heating limit between {low:g} and {high:g} °C "
                "(the limits are in °C even when the home uses °F)"
            )
        return value

    @field_validator("api_token", "ha_token", "openai_api_key")
    @classmethod
    def _no_placeholder_secret(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.strip().lower() in _PLACEHOLDER_SECRETS:
            raise ValueError("is a placeholder; set a real secret")
        if value != value.strip() or any(c.isspace() for c in value):
            raise ValueError("contains spaces or line breaks; copy the secret again")
        return value

    @model_validator(mode="after")
    def _settings_agree(self) -> Settings:
        if self.heating_min_c >= self.heating_max_c:
            raise _bad(
                "heating_min_c",
                f"{self.heating_min_c:g} must be below HOMEHABITS_HEATING_MAX_C "
                f"({self.heating_max_c:g})",
            )
        _check_per_domain(self.mining)
        if self.source is not None and self.source.lower().partition(":")[0] == "ha-api":
            missing = [n for n in ("ha_url", "ha_token") if not getattr(self, n)]
            if missing:
                raise _bad(
                    "source",
                    "ha-api needs "
                    + " and ".join(f"{ENV_PREFIX}{n.upper()}" for n in missing)
                    + " (a long-lived access token from your Home Assistant profile)",
                )
        if self.notify_service and not (self.ha_url and self.ha_token):
            raise _bad(
                "notify_service",
                "is set but Home Assistant is not: set HOMEHABITS_HA_URL and HOMEHABITS_HA_TOKEN",
            )
        if (self.openai_model is None) != (self.openai_base_url is None):
            given, needed = (
                ("openai_model", "openai_base_url")
                if self.openai_base_url is None
                else ("openai_base_url", "openai_model")
            )
            raise _bad(
                given,
                f"is set but {ENV_PREFIX}{needed.upper()} is not; the model writes the words "
                "only with both (e.g. https://api.openai.com/v1 and gpt-4o-mini)",
            )
        self._writer_agrees()
        if self.openai_api_key and not (self.openai_base_url and self.openai_model):
            raise _bad(
                "openai_api_key",
                "is set but no model is configured: set HOMEHABITS_OPENAI_BASE_URL "
                "and HOMEHABITS_OPENAI_MODEL",
            )
        # under ingress only the Supervisor's proxy, which signs the user in, is let through
        if not is_loopback(self.host) and not self.api_token and not self.ingress:
            raise _bad(
                "host",
                f"{self.host!r} is not a loopback address; set HOMEHABITS_API_TOKEN "
                "before serving on the network",
            )
        return self

    def _writer_agrees(self) -> None:
        if self.writer is WriterChoice.OPENAI and not (self.openai_base_url and self.openai_model):
            raise _bad(
                "writer",
                "openai needs HOMEHABITS_OPENAI_BASE_URL and HOMEHABITS_OPENAI_MODEL "
                "(e.g. https://api.openai.com/v1 and gpt-4o-mini)",
            )
        if self.writer is WriterChoice.AI_TASK:
            missing = [n for n in ("ha_url", "ha_token") if not getattr(self, n)]
            if missing:
                raise _bad(
                    "writer",
                    "ai_task asks Home Assistant for the words and needs "
                    + " and ".join(f"{ENV_PREFIX}{n.upper()}" for n in missing)
                    + " (a long-lived access token from your Home Assistant profile)",
                )
        elif self.ai_task_entity is not None:
            raise _bad(
                "ai_task_entity",
                f"is set but HOMEHABITS_WRITER is {self.writer.value}; set HOMEHABITS_WRITER="
                "ai_task for Home Assistant's AI Task to write the words",
            )

    @property
    def ha_notifications_enabled(self) -> bool:
        """Whether a run with new suggestions tells Home Assistant (configured and not off)."""
        return bool(self.notifications and self.ha_url and self.ha_token)

    @property
    def model_enabled(self) -> bool:
        """Whether an OpenAI-compatible model is configured and chosen to write the words."""
        chosen = self.writer in (WriterChoice.AUTO, WriterChoice.OPENAI)
        return chosen and bool(self.openai_base_url and self.openai_model)

    @property
    def ai_task_enabled(self) -> bool:
        """Whether Home Assistant's AI Task is chosen to write the words.

        Chosen by `HOMEHABITS_WRITER=ai_task`, and in the add-on (under ingress) by `auto`
        when no OpenAI-compatible model is configured: the model the owner already set up in
        Home Assistant writes the words where there is one (see `ai_task_if_available`).
        """
        return self.writer is WriterChoice.AI_TASK or self.ai_task_if_available

    @property
    def ai_task_if_available(self) -> bool:
        """AI Task tried without being asked for: a home without one gets template words quietly."""
        return (
            self.writer is WriterChoice.AUTO
            and self.ingress
            and not self.model_enabled
            and bool(self.ha_url and self.ha_token)
        )


def _check_per_domain(mining: MiningSettings) -> None:
    from homehabits.events import ACTIONABLE_DOMAINS

    thresholds = [name for name in MiningSettings.model_fields if name != "per_domain"]
    base = mining.model_dump(exclude={"per_domain"})
    for domain, overrides in mining.per_domain.items():
        if domain not in ACTIONABLE_DOMAINS:
            raise _bad(
                "mining__per_domain",
                f"{domain!r} is not a domain homehabits mines{_did_you_mean(domain, ACTIONABLE_DOMAINS)}"
                f" (known: {', '.join(sorted(ACTIONABLE_DOMAINS))})",
            )
        for key in overrides:
            if key not in thresholds:
                raise _bad(
                    "mining__per_domain",
                    f"{domain}: {key!r} is not a mining setting{_did_you_mean(key, thresholds)}",
                )
        try:
            MiningSettings.model_validate({**base, **overrides})
        except ValidationError as err:
            first = err.errors()[0]
            key = ".".join(str(part) for part in first["loc"])
            raise _bad(
                "mining__per_domain",
                f"{domain}.{key}={first.get('input')!r}: {first['msg']}",
            ) from err


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def is_loopback(host: str) -> bool:
    """Whether a bind address is only reachable from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def setting_names() -> tuple[frozenset[str], tuple[str, ...]]:
    """Every HOMEHABITS_* name that is a setting, and the prefixes of free-form nested names."""
    names: set[str] = set()
    prefixes: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            full = f"{prefix}{name.upper()}"
            names.add(full)
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk(annotation, f"{full}__")
            elif get_origin(annotation) is dict:
                prefixes.append(f"{full}__")

    walk(Settings, ENV_PREFIX)
    return frozenset(names), tuple(prefixes)


def _unknown_names(keys: Iterable[str], where: str) -> list[str]:
    known, prefixes = setting_names()
    problems = []
    for key in keys:
        upper = key.upper()
        if upper in known or upper.startswith(prefixes):
            continue
        nearest = _nearest_name(upper, known)
        if upper.startswith(ENV_PREFIX):
            hint = f"did you mean {nearest}?" if nearest else "see the settings in the README"
            problems.append(f"{key} ({where}) is not a setting; {hint}")
        elif difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.9):
            # HOMEHABIT_API_TOKEN, HOME_HABITS_PORT: a setting with its prefix misspelt
            problems.append(f"{key} ({where}) is not a setting; did you mean {nearest}?")
    return problems


def _nearest_name(name: str, known: frozenset[str]) -> str | None:
    # HOMEHABITS_DAYS is nearer to ..._ANALYSIS_DAYS, which holds its words, than to ..._HOST
    words = {word for word in name.removeprefix(ENV_PREFIX).split("_") if word}
    holding = [
        k for k in sorted(known) if words and words <= set(k.removeprefix(ENV_PREFIX).split("_"))
    ]
    if holding:
        return min(holding, key=lambda k: (len(k), k))
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return close[0] if close else None


def _env_file_keys(env_file: Any) -> list[str]:
    if env_file is None:
        return []
    paths = env_file if isinstance(env_file, list | tuple) else [env_file]
    keys: list[str] = []
    for path in (Path(p).expanduser() for p in paths):
        if not path.is_file():
            continue
        try:
            from dotenv import dotenv_values

            keys.extend(str(key) for key in dotenv_values(path, encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"{path}: cannot read the settings file ({err})") from err
    return keys


def load_settings(*, flags: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read the settings; a mistake raises one ConfigError naming the variable, or its flag."""
    # `overrides` are values given directly (the CLI's flags); `flags` maps a setting's name to
    # the flag it came from, so that a message names `--days` rather than the variable
    flags = dict(flags or {})
    env_file = overrides.get("_env_file", Settings.model_config.get("env_file"))
    problems = _unknown_names(
        [k for k in os.environ if k.upper().startswith(("HOME", ENV_PREFIX))], "environment"
    )
    problems += _unknown_names(_env_file_keys(env_file), f"in {env_file}")
    if problems:
        raise ConfigError("bad setting: " + "; ".join(problems))
    try:
        return Settings(**overrides)
    except ValidationError as err:
        raise ConfigError(_one_line(err, flags)) from err
    except SettingsError as err:  # a value the settings sources could not even read
        raise ConfigError(f"bad setting: {err}") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"bad settings file {env_file}: {err}") from err


def _one_line(err: ValidationError, flags: Mapping[str, str]) -> str:
    problems = []
    for error in err.errors(include_url=False):
        ctx = error.get("ctx") or {}
        loc = [str(part) for part in error["loc"]]
        path = str(ctx["setting"]) if "setting" in ctx else _field_path(loc)
        top = path.split("__", 1)[0]
        rest = loc[len(path.split("__")) :] if "setting" not in ctx else []
        # a check of our own names the value in its message; pydantic's own checks do not
        shown_value = "setting" not in ctx and error["type"] not in {"missing", "value_error"}
        name = flags.get(top) or (f"{ENV_PREFIX}{path.upper()}" if path else "settings")
        where = f" at {'.'.join(rest)}" if rest else ""
        value = ""
        if shown_value and "input" in error:
            raw = error["input"]
            value = "=<hidden>" if top in SECRET_SETTINGS else f"={_short(raw)}"
            if flags.get(top):
                value = value.replace("=", " ", 1)
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden" and rest:
            known = _nested_fields(top)
            message = f"{rest[-1]!r} is not a setting{_did_you_mean(rest[-1], known)}"
            value = ""
        if flags.get(top):
            message = _flag_words(message, top, flags[top])
        problems.append(f"{name}{value}{where}: {message}")
    # one line, and never a password, even one inside a value quoted by a message
    return _masked_url(" ".join(("bad setting: " + "; ".join(problems)).split()))


def _nested_fields(top: str) -> list[str]:
    field = Settings.model_fields.get(top)
    annotation = field.annotation if field else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _flag_words(message: str, setting: str, flag: str) -> str:
    return message.replace(f"{ENV_PREFIX}{setting.upper()}", flag)


def _field_path(loc: list[str]) -> str:
    if not loc:
        return ""
    top = loc[0]
    field = Settings.model_fields.get(top)
    annotation = field.annotation if field else None
    nested = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    if nested and len(loc) > 1 and loc[1] in annotation.model_fields:  # type: ignore[union-attr]
        return f"{top}__{loc[1]}"
    return top


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = _masked_url(repr(text) if isinstance(value, str) else text)
    return text if len(text) <= 80 else text[:77] + "…"


_URL_PASSWORD = re.compile(r"(://[^:/@\s]*):[^@/\s]*@")


def _masked_url(text: str) -> str:
    return _URL_PASSWORD.sub(r"\1:***@", text)


def settings_for_display(settings: Settings) -> dict[str, str]:
    """The effective settings by variable name, as text; secrets and URL passwords masked."""
    shown: dict[str, str] = {}

    def add(model: BaseModel, prefix: str, path: str) -> None:
        for name in type(model).model_fields:
            value = getattr(model, name)
            key = f"{prefix}{name.upper()}"
            if isinstance(value, BaseModel):
                add(value, f"{key}__", f"{path}{name}__")
            elif f"{path}{name}" in SECRET_SETTINGS:
                shown[key] = "(set, hidden)" if value else "(not set)"
            else:
                shown[key] = _as_text(value)

    add(settings, ENV_PREFIX, "")
    return shown


def _as_text(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return f"{value:g}"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return _masked_url(str(value))
