"""Fakes of the outside world for tests and benchmarks (Home Assistant, an OpenAI-compatible model)."""

from __future__ import annotations
