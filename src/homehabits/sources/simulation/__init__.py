"""The simulated home's parts: its layout, its people's habits, its noise, and the event frame."""

from __future__ import annotations

__all__: list[str] = []
