"""Who may call the API: a bearer token or the review page's cookie; secrets kept out of logs."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from homehabits.access import TOKEN_COOKIE, token_matches
from homehabits.config import Settings

__all__ = [
    "forget_secrets",
    "redact",
    "remember_secrets",
    "require_token",
]

_REDACTED = "**redacted**"
_secrets: dict[str, int] = {}  # secret -> how many running apps registered it
_secrets_lock = threading.Lock()
_previous_factory: Any = None


def _presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(TOKEN_COOKIE)


def _settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def require_token(request: Request, settings: Annotated[Settings, Depends(_settings_of)]) -> None:
    """Refuse the call with 401 unless the API token is presented (when one is set)."""
    if settings.api_token is None:
        return
    if not token_matches(_presented_token(request), settings.api_token):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong API token: send 'Authorization: Bearer <HOMEHABITS_API_TOKEN>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


def redact(text: str) -> str:
    """The text with every registered secret replaced."""
    for secret in list(_secrets):
        if secret in text:
            text = text.replace(secret, _REDACTED)
    return text


def remember_secrets(settings: Settings) -> None:
    """Keep the settings' secrets out of every log record from now on (defence in depth)."""
    global _previous_factory
    with _secrets_lock:
        for secret in _secrets_of(settings):
            _secrets[secret] = _secrets.get(secret, 0) + 1
        if _previous_factory is None:
            _previous_factory = logging.getLogRecordFactory()
            logging.setLogRecordFactory(_redacting_factory)


def forget_secrets(settings: Settings) -> None:
    """Undo `remember_secrets` for these settings (the app has stopped)."""
    global _previous_factory
    with _secrets_lock:
        for secret in _secrets_of(settings):
            left = _secrets.get(secret, 0) - 1
            if left > 0:
                _secrets[secret] = left
            else:
                _secrets.pop(secret, None)
        if not _secrets and _previous_factory is not None:
            # only restore when nobody wrapped the factory after us
            if logging.getLogRecordFactory() is _redacting_factory:
                logging.setLogRecordFactory(_previous_factory)
            _previous_factory = None


def _secrets_of(settings: Settings) -> list[str]:
    # short values would redact ordinary words; real tokens are long
    candidates = (settings.ha_token, settings.api_token, settings.openai_api_key)
    return [secret for secret in candidates if secret and len(secret) >= 8]


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    factory = _previous_factory or logging.LogRecord
    record: logging.LogRecord = factory(*args, **kwargs)
    if not _secrets:
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the logging module's to report
        return record
    cleaned = redact(message)
    if cleaned != message:
        record.msg = cleaned
        record.args = None
    if record.exc_info and record.exc_info[1] is not None:
        text = logging.Formatter().formatException(record.exc_info)
        if redact(text) != text:
            record.exc_text = redact(text)
    return record
