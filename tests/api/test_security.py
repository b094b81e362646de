"""Who may call the API, and that the Home Assistant token never leaks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from homehabits.access import TOKEN_COOKIE
from homehabits.config import Settings
from homehabits.exceptions import ConfigError
from tests.api.conftest import API_TOKEN, HA_TOKEN, Running

StartService = Callable[..., AbstractAsyncContextManager[Running]]


async def test_with_a_token_set_api_calls_without_it_are_refused(
    start_service: StartService, make_settings: Callable[..., Settings]
) -> None:
    async with start_service(make_settings(api_token=API_TOKEN)) as running:
        client = running.client
        missing = await client.get("/api/suggestions")
        wrong = await client.get(
            "/api/suggestions", headers={"Authorization": "Bearer not-the-token-at-all"}
        )
        wrong_scheme = await client.get("/api/suggestions", headers={"Authorization": API_TOKEN})
        metrics = await client.get("/metrics")
        start = await client.post("/api/analysis/run")

    assert [r.status_code for r in (missing, wrong, wrong_scheme, metrics, start)] == [401] * 5
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "HOMEHABITS_API_TOKEN" in missing.json()["detail"]


async def test_with_a_token_set_the_bearer_header_or_the_cookie_lets_you_in(
    start_service: StartService, make_settings: Callable[..., Settings]
) -> None:
    async with start_service(make_settings(api_token=API_TOKEN)) as running:
        client = running.client
        bearer = await client.get(
            "/api/suggestions", headers={"Authorization": f"Bearer {API_TOKEN}"}
        )
        client.cookies.set(TOKEN_COOKIE, API_TOKEN)
        cookie = await client.get("/api/suggestions")
        metrics = await client.get("/metrics")

    assert (bearer.status_code, cookie.status_code, metrics.status_code) == (200, 200, 200)


async def test_health_and_docs_stay_open_with_a_token_set(
    start_service: StartService, make_settings: Callable[..., Settings]
) -> None:
    async with start_service(make_settings(api_token=API_TOKEN)) as running:
        health = await running.client.get("/health")
        docs = await running.client.get("/docs")
        schema = await running.client.get("/openapi.json")

    assert (health.status_code, docs.status_code, schema.status_code) == (200, 200, 200)
    assert "/api/suggestions/{suggestion_id}/deploy" in schema.json()["paths"]


async def test_without_a_token_the_api_is_open_on_loopback(running: Running) -> None:
    response = await running.client.get("/api/suggestions")

    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


async def test_the_home_assistant_token_appears_in_no_response_and_no_log_line(
    start_service: StartService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []
    async with start_service() as running:
        client = running.client
        run = await running.run_analysis()
        page = (await client.get("/api/suggestions")).json()
        first = page["items"][0]["id"]
        for response in (
            await client.get("/health"),
            await client.get("/metrics"),
            await client.get(f"/api/analysis/runs/{run['id']}"),
            await client.get("/api/patterns"),
            await client.get(f"/api/suggestions/{first}"),
            await client.post(f"/api/suggestions/{first}/approve"),
            await client.post(f"/api/suggestions/{first}/deploy"),
            await client.post(f"/api/suggestions/{first}/undeploy"),
            await client.get("/openapi.json"),
        ):
            bodies.append(response.text)
            bodies.append(str(response.headers))
        # a refused deploy and an unreachable Home Assistant are logged too
        second = page["items"][1]["id"]
        await client.post(f"/api/suggestions/{second}/approve")
        running.home_assistant.fail(401, path_prefix="/api/config")
        refused = await client.post(f"/api/suggestions/{second}/deploy")
        bodies.append(refused.text)
        logging.getLogger("homehabits.test").info("a careless line with %s in it", HA_TOKEN)

    assert refused.status_code == 502
    assert "token" in refused.json()["detail"]
    assert all(HA_TOKEN not in body for body in bodies)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) > 5
    assert all(HA_TOKEN not in message for message in messages)
    assert HA_TOKEN not in caplog.text
    assert any("a careless line with **redacted**" in message for message in messages)


async def test_settings_refuse_a_network_address_without_an_api_token() -> None:
    from homehabits.config import load_settings

    with pytest.raises(ConfigError, match="HOMEHABITS_API_TOKEN"):
        load_settings(_env_file=None, host="0.0.0.0")


def test_serve_refuses_a_network_address_without_an_api_token() -> None:
    from homehabits.api.server import serve

    unsafe: Any = Settings.model_construct(host="0.0.0.0", api_token=None)

    with pytest.raises(ConfigError, match="without HOMEHABITS_API_TOKEN"):
        serve(unsafe)


@pytest.mark.parametrize(
    "path",
    [
        "/api/suggestions/9223372036854775808",
        "/api/suggestions?offset=9223372036854775808",
        "/api/analysis/runs/9223372036854775808",
        "/api/patterns?run_id=9223372036854775808",
        "/api/patterns?offset=99999999999999999999999",
    ],
)
async def test_ids_and_offsets_beyond_64_bits_are_refused_not_a_server_error(
    running: Running, path: str
) -> None:
    answer = await running.client.get(path)

    assert answer.status_code == 422, answer.text


async def test_bulk_approval_of_an_id_beyond_64_bits_is_refused(running: Running) -> None:
    answer = await running.client.post("/api/suggestions/approve", json={"ids": [1, 2**64]})

    assert answer.status_code == 422, answer.text
