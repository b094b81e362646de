"""Compiling habits into Home Assistant automations: dialects, checks, dedupe, safety."""

from __future__ import annotations

from homehabits.automations.draft import Draft, DroppedPattern

__all__ = ["Draft", "DroppedPattern"]
