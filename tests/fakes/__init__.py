"""Fakes of the outside world for tests and benchmarks (a fake Home Assistant, …)."""

from __future__ import annotations
