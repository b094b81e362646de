"""homehabits: learns the habits of a Home Assistant home and proposes them as automations."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
