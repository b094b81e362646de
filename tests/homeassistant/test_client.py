"""The Home Assistant client: clear errors, retries, deploying automations, and a secret token."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from homehabits.events import Origin
from homehabits.exceptions import (
    DeployError,
    HomeAssistantAuthError,
    HomeAssistantError,
    HomeAssistantUnreachableError,
    NotHomeAssistantError,
)
from homehabits.homeassistant import HomeAssistantClient
from homehabits.sources.ha_api import HomeAssistantApiSource
from tests.fakes.fake_home_assistant import FakeHomeAssistant, serve_in_thread

URL = "http://homeassistant.local:8123"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.very-secret-token"

MODERN_AUTOMATION = {
    "alias": "Kitchen light at dawn",
    "description": "Suggested by homehabits",
    "triggers": [{"trigger": "time", "at": "06:30:00"}],
    "conditions": [],
    "actions": [{"action": "light.turn_on", "target": {"entity_id": "light.kitchen"}}],
    "mode": "single",
}


def _client(
    fake: FakeHomeAssistant, *, token: str = TOKEN, **options: object
) -> HomeAssistantClient:
    options.setdefault("backoff", 0.0)
    return HomeAssistantClient(
        URL,
        token,
        transport=fake.transport(),
        ws_connect=fake.ws_connect,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def fake() -> FakeHomeAssistant:
    return FakeHomeAssistant(token=TOKEN, reload_delay=0.01)


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- errors ----------------------------------------------------------------------------------


async def test_a_wrong_token_says_so_and_how_to_get_a_right_one(fake: FakeHomeAssistant) -> None:
    async with _client(fake, token="not-the-token") as ha:
        with pytest.raises(HomeAssistantAuthError) as caught:
            await ha.get_config()

    message = str(caught.value)
    assert "refused the token (401)" in message
    assert URL in message
    assert "long-lived access token" in message
    assert fake.count("/api/config") == 1  # a refused token is not retried


async def test_a_wrong_token_on_the_websocket_is_an_auth_error(fake: FakeHomeAssistant) -> None:
    async with _client(fake, token="not-the-token") as ha:
        with pytest.raises(HomeAssistantAuthError, match="refused the token"):
            await ha.read_registries()


async def test_nobody_listening_is_unreachable_and_names_the_address(free_port: int) -> None:
    url = f"http://127.0.0.1:{free_port}"
    async with HomeAssistantClient(url, TOKEN, retries=1, backoff=0.0) as ha:
        with pytest.raises(HomeAssistantUnreachableError) as caught:
            await ha.get_config()

    assert url in str(caught.value)


async def test_a_web_page_instead_of_the_api_is_not_home_assistant(fake: FakeHomeAssistant) -> None:
    fake.serve_html = True

    async with _client(fake) as ha:
        with pytest.raises(NotHomeAssistantError, match="text/html"):
            await ha.get_config()


async def test_an_api_root_that_is_not_home_assistants_is_refused() -> None:
    def other_service(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "ok", "service": "grafana"})

    transport = httpx.MockTransport(other_service)
    async with HomeAssistantClient(URL, TOKEN, transport=transport) as ha:
        with pytest.raises(NotHomeAssistantError, match="API running"):
            await ha.check()


async def test_a_passing_server_error_is_retried_and_the_read_succeeds(
    fake: FakeHomeAssistant,
) -> None:
    fake.fail(503, times=1, path_prefix="/api/config")

    async with _client(fake) as ha:
        config = await ha.get_config()

    assert config.version == fake.version
    assert fake.count("/api/config") == 2


async def test_a_lasting_server_error_gives_up_after_the_retries(fake: FakeHomeAssistant) -> None:
    fake.fail(500, times=10, path_prefix="/api/states")

    async with _client(fake, retries=2) as ha:
        with pytest.raises(HomeAssistantError, match="answered 500") as caught:
            await ha.get_states()

    assert not isinstance(caught.value, HomeAssistantUnreachableError)
    assert fake.count("/api/states") == 3


async def test_a_home_assistant_too_slow_to_answer_times_out(fake: FakeHomeAssistant) -> None:
    fake.delay(2.0, path_prefix="/api/config")

    async with _client(fake, timeout=0.05, retries=0) as ha:
        with pytest.raises(HomeAssistantUnreachableError, match="did not answer within"):
            await ha.get_config()


async def test_the_token_never_reaches_logs_errors_or_reprs(
    fake: FakeHomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail(503, times=1, path_prefix="/api/states")
    fake.add_entity("light.kitchen", state="off")
    fake.record("light.kitchen", "on", datetime(2024, 3, 4, 7, tzinfo=UTC))
    source = HomeAssistantApiSource(
        URL, TOKEN, transport=fake.transport(), ws_connect=fake.ws_connect
    )
    context = await source.read_context()
    start = datetime(2024, 3, 4, tzinfo=UTC)
    await source.read_events(start, start + timedelta(days=1), context)
    errors = []
    async with _client(fake, token=TOKEN + "-wrong") as ha:
        for call in (ha.get_config, ha.read_registries):
            with pytest.raises(HomeAssistantAuthError) as caught:
                await call()
            errors.append(caught.value)
        assert TOKEN not in repr(ha)

    assert caplog.records  # the retry was logged
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    assert all(TOKEN not in str(error) and TOKEN not in repr(error) for error in errors)
    assert TOKEN not in repr(source)


# -- deploying -------------------------------------------------------------------------------


async def test_a_saved_automation_can_be_read_back_and_appears_as_an_entity(
    fake: FakeHomeAssistant,
) -> None:
    async with _client(fake) as ha:
        await ha.save_automation("hh-1", MODERN_AUTOMATION)
        entity_id = await ha.wait_for_automation_entity("hh-1", timeout=5.0)
        stored = await ha.get_automation("hh-1")

    assert entity_id == "automation.kitchen_light_at_dawn"
    assert stored is not None
    assert stored["id"] == "hh-1"
    assert stored["triggers"] == MODERN_AUTOMATION["triggers"]
    assert fake.automations["hh-1"]["alias"] == "Kitchen light at dawn"


async def test_a_removed_automation_is_gone_and_removing_it_again_is_harmless(
    fake: FakeHomeAssistant,
) -> None:
    async with _client(fake) as ha:
        await ha.save_automation("hh-2", MODERN_AUTOMATION)
        await ha.delete_automation("hh-2")
        await ha.delete_automation("hh-2")
        missing = await ha.get_automation("hh-2")

    assert missing is None
    assert "hh-2" not in fake.automations


async def test_home_assistant_rejecting_an_automation_is_a_deploy_error_with_its_reason() -> None:
    old = FakeHomeAssistant(token=TOKEN, version="2024.3.3")

    async with _client(old) as ha:
        with pytest.raises(DeployError) as caught:
            await ha.save_automation("hh-3", MODERN_AUTOMATION)

    assert caught.value.status == 400
    assert caught.value.ha_message == "Message malformed: extra keys not allowed @ data['triggers']"
    assert str(caught.value).endswith(caught.value.ha_message)
    assert old.automations == {}


async def test_an_automation_without_triggers_is_rejected(fake: FakeHomeAssistant) -> None:
    config = {key: value for key, value in MODERN_AUTOMATION.items() if key != "triggers"}

    async with _client(fake) as ha:
        with pytest.raises(DeployError, match=r"required key not provided @ data\['triggers'\]"):
            await ha.save_automation("hh-4", config)


async def test_an_automation_that_never_appears_is_a_deploy_error() -> None:
    slow = FakeHomeAssistant(token=TOKEN, reload_delay=30.0)

    async with _client(slow) as ha:
        await ha.save_automation("hh-5", MODERN_AUTOMATION)
        with pytest.raises(DeployError, match="did not appear"):
            await ha.wait_for_automation_entity("hh-5", timeout=0.3)


# -- end to end over real sockets ------------------------------------------------------------


async def test_a_real_server_with_a_real_websocket_reads_and_deploys(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeHomeAssistant(token=TOKEN, reload_delay=0.01)
    anna = fake.add_user("Anna")
    fake.add_area("hall", "Hall")
    fake.add_entity("light.hall", name="Hall light", area_id="hall", state="off")
    day = datetime(2024, 3, 4, tzinfo=UTC)
    fake.record("light.hall", "on", day + timedelta(hours=19), user_id=anna)
    base_url, stop = serve_in_thread(fake.app)
    try:
        source = HomeAssistantApiSource(base_url, TOKEN, timeout=5.0)
        context = await source.read_context()
        read = await source.read_events(day, day + timedelta(days=1), context)
        async with HomeAssistantClient(base_url, TOKEN, timeout=5.0) as ha:
            await ha.save_automation("hh-6", MODERN_AUTOMATION)
            entity_id = await ha.wait_for_automation_entity("hh-6")
    finally:
        stop()

    assert context.area_name("light.hall") == "Hall"
    assert read.frame.select("entity_id", "origin", "user_id").rows() == [
        ("light.hall", Origin.USER, anna)
    ]
    assert entity_id == "automation.kitchen_light_at_dawn"
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
