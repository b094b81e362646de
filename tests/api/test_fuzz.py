"""The API under generated requests: schemathesis, from the service's own OpenAPI document."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from homehabits.app import create_app
from homehabits.config import Settings
from tests.api.conftest import API_TOKEN, small_demo_home
from tests.fakes.fake_home_assistant import FakeHomeAssistant

# Generated cases per operation, per way of asking (valid/invalid data, with/without the token).
_EXAMPLES = 25
_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _serve(app: Any) -> Iterator[str]:
    """Run the app with uvicorn (lifespan on) on a free loopback port; yield its URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="homehabits-under-fuzz", daemon=True)
    thread.start()
    started = threading.Event()
    while not started.wait(0.01):
        if server.started or not thread.is_alive():
            started.set()
    assert server.started, "the service did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def service_url(
    make_settings: Callable[..., Settings], home_assistant: FakeHomeAssistant
) -> Iterator[str]:
    app = create_app(
        make_settings(api_token=API_TOKEN),
        ha_transport=home_assistant.transport(),
        source_factory=small_demo_home,
    )
    yield from _serve(app)


def test_a_thousand_generated_requests_get_no_server_error_and_match_the_openapi_document(
    service_url: str,
) -> None:
    import requests

    with requests.Session() as http:
        # something to find: one analysis, so ids point at real suggestions and runs
        started = http.post(
            f"{service_url}/api/analysis/run", headers={"Authorization": f"Bearer {API_TOKEN}"}
        )
        assert started.status_code == 202, started.text
        document = http.get(f"{service_url}/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    answered: Counter[int] = Counter()
    failures: list[str] = []
    server_errors: list[str] = []

    def fuzz(strategy: Any, headers: dict[str, str]) -> None:
        @settings(
            max_examples=_EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def ask(case: schemathesis.Case) -> None:
            response = case.call(base_url=service_url, headers=headers, timeout=30)
            answered[response.status_code] += 1
            if response.status_code >= 500:
                server_errors.append(f"{case.as_curl_command()} -> {response.text[:200]}")
            try:
                case.validate_response(response, checks=_CHECKS)
            except BaseExceptionGroup as err:  # gathered: one report of every mismatch
                failures.append(f"{case.method} {case.formatted_path}: {err}"[:600])

        try:
            ask()
        except Exception as err:
            if "Unsatisfiable" not in type(err).__name__:  # e.g. no invalid /health
                raise

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for token in (API_TOKEN, None):
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                fuzz(operation.as_strategy(generation_mode=mode), headers)

    total = sum(answered.values())
    print(f"\n{total} generated requests answered: {dict(sorted(answered.items()))}")
    assert total >= 1000
    assert not server_errors, "\n".join(server_errors[:10])
    assert not failures, "\n\n".join(failures[:10])
