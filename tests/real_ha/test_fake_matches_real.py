"""The fake Home Assistant of tests/fakes answers like the real ones, where homehabits listens."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.fakes.fake_home_assistant import FakeHomeAssistant
from tests.fakes.serving import serve_in_thread
from tests.real_ha.conftest import RealHomeAssistant

pytestmark = pytest.mark.real_ha

#: What homehabits reads from /api/config (homeassistant/client.py).
_CONFIG_READ = {"version", "time_zone", "latitude", "longitude", "elevation", "location_name"}
_MODERN_AUTOMATION = {
    "alias": "homehabits fake-versus-real probe",
    "triggers": [{"trigger": "time", "at": "04:44:00"}],
    "actions": [
        {"action": "input_boolean.turn_on", "target": {"entity_id": "input_boolean.accept_trigger"}}
    ],
}


@pytest.fixture
def fake_like(real_ha: RealHomeAssistant) -> Iterator[tuple[str, str]]:
    """A fake of the same version with the real one's owner and entity, served on loopback."""
    fake = FakeHomeAssistant(version=real_ha.version, token="fake-token")
    fake.add_user("Home Assistant Content", system_generated=True)
    fake.token_user_id = fake.add_user("Acceptance Owner")
    fake.set_state("input_boolean.accept_trigger", "off", {"friendly_name": "Acceptance trigger"})
    url, stop = serve_in_thread(fake.app)
    yield url, fake.token
    stop()


def _ws(url: str, token: str, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with connect(url.replace("http", "ws", 1) + "/api/websocket", max_size=None) as socket:
        hello = json.loads(socket.recv())
        socket.send(json.dumps({"type": "auth", "access_token": token}))
        answers = [hello, json.loads(socket.recv())]
        for number, command in enumerate(commands, start=1):
            socket.send(json.dumps({"id": number, **command}))
            answers.append(json.loads(socket.recv()))
    return answers


def _body(response: httpx.Response) -> tuple[int, Any]:
    kind = response.headers.get("content-type", "")
    return response.status_code, response.json() if kind.startswith("application/json") else kind


def _answers(url: str, token: str) -> dict[str, Any]:
    """The shape of every answer homehabits relies on: keys, statuses and error bodies."""
    probe = f"homehabits_probe_{uuid.uuid4().hex[:10]}"
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        config = client.get("/api/config").json()
        states = client.get("/api/states").json()
        try:
            modern = client.post(f"/api/config/automation/config/{probe}", json=_MODERN_AUTOMATION)
        finally:
            client.delete(f"/api/config/automation/config/{probe}")
        rest = {
            "unauthorized": _body(httpx.get(f"{url}/api/config", timeout=30)),
            "running": _body(client.get("/api/")),
            "config keys": set(config),
            "unit system": config["unit_system"],
            "state keys": set(states[0]),
            "context keys": set(states[0]["context"]),
            "missing automation": _body(client.get("/api/config/automation/config/none_x")),
            "delete missing automation": _body(
                client.delete("/api/config/automation/config/none_x")
            ),
            "invalid JSON": _body(
                client.post("/api/config/automation/config/none_x", content=b"{not json")
            ),
            "modern automation": _body(modern),
            # only the trigger is missing: with two keys missing Home Assistant names either,
            # as its set order (PYTHONHASHSEED) falls
            "no trigger": _body(
                client.post(
                    "/api/config/automation/config/none_x",
                    json={"alias": "x", "action": [{"delay": 1}]},
                )
            ),
            "bad history time": _body(client.get("/api/history/period/not-a-time")),
        }
    hello, auth, me, users, config_of_none, unknown = _ws(
        url,
        token,
        [
            {"type": "auth/current_user"},
            {"type": "config/auth/list"},
            {"type": "automation/config", "entity_id": "automation.none"},
            {"type": "no/such_command"},
        ],
    )
    by_name = {user["name"]: user for user in users["result"]}
    ws = {
        "hello": (hello["type"], set(hello)),
        "auth": auth["type"],
        "current user keys": set(me["result"]),
        "current user": {key: me["result"][key] for key in ("name", "is_owner", "is_admin")},
        "owners": sorted(name for name, user in by_name.items() if user["is_owner"]),
        "user keys": {name: set(user) for name, user in by_name.items()},
        "owner credentials": by_name["Acceptance Owner"]["credentials"],
        "system user": {
            key: by_name["Home Assistant Content"][key]
            for key in ("credentials", "username", "system_generated")
        },
        "automation/config of none": config_of_none["error"],
        "unknown command": unknown["error"],
    }
    return {**rest, **ws}


def test_the_fake_answers_like_real_home_assistant_of_the_same_version(
    real_ha: RealHomeAssistant, fake_like: tuple[str, str]
) -> None:
    real = _answers(real_ha.url, real_ha.token)
    fake = _answers(*fake_like)

    # the fake shows fewer config keys than Home Assistant, but never one it does not have
    assert _CONFIG_READ <= fake.pop("config keys") <= real.pop("config keys")
    # units: each one the fake names is the real one's (newer versions add more, e.g. area)
    fake_units, real_units = fake.pop("unit system"), real.pop("unit system")
    assert fake_units.items() <= real_units.items()
    assert {"length", "temperature", "mass", "volume", "pressure"} <= set(fake_units)
    assert fake == real
