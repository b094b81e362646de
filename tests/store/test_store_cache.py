"""The words cache and the health check."""

from __future__ import annotations

from homehabits.store.engine import Sessions
from homehabits.store.repository import cache_get, cache_put, ping
from homehabits.writers.words import Words


def _words(title: str) -> Words:
    return Words(
        title=title,
        description="Turns the hall light on when someone moves in the hall after dark.",
        rationale="You did it 41 times in 30 days, usually within 20 seconds of motion.",
        category="lighting",
        author="gpt-4o-mini",
        tokens_in=812,
        tokens_out=96,
        cost=0.00018,
    )


async def test_cached_words_come_back_marked_cached_and_by_their_model(sessions: Sessions) -> None:
    key = "habit00000000001:gpt-4o-mini:v1"
    await cache_put(sessions, key, _words("Hall light follows motion"))

    found = await cache_get(sessions, key)

    assert found is not None
    assert found.title == "Hall light follows motion"
    assert found.author == "gpt-4o-mini"
    assert found.cached is True
    assert (found.tokens_in, found.tokens_out) == (812, 96)
    assert found.cost == 0.0  # a cache hit spends nothing


async def test_caching_again_replaces_the_words(sessions: Sessions) -> None:
    key = "habit00000000001:gpt-4o-mini:v1"
    await cache_put(sessions, key, _words("First words"))
    await cache_put(sessions, key, _words("Better words"))

    found = await cache_get(sessions, key)

    assert found is not None
    assert found.title == "Better words"


async def test_an_unknown_key_is_a_cache_miss(sessions: Sessions) -> None:
    await cache_put(sessions, "habit00000000001:gpt-4o-mini:v1", _words("Hall light"))

    assert await cache_get(sessions, "habit00000000001:gpt-4o-mini:v2") is None


async def test_a_working_database_answers_the_health_check(sessions: Sessions) -> None:
    assert await ping(sessions) is True
