"""Compiling habits into Home Assistant automations: dialects, checks, dedupe, safety."""

from __future__ import annotations

from homehabits.automations.checker import check_automation
from homehabits.automations.compile import CompileResult, compile_pattern, compile_patterns
from homehabits.automations.dialects import choose_dialect, convert_dialect
from homehabits.automations.draft import Draft, DroppedPattern
from homehabits.automations.safety import SafetyLimits, SafetyVerdict, assess_safety
from homehabits.automations.services import NeverSuggestedError
from homehabits.automations.yaml_text import automation_from_yaml, automation_to_yaml

__all__ = [
    "CompileResult",
    "Draft",
    "DroppedPattern",
    "NeverSuggestedError",
    "SafetyLimits",
    "SafetyVerdict",
    "assess_safety",
    "automation_from_yaml",
    "automation_to_yaml",
    "check_automation",
    "choose_dialect",
    "compile_pattern",
    "compile_patterns",
    "convert_dialect",
]
