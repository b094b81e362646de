"""What a real Home Assistant without an AI Task answers to `ai_task.generate_data`, and the fake.

Neither real instance has a model configured, so neither has an AI Task entity: 2024.3 has no
AI Task at all, and the modern one does not load the integration without one. Both answer the
service call with a bare 400 `400: Bad Request` — what homehabits treats as "no AI Task here"
— and the fake of the same version answers the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from homehabits.exceptions import HomeAssistantError
from homehabits.homeassistant import HomeAssistantClient
from homehabits.writers import AiTaskConfig, write_words
from homehabits.writers.ai_task import STRUCTURE, find_ai_task
from tests.fakes.fake_home_assistant import FakeHomeAssistant
from tests.fakes.serving import serve_in_thread
from tests.real_ha.conftest import RealHomeAssistant
from tests.real_ha.test_fake_matches_real import _ws
from tests.writers.test_ai_task_writer import _lights

pytestmark = pytest.mark.real_ha

_SERVICE = "/api/services/ai_task/generate_data?return_response"
_TASK = {"task_name": "homehabits probe", "instructions": "Say hello.", "structure": STRUCTURE}


@pytest.fixture
def fake_like(real_ha: RealHomeAssistant) -> Iterator[tuple[str, str]]:
    """A fake of the same version, without an AI Task entity, served on loopback."""
    fake = FakeHomeAssistant(version=real_ha.version, token="fake-token")
    url, stop = serve_in_thread(fake.app)
    yield url, fake.token
    stop()


def test_without_an_ai_task_the_service_call_is_a_bare_400_as_the_fake_answers(
    real_ha: RealHomeAssistant, fake_like: tuple[str, str]
) -> None:
    with real_ha.client() as real:
        states = real.get("/api/states").json()
        assert not [s for s in states if s["entity_id"].startswith("ai_task.")]
        real_answer = real.post(_SERVICE, json=_TASK)

    url, token = fake_like
    fake_answer = httpx.post(
        f"{url}{_SERVICE}", json=_TASK, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )

    assert real_answer.status_code == 400
    assert real_answer.text == "400: Bad Request"
    assert real_answer.headers["content-type"].startswith("text/plain")
    assert (fake_answer.status_code, fake_answer.text) == (
        real_answer.status_code,
        real_answer.text,
    )
    assert fake_answer.headers["content-type"].startswith("text/plain")


async def test_the_client_raises_the_400_the_writer_takes_as_no_ai_task(
    real_ha: RealHomeAssistant,
) -> None:
    async with HomeAssistantClient(real_ha.url, real_ha.token, retries=0) as ha:
        with pytest.raises(HomeAssistantError) as refused:
            await ha.generate_data("homehabits probe", "Say hello.", STRUCTURE)
    assert refused.value.status == 400


async def test_the_writer_falls_back_to_the_template_with_one_warning(
    real_ha: RealHomeAssistant,
) -> None:
    context, drafts = _lights(3)
    config = AiTaskConfig(ha_url=real_ha.url, ha_token=real_ha.token, retries=0)

    words, report = await write_words(drafts, context, model=config)

    assert {w.author for w in words} == {"template"}
    assert len(report.warnings) == 1
    assert report.errors == []
    assert report.fallbacks == 0


def test_the_ai_task_preferences_are_refused_without_an_ai_task_as_the_fake_refuses(
    real_ha: RealHomeAssistant, fake_like: tuple[str, str]
) -> None:
    command = [{"type": "ai_task/preferences/get"}]
    real = _ws(real_ha.url, real_ha.token, command)[-1]
    url, token = fake_like
    fake = _ws(url, token, command)[-1]

    assert real["success"] is False
    assert (fake["success"], fake["error"]["code"]) == (False, real["error"]["code"])


async def test_check_and_the_writer_find_no_ai_task_entity_in_the_real_home_assistant(
    real_ha: RealHomeAssistant,
) -> None:
    async with HomeAssistantClient(real_ha.url, real_ha.token, retries=0) as ha:
        support = await find_ai_task(ha, None)
        preferred = await ha.get_ai_task_preferred_entity()

    assert support.entity is None
    assert support.ha_version == real_ha.version
    assert support.entities == ()
    assert preferred is None
    assert support.problem is not None
    assert "no AI Task" in support.problem
