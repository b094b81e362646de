"""Every error a homehabits user can meet, in one tree.

HomeHabitsError
├── ConfigError                     a setting is missing or has a bad value
├── SourceError                     a home's history or context could not be read
│   ├── SourceNotFoundError         the folder, file or database does not exist
│   ├── SourceFormatError           a file is not in the expected format (names file/line/field)
│   ├── RecorderError               the recorder database cannot be used
│   │   └── RecorderSchemaError     the recorder schema is too old or unknown
│   └── HomeAssistantError          the Home Assistant API answered badly (.status, .ha_message)
│       ├── HomeAssistantAuthError      401/403: the token is wrong
│       ├── HomeAssistantUnreachableError   no answer: host down, DNS, refused connection
│       │   └── HomeAssistantTimeoutError   it did not answer within the timeout
│       └── NotHomeAssistantError   something answered, but it is not Home Assistant
├── AutomationError                 an automation could not be compiled
│   └── AutomationCheckError        a config Home Assistant would reject (with the reason)
│       └── UnsafeAutomationError   one homehabits will not write (an edit's template or
│           │                       a service outside the allowed domains)
│           └── NeverSuggestedError unlocking, disarming, opening a garage door
├── WriterError                     the language model's words could not be used
│   └── ModelResponseError          the model answered, but not with valid JSON words
├── StoreError                      the homehabits database failed
│   ├── SuggestionNotFoundError     no suggestion with that id
│   ├── RunNotFoundError            no analysis run with that id
│   ├── VersionNotFoundError        a suggestion has no version of that number
│   └── StatusChangeError           that status change is not allowed (e.g. deploy a rejected one)
├── AnalysisError                   an analysis run failed
│   └── RunInProgressError          an analysis is already running
└── DeployError                     Home Assistant did not take the automation (.status, .ha_message)
    └── DeployRefusedError          refused before sending: a never-rule, unknown entities, an
                                    override whose original Home Assistant cannot show
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "AutomationCheckError",
    "AutomationError",
    "ConfigError",
    "DeployError",
    "DeployRefusedError",
    "HomeAssistantAuthError",
    "HomeAssistantError",
    "HomeAssistantTimeoutError",
    "HomeAssistantUnreachableError",
    "HomeHabitsError",
    "ModelResponseError",
    "NeverSuggestedError",
    "NotHomeAssistantError",
    "RecorderError",
    "RecorderSchemaError",
    "RunInProgressError",
    "RunNotFoundError",
    "SourceError",
    "SourceFormatError",
    "SourceNotFoundError",
    "StatusChangeError",
    "StoreError",
    "SuggestionNotFoundError",
    "UnsafeAutomationError",
    "VersionNotFoundError",
    "WriterError",
]


class HomeHabitsError(Exception):
    """Base of every error homehabits raises on purpose."""


class ConfigError(HomeHabitsError):
    """A setting is missing or has a bad value."""


class SourceError(HomeHabitsError):
    """A home's history or context could not be read."""


class SourceNotFoundError(SourceError):
    """The folder, file or database named as the source does not exist."""


class SourceFormatError(SourceError):
    """A file is not in the expected format; the message names file, line and field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        where = ", ".join(
            part
            for part in (
                path,
                f"line {line}" if line is not None else None,
                f"field {field!r}" if field is not None else None,
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line
        self.field = field


class RecorderError(SourceError):
    """The recorder database cannot be used (corrupt, missing tables, unreachable)."""


class RecorderSchemaError(RecorderError):
    """The recorder schema version is older than supported or unknown."""


class _HomeAssistantAnswerError(HomeHabitsError):
    """An error that keeps how Home Assistant answered.

    `status` is the HTTP status Home Assistant answered (None when it gave none) and
    `ha_message` Home Assistant's own words, when it said any.
    """

    def __init__(
        self, message: str, *, status: int | None = None, ha_message: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.ha_message = ha_message


class HomeAssistantError(_HomeAssistantAnswerError, SourceError):
    """The Home Assistant API answered with an error (`status`, `ha_message`)."""


class HomeAssistantAuthError(HomeAssistantError):
    """Home Assistant refused the access token (401/403)."""


class HomeAssistantUnreachableError(HomeAssistantError):
    """Home Assistant did not answer: the host is down, unknown or refuses connections."""


class HomeAssistantTimeoutError(HomeAssistantUnreachableError):
    """Home Assistant did not answer within the timeout."""


class NotHomeAssistantError(HomeAssistantError):
    """Something answered at that address, but it is not Home Assistant's API."""


class AutomationError(HomeHabitsError):
    """An automation could not be compiled from a habit."""


class AutomationCheckError(AutomationError):
    """A config that Home Assistant would reject; the message is the reason."""

    def __init__(self, reason: str, *, path: str | None = None) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.reason = reason
        self.path = path


class UnsafeAutomationError(AutomationCheckError):
    """An automation homehabits will not write or deploy; the message says why."""


class NeverSuggestedError(UnsafeAutomationError):
    """A habit homehabits will never automate: unlocking, disarming, opening a garage door."""


class WriterError(HomeHabitsError):
    """The words for a suggestion could not be written by the language model."""


class ModelResponseError(WriterError):
    """The model answered, but not with the JSON words asked for."""


class StoreError(HomeHabitsError):
    """The homehabits database failed."""


class SuggestionNotFoundError(StoreError):
    """No suggestion has that id."""


class RunNotFoundError(StoreError):
    """No analysis run has that id."""


class VersionNotFoundError(StoreError):
    """A suggestion has no version of that number (its history names the ones it has)."""


class StatusChangeError(StoreError):
    """That status change is not allowed from the suggestion's current status."""


class AnalysisError(HomeHabitsError):
    """An analysis run failed."""


class RunInProgressError(AnalysisError):
    """An analysis is already running; only one runs at a time."""


class DeployError(_HomeAssistantAnswerError):
    """Home Assistant did not take the automation; `status` and `ha_message` say how it answered.

    `status` 400 means Home Assistant rejected the config (`ha_message` is its reason).
    """


class DeployRefusedError(DeployError):
    """A deploy refused before anything was sent: a never-rule, unknown entities, no original."""
