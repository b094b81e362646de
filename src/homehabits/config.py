"""Settings, read from HOMEHABITS_* environment variables and an optional .env file."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from homehabits.exceptions import ConfigError

__all__ = [
    "DEFAULT_DATABASE_URL",
    "Dialect",
    "DialectSetting",
    "MiningSettings",
    "Settings",
    "is_loopback",
    "load_settings",
]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/homehabits.db"


class DialectSetting(StrEnum):
    """Which automation dialect to write: chosen from the Home Assistant version, or forced."""

    AUTO = "auto"
    MODERN = "modern"
    LEGACY = "legacy"


class Dialect(StrEnum):
    """An automation dialect Home Assistant speaks."""

    MODERN = "modern"  # 2024.10 and later: triggers/trigger, conditions, actions/action
    LEGACY = "legacy"  # before: trigger/platform, condition, action/service


class MiningSettings(BaseModel):
    """Thresholds for habit mining; defaults work for a typical home."""

    min_occurrences: int = Field(default=5, ge=2)
    min_adherence: float = Field(default=0.6, gt=0, le=1)
    min_confidence: float = Field(default=0.5, ge=0, le=1)
    max_spread_minutes: float = Field(default=30.0, gt=0)
    sequence_max_lag_seconds: float = Field(default=300.0, gt=0)
    sequence_min_lift: float = Field(default=3.0, gt=1)
    auto_off_max_spread_ratio: float = Field(default=0.35, gt=0)
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
    per_domain: dict[str, dict[str, float]] = Field(default_factory=dict)


class Settings(BaseSettings):
    """All settings of homehabits; every field is HOMEHABITS_<NAME> in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="HOMEHABITS_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
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
    service_users: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # event files without an origin column (History "Download data"): take changes as manual
    events_assume_manual: bool = False
    rejected_days: int = Field(default=90, ge=0)
    mining: MiningSettings = Field(default_factory=MiningSettings)

    # automations
    dialect: DialectSetting = DialectSetting.AUTO
    heating_min_c: float = 16.0
    heating_max_c: float = 24.0

    # language model (off unless base_url/api_key/model are set)
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    openai_model: str | None = None
    openai_concurrent_limit: int = Field(default=5, ge=1, le=100)
    openai_timeout_seconds: float = Field(default=30.0, gt=0)
    openai_phase_deadline_seconds: float = Field(default=300.0, gt=0)
    openai_max_retries: int = Field(default=3, ge=0, le=10)
    # price per million tokens, per model: {"gpt-4o-mini": {"input": 0.15, "output": 0.6}}
    openai_prices: dict[str, dict[str, float]] = Field(default_factory=dict)

    # Home Assistant (live API and deploy)
    ha_url: str | None = None
    ha_token: str | None = Field(default=None, repr=False)
    ha_timeout_seconds: float = Field(default=30.0, gt=0)

    # the service
    host: str = "127.0.0.1"
    port: int = Field(default=8018, ge=1, le=65535)
    api_token: str | None = Field(default=None, repr=False)

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str | None) -> str | None:
        if value is None or value == "":
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
    def _cron_has_five_fields(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(f"{value!r} is not a cron expression of five fields, e.g. '0 3 * * *'")
        return value

    @field_validator("service_users", mode="before")
    @classmethod
    def _split_service_users(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("ha_url", "openai_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("api_token", "ha_token", "openai_api_key")
    @classmethod
    def _no_placeholder_secret(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.strip().lower() in {
            "changeme",
            "change-me",
            "changethis",
            "secret",
            "token",
            "xxx",
        }:
            raise ValueError("is a placeholder; set a real secret")
        return value

    @model_validator(mode="after")
    def _public_bind_needs_token(self) -> Settings:
        if not is_loopback(self.host) and not self.api_token:
            raise ValueError(
                f"host {self.host!r} is not a loopback address; set HOMEHABITS_API_TOKEN "
                "before serving on the network"
            )
        return self

    @property
    def model_enabled(self) -> bool:
        """Whether an OpenAI-compatible model is configured to write the words."""
        return bool(self.openai_base_url and self.openai_model)


def is_loopback(host: str) -> bool:
    """Whether a bind address is only reachable from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; a bad value raises ConfigError naming the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as err:
        problems = []
        for error in err.errors():
            name = "_".join(str(part) for part in error["loc"] if part != "__root__")
            setting = f"HOMEHABITS_{name.upper()}" if name else "settings"
            problems.append(f"{setting}: {error['msg']}")
        raise ConfigError("bad setting: " + "; ".join(problems)) from err
