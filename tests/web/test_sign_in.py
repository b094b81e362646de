"""Sign-in and the page's HTTP behaviour, without a browser: cookie, redirects, headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from homehabits.app import create_app
from homehabits.config import Settings
from tests.web.conftest import API_TOKEN, small_demo_home


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}",
        time_zone="Europe/Berlin",
        api_token=API_TOKEN,
    )
    app = create_app(settings, source_factory=small_demo_home)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://homehabits.test") as c:
            yield c


async def test_without_the_cookie_every_page_shows_the_sign_in_form(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/", "/runs", "/?status=pending"):
        response = await client.get(path)
        assert response.status_code == 401
        assert '<label for="token">API token</label>' in response.text
        assert 'type="password"' in response.text


async def test_the_right_token_sets_a_strict_http_only_cookie_and_goes_back(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/login", data={"token": API_TOKEN, "next": "/runs"})

    assert response.status_code == 303
    assert response.headers["location"] == "/runs"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("homehabits_token=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert API_TOKEN not in response.headers["location"]
    page = await client.get("/runs")
    assert page.status_code == 200
    assert "No analysis yet" in page.text


async def test_a_wrong_token_is_refused_with_a_message_and_no_cookie(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/login", data={"token": "guessed-token-1234"})

    assert response.status_code == 401
    assert "not the one this service was started with" in response.text
    assert "set-cookie" not in response.headers


async def test_sign_in_never_sends_the_owner_to_another_site(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/login", data={"token": API_TOKEN, "next": "https://evil.example/"}
    )

    assert response.headers["location"] == "/"


async def test_signing_out_forgets_the_cookie(client: httpx.AsyncClient) -> None:
    await client.post("/login", data={"token": API_TOKEN})
    assert (await client.get("/")).status_code == 200

    response = await client.post("/logout")

    assert response.status_code == 303
    assert 'homehabits_token=""' in response.headers["set-cookie"]
    assert (await client.get("/")).status_code == 401


async def test_pages_forbid_scripts_from_elsewhere(client: httpx.AsyncClient) -> None:
    response = await client.get("/")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_stylesheet_and_script_are_served_from_the_package(
    client: httpx.AsyncClient,
) -> None:
    script = await client.get("/static/app.js")
    style = await client.get("/static/app.css")

    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "/api/suggestions/" in script.text
    assert style.status_code == 200
    assert "@media (max-width: 700px)" in style.text
