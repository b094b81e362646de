"""The OpenAI-compatible writer, through the real openai SDK, against the fake server."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from tests.fakes.fake_openai import IN_PROCESS_BASE_URL, FakeMode, FakeOpenAIServer

from homehabits.automations.draft import Draft
from homehabits.config import Settings
from homehabits.context import Entity, HomeContext
from homehabits.patterns.habit import HabitKind, Pattern
from homehabits.writers import (
    MemoryWordsCache,
    ModelConfig,
    Words,
    WritingReport,
    template_words,
    write_words,
)

MODEL = "fake-gpt"


def _lights(count: int) -> tuple[HomeContext, list[Draft]]:
    """A home with `count` lamps, each switched on by hand at its own minute."""
    entities = {f"light.lamp_{n}": Entity(f"light.lamp_{n}", f"Lamp {n}") for n in range(count)}
    home = HomeContext(time_zone="Europe/Berlin", entities=entities)
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
            Draft(pattern, automation, repr(automation), dialect="modern", category="lighting")  # type: ignore[arg-type]
        )
    return home, drafts


async def _write(
    fake: FakeOpenAIServer,
    drafts: list[Draft],
    home: HomeContext,
    *,
    cache: MemoryWordsCache | None = None,
    on_progress: Any = None,
    **settings: Any,
) -> tuple[list[Words], WritingReport]:
    config = ModelConfig(
        base_url=IN_PROCESS_BASE_URL,
        api_key=None,
        model=MODEL,
        **settings,
    )
    async with fake.http_client() as client:
        return await write_words(
            drafts, home, model=config, cache=cache, http_client=client, on_progress=on_progress
        )


async def test_model_words_carry_the_model_name_tokens_and_cost():
    home, drafts = _lights(2)
    fake = FakeOpenAIServer(latency=0.01)

    words, report = await _write(
        fake, drafts, home, price_in_per_million=2.0, price_out_per_million=8.0
    )

    assert [w.author for w in words] == [MODEL, MODEL]
    assert words[0].rationale.startswith("From your history: Lamp 0 turned on")
    assert words[0].tokens_in > 0
    assert words[0].tokens_out > 0
    assert words[0].cost == pytest.approx(
        (words[0].tokens_in * 2.0 + words[0].tokens_out * 8.0) / 1_000_000
    )
    assert report.model_calls == 2
    assert report.fallbacks == 0
    assert report.errors == []
    assert report.tokens_in == sum(w.tokens_in for w in words)
    assert report.cost == pytest.approx(sum(w.cost for w in words))
    assert fake.received[0]["response_format"]["type"] == "json_schema"


async def test_model_words_over_a_real_socket_reach_the_server():
    home, drafts = _lights(3)

    with FakeOpenAIServer(latency=0.01) as fake:
        config = ModelConfig(base_url=fake.base_url, api_key="sk-test", model=MODEL)
        words, report = await write_words(drafts, home, model=config)

    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake.requests == 3
    assert [w.author for w in words] == [MODEL] * 3
    assert report.fallbacks == 0


async def test_malformed_answer_falls_back_to_template_words_and_is_recorded():
    home, drafts = _lights(2)
    fake = FakeOpenAIServer(latency=0.01, mode=FakeMode.MALFORMED)

    words, report = await _write(fake, drafts, home)

    assert words == [template_words(draft, home) for draft in drafts]
    assert report.fallbacks == 2
    assert len(report.errors) == 2
    assert "no JSON object" in report.errors[0]
    assert "Lamp 0" in report.errors[0]
    # the tokens were spent all the same
    assert report.tokens_in > 0


async def test_json_in_fences_with_prose_around_is_accepted():
    home, drafts = _lights(1)
    fake = FakeOpenAIServer(latency=0.01, mode=FakeMode.FENCED)

    words, report = await _write(fake, drafts, home)

    assert words[0].author == MODEL
    assert words[0].title == "Lamp 0 on at 06:00 every day"
    assert report.fallbacks == 0


async def test_rate_limit_with_retry_after_is_waited_out_then_succeeds():
    home, drafts = _lights(1)
    fake = FakeOpenAIServer(latency=0.01, retry_after=0.05)
    fake.fail_next(429)

    words, report = await _write(fake, drafts, home, max_retries=3)

    assert words[0].author == MODEL
    assert report.model_calls == 2
    assert fake.faults_sent == 1
    assert report.fallbacks == 0


async def test_server_errors_are_retried_up_to_the_limit_then_fall_back():
    home, drafts = _lights(1)
    fake = FakeOpenAIServer(latency=0.01)
    fake.fail_next(500, 500, 500, 500, 500)

    words, report = await _write(fake, drafts, home, max_retries=2)

    assert words[0].author == "template"
    assert report.model_calls == 3  # the first call and two retries
    assert report.fallbacks == 1
    assert "500" in report.errors[0]


async def test_the_retries_setting_is_how_often_the_model_is_asked_again():
    home, drafts = _lights(1)
    fake = FakeOpenAIServer(latency=0.01, retry_after=0.01)
    fake.fail_next(429, 429, 429, 429)
    config = ModelConfig.from_settings(
        Settings(openai_base_url=IN_PROCESS_BASE_URL, openai_model=MODEL, openai_max_retries=1)
    )
    assert config is not None

    async with fake.http_client() as client:
        words, report = await write_words(drafts, home, model=config, http_client=client)

    assert words[0].author == "template"
    assert report.model_calls == 2 == fake.requests  # the first call and one retry
    assert "answered 429 2 times" in report.errors[0]


async def test_a_timed_out_call_is_not_retried():
    home, drafts = _lights(1)

    with FakeOpenAIServer(mode=FakeMode.HANG) as fake:
        config = ModelConfig(
            base_url=fake.base_url, api_key=None, model=MODEL, timeout_seconds=0.3, max_retries=3
        )
        words, report = await write_words(drafts, home, model=config)

    assert words[0].author == "template"
    assert report.model_calls == 1
    assert "did not answer within 0.3 s" in report.errors[0]


async def test_an_answer_that_never_comes_times_out_into_template_words():
    home, drafts = _lights(2)

    with FakeOpenAIServer(mode=FakeMode.HANG) as fake:
        config = ModelConfig(
            base_url=fake.base_url, api_key=None, model=MODEL, timeout_seconds=0.3, max_retries=0
        )
        words, report = await write_words(drafts, home, model=config)

    assert [w.author for w in words] == ["template", "template"]
    assert report.fallbacks == 2
    assert all("did not answer within 0.3 s" in error for error in report.errors)


async def test_server_refusing_json_schema_is_asked_for_json_object_for_the_rest_of_the_run():
    home, drafts = _lights(3)
    fake = FakeOpenAIServer(latency=0.01, mode=FakeMode.REJECT_JSON_SCHEMA)

    words, report = await _write(fake, drafts, home, concurrent_limit=1)

    assert [w.author for w in words] == [MODEL] * 3
    formats = [body.get("response_format", {}).get("type") for body in fake.received]
    assert formats == ["json_schema", "json_object", "json_object", "json_object"]
    assert report.model_calls == 4
    assert report.fallbacks == 0


async def test_server_refusing_any_response_format_is_asked_without_one():
    home, drafts = _lights(1)
    fake = FakeOpenAIServer(latency=0.01, mode=FakeMode.REJECT_RESPONSE_FORMAT)

    words, _ = await _write(fake, drafts, home)

    assert words[0].author == MODEL
    assert "response_format" not in fake.received[-1]
    assert len(fake.received) == 3


async def test_never_more_calls_in_flight_than_the_limit():
    home, drafts = _lights(12)
    fake = FakeOpenAIServer(latency=0.05)

    words, report = await _write(fake, drafts, home, concurrent_limit=3)

    assert fake.max_in_flight == 3
    assert fake.requests == 12
    assert report.model_calls == 12
    assert all(w.author == MODEL for w in words)


async def test_one_slow_call_does_not_hold_up_the_other_slots():
    home, drafts = _lights(10)
    # Lamp 0 answers slowly; with fixed batches of five, lamps 5-9 would wait for it
    fake = FakeOpenAIServer(latency_for=lambda text: 0.8 if '"Lamp 0"' in text else 0.02)

    words, _ = await _write(fake, drafts, home, concurrent_limit=5)

    assert '"Lamp 0"' in fake.completed[-1]
    assert all('"Lamp 0"' not in text for text in fake.completed[:-1])
    assert fake.max_in_flight == 5
    assert all(w.author == MODEL for w in words)


async def test_words_come_back_in_draft_order_whatever_answers_first():
    home, drafts = _lights(4)
    fake = FakeOpenAIServer(latency_for=lambda text: 0.2 if '"Lamp 0"' in text else 0.01)

    words, _ = await _write(fake, drafts, home)

    assert [w.title.split(" on ")[0] for w in words] == ["Lamp 0", "Lamp 1", "Lamp 2", "Lamp 3"]
    assert '"Lamp 0"' in fake.completed[-1]


async def test_cached_words_are_reused_without_a_call():
    home, drafts = _lights(3)
    cache = MemoryWordsCache()
    fake = FakeOpenAIServer(latency=0.01)
    first, _ = await _write(fake, drafts, home, cache=cache)
    fake.reset()

    second, report = await _write(fake, drafts, home, cache=cache)

    assert fake.requests == 0
    assert report.model_calls == 0
    assert report.cache_hits == 3
    assert [w.title for w in second] == [w.title for w in first]
    assert all(w.cached and w.author == MODEL and w.cost == 0.0 for w in second)


async def test_template_words_after_a_failure_are_not_cached():
    home, drafts = _lights(2)
    cache = MemoryWordsCache()
    fake = FakeOpenAIServer(latency=0.01, mode=FakeMode.MALFORMED)

    await _write(fake, drafts, home, cache=cache)

    assert len(cache) == 0


async def test_phase_deadline_gives_template_words_to_what_has_not_finished():
    home, drafts = _lights(4)
    fake = FakeOpenAIServer(
        latency_for=lambda text: 5.0 if '"Lamp 2"' in text or '"Lamp 3"' in text else 0.01
    )

    words, report = await _write(fake, drafts, home, phase_deadline_seconds=0.5)

    assert [w.author for w in words] == [MODEL, MODEL, "template", "template"]
    assert words[2] == template_words(drafts[2], home)
    assert report.fallbacks == 2
    assert "2 of 4 suggestions" in report.errors[0]


async def test_progress_is_told_for_every_draft():
    home, drafts = _lights(3)
    seen: list[tuple[int, int]] = []
    fake = FakeOpenAIServer(latency=0.01)

    await _write(fake, drafts, home, on_progress=lambda done, total: seen.append((done, total)))

    assert seen == [(1, 3), (2, 3), (3, 3)]


async def test_without_a_model_every_draft_gets_template_words_and_no_call_is_made():
    home, drafts = _lights(3)

    words, report = await write_words(drafts, home, model=None)

    assert words == [template_words(draft, home) for draft in drafts]
    assert report == WritingReport()


async def test_twenty_percent_faults_still_give_every_draft_words():
    home, drafts = _lights(20)
    fake = FakeOpenAIServer(latency=0.01, fault_rate=0.2, retry_after=0.01, seed=7)

    words, report = await _write(fake, drafts, home, max_retries=1)

    assert len(words) == 20
    assert all(w.title for w in words)
    assert fake.faults_sent > 0
    assert report.model_calls == fake.requests
    assert sum(w.author == "template" for w in words) == report.fallbacks


def test_model_config_comes_from_the_settings_with_the_model_prices():
    settings = Settings(
        openai_base_url="http://localhost:11434/v1",
        openai_model="llama3.1",
        openai_concurrent_limit=2,
        openai_prices={"llama3.1": {"input": 0.1, "output": 0.4}},
    )

    config = ModelConfig.from_settings(settings)

    assert config is not None
    assert config.base_url == "http://localhost:11434/v1"
    assert config.api_key is None
    assert config.concurrent_limit == 2
    assert (config.price_in_per_million, config.price_out_per_million) == (0.1, 0.4)


def test_no_model_config_when_no_model_is_set():
    assert ModelConfig.from_settings(Settings()) is None
