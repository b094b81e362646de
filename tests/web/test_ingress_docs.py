"""The API's docs page behind Home Assistant's ingress: Swagger UI, its files and the OpenAPI
document all under /api/hassio_ingress/<token>/, and "Try it out" calling through it too."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.fakes.fake_supervisor import PROXY_ADDRESS, FakeSupervisor
from tests.fakes.serving import serve_in_thread
from tests.web.conftest import ReviewSite

_URL_IN_PAGE = re.compile(r"""(?:href|src)="([^"]+)"|url: '([^']+)'|\+ '([^']+)'""")


@pytest.fixture
def ingress(
    start_site: Callable[..., ReviewSite],
) -> Iterator[tuple[ReviewSite, FakeSupervisor, str]]:
    """homehabits under ingress, the fake Supervisor, and the address of the add-on's root."""
    site = start_site(ingress=True, ingress_proxy=PROXY_ADDRESS)
    supervisor = FakeSupervisor(site.home_assistant, addon_url=site.url)
    url, stop = serve_in_thread(supervisor.app)
    yield site, supervisor, url
    stop()


def _urls_in(page: str) -> list[str]:
    return [
        next(group for group in match.groups() if group) for match in _URL_IN_PAGE.finditer(page)
    ]


def test_the_docs_page_loads_its_document_and_files_under_the_ingress_prefix(
    ingress: tuple[ReviewSite, FakeSupervisor, str],
) -> None:
    _, supervisor, origin = ingress
    prefix = supervisor.ingress_path

    page = httpx.get(f"{origin}{prefix}/docs", timeout=10)

    assert page.status_code == 200
    urls = _urls_in(page.text)
    assert f"{prefix}/openapi.json" in urls
    assert f"{prefix}/docs/assets/swagger-ui-bundle.js" in urls
    assert f"{prefix}/docs/assets/swagger-ui.css" in urls
    for url in urls:
        assert url.startswith(f"{prefix}/"), url
        assert httpx.get(f"{origin}{url}", timeout=10).status_code == 200, url
    document = httpx.get(f"{origin}{prefix}/openapi.json", timeout=10).json()
    # "Try it out" calls the API through the Supervisor, not Home Assistant's own /api
    assert document["servers"] == [{"url": prefix}]
    assert "/api/suggestions" in document["paths"]


def test_each_ingress_session_gets_the_document_with_its_own_prefix(
    ingress: tuple[ReviewSite, FakeSupervisor, str],
) -> None:
    _, supervisor, origin = ingress
    first = httpx.get(f"{origin}{supervisor.ingress_path}/openapi.json", timeout=10).json()
    supervisor.ingress_token = "Pq8Zr2Lm5Tx9Wc3Vb6Nd1Hj4Ks7Fg0Ya"

    second = httpx.get(f"{origin}{supervisor.ingress_path}/openapi.json", timeout=10).json()

    assert first["servers"] != second["servers"]
    assert second["servers"] == [{"url": "/api/hassio_ingress/Pq8Zr2Lm5Tx9Wc3Vb6Nd1Hj4Ks7Fg0Ya"}]


def test_outside_ingress_the_docs_are_at_the_root_and_name_no_server(site: ReviewSite) -> None:
    page = httpx.get(f"{site.url}/docs", timeout=10)
    document = httpx.get(f"{site.url}/openapi.json", timeout=10).json()

    urls = _urls_in(page.text)
    assert "/openapi.json" in urls
    assert {url for url in urls if not url.startswith("/docs/")} == {"/openapi.json"}
    assert "servers" not in document
    assert httpx.get(f"{site.url}/docs/assets/swagger-ui.css", timeout=10).status_code == 200


def test_the_docs_are_refused_to_anyone_but_the_ingress_proxy(
    ingress: tuple[ReviewSite, FakeSupervisor, str],
) -> None:
    site, _, _ = ingress

    for path in ("/docs", "/openapi.json", "/docs/assets/swagger-ui-bundle.js"):
        assert httpx.get(f"{site.url}{path}", timeout=10).status_code == 403, path
