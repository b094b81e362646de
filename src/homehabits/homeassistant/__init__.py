"""All talk with Home Assistant: REST, WebSocket and config API, answers as plain records.

`HomeAssistantClient` reads the home (for the live-API source) and writes automations (for
deploy and undeploy); `records` holds what it answers; `RetryPolicy` is how every call is
tried again. No other package speaks to Home Assistant or reads its JSON answers.
"""

from __future__ import annotations

from homehabits.homeassistant.client import HomeAssistantClient
from homehabits.homeassistant.records import HaConfig, HaRegistries, HaState, LogbookEntry
from homehabits.homeassistant.retry import RetryPolicy
from homehabits.homeassistant.websocket import WebSocketLike, WsConnect

__all__ = [
    "HaConfig",
    "HaRegistries",
    "HaState",
    "HomeAssistantClient",
    "LogbookEntry",
    "RetryPolicy",
    "WebSocketLike",
    "WsConnect",
]
