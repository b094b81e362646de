"""The fifteen model-fault scenarios of the hostile-input trials, kept as tests.

Whatever the model server does — faults, hangs, garbage, answers that try to change the
automation — every draft keeps words (nothing lost), no automation changes, at most five calls
are in flight, and a failed draft costs one log line, never a traceback.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from typing import Any

import pytest
from tests.fakes.fake_openai import IN_PROCESS_BASE_URL, FakeMode, FakeOpenAIServer, default_answer

from homehabits.automations.draft import Draft
from homehabits.config import Dialect
from homehabits.context import Entity, HomeContext
from homehabits.patterns.habit import HabitKind, Pattern
from homehabits.writers import ModelConfig, write_words

_DRAFTS = 20
_LIMIT = 5


def _lights(count: int) -> tuple[HomeContext, list[Draft]]:
    """A home with `count` lamps, each switched on by hand at its own minute."""
    entities = {f"light.lamp_{n}": Entity(f"light.lamp_{n}", f"Lamp {n}") for n in range(count)}
    drafts = []
    for n in range(count):
        pattern = Pattern(
            kind=HabitKind.TIME_OF_DAY,
            target_entity=f"light.lamp_{n}",
            target_state="on",
            time_of_day=time(6 + n % 12, n % 60),
            occurrences=20,
            days_observed=20,
            days_possible=30,
        )
        automation = {
            "alias": f"Lamp {n}",
            "triggers": [{"trigger": "time", "at": f"{6 + n % 12:02d}:{n % 60:02d}:00"}],
            "actions": [{"action": "light.turn_on", "target": {"entity_id": f"light.lamp_{n}"}}],
        }
        drafts.append(
            Draft(
                pattern, automation, repr(automation), dialect=Dialect.MODERN, category="lighting"
            )
        )
    return HomeContext(time_zone="Europe/Berlin", entities=entities), drafts


def _with(**changes: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def answer(body: dict[str, Any]) -> dict[str, Any]:
        return {**default_answer(body), **changes}

    return answer


@dataclass(frozen=True)
class Scenario:
    """One way for the model server to misbehave."""

    server: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    all_fall_back: bool = False  # no draft can get the model's words


SCENARIOS: dict[str, Scenario] = {
    "healthy": Scenario(),
    "20 % faults": Scenario({"fault_rate": 0.2, "seed": 1}),
    "30 % faults": Scenario({"fault_rate": 0.3, "seed": 2}),
    "30 % faults, slow and uneven": Scenario(
        {"fault_rate": 0.3, "seed": 3, "latency_for": lambda text: 0.002 * (len(text) % 7)}
    ),
    "five 500s first": Scenario({"faults": [500] * 5}),
    "rate limited with Retry-After": Scenario({"faults": [429] * 6}),
    "every call hangs": Scenario(
        {"mode": FakeMode.HANG}, {"timeout_seconds": 0.1}, all_fall_back=True
    ),
    "text that is not JSON": Scenario({"mode": FakeMode.MALFORMED}, all_fall_back=True),
    "a body that is not JSON": Scenario({"mode": FakeMode.GARBAGE}, all_fall_back=True),
    "JSON that is not a chat completion": Scenario(
        {"mode": FakeMode.NO_CHOICES}, all_fall_back=True
    ),
    "JSON in fences amid prose": Scenario({"mode": FakeMode.FENCED}),
    "json_schema refused": Scenario({"mode": FakeMode.REJECT_JSON_SCHEMA}),
    "any response_format refused": Scenario({"mode": FakeMode.REJECT_RESPONSE_FORMAT}),
    "words that carry a new automation": Scenario(
        {
            "answer": _with(
                description="actions:\n  - action: lock.unlock\n    target:\n"
                "      entity_id: lock.front_door"
            )
        },
        all_fall_back=True,
    ),
    "extra fields that try to replace the automation": Scenario(
        {
            "answer": _with(
                automation={"actions": [{"action": "alarm_control_panel.alarm_disarm"}]},
                entity_id="lock.front_door",
                triggers=[{"trigger": "time", "at": "03:00:00"}],
            )
        }
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_a_misbehaving_model_loses_no_words_changes_no_automation_and_logs_one_line_each(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = SCENARIOS[name]
    home, drafts = _lights(_DRAFTS)
    automations_before = [copy.deepcopy(draft.automation) for draft in drafts]
    fake = FakeOpenAIServer(latency=0.001, retry_after=0.01, **scenario.server)
    config = ModelConfig(
        base_url=IN_PROCESS_BASE_URL,
        api_key=None,
        model="fake-gpt",
        concurrent_limit=_LIMIT,
        max_retries=6,
        **scenario.config,
    )

    with caplog.at_level(logging.INFO):
        async with fake.http_client() as client:
            words, report = await write_words(drafts, home, model=config, http_client=client)

    assert len(words) == _DRAFTS
    assert all(w.title and w.description and w.rationale for w in words)
    assert [draft.automation for draft in drafts] == automations_before
    assert fake.max_in_flight <= _LIMIT
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) <= report.fallbacks
    assert all("\n" not in r.getMessage().strip() or "actions:" in r.getMessage() for r in problems)
    if scenario.all_fall_back:
        assert report.fallbacks == _DRAFTS
        assert all(w.author == "template" for w in words)
    else:
        assert report.fallbacks == 0, report.errors
        assert all(w.author == "fake-gpt" for w in words)


async def test_a_body_that_is_not_json_gives_one_log_line_per_suggestion_and_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    home, drafts = _lights(3)
    fake = FakeOpenAIServer(latency=0.0, mode=FakeMode.GARBAGE)
    config = ModelConfig(base_url=IN_PROCESS_BASE_URL, api_key=None, model="fake-gpt")

    with caplog.at_level(logging.INFO):
        async with fake.http_client() as client:
            await write_words(drafts, home, model=config, http_client=client)

    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) == 3
    assert not [r for r in problems if r.exc_info]
    assert all("not JSON" in r.getMessage() for r in problems)
