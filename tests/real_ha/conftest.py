"""The real Home Assistant instances of ../shared/real-ha, one fixture parametrized over both."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.required_services import missing_service


@dataclass(frozen=True)
class RealHomeAssistant:
    """One running Home Assistant: where it answers, its admin token and its config folder."""

    url: str
    token: str
    config_dir: Path
    dialect: str

    @property
    def version(self) -> str:
        """The version the instance wrote into its config folder."""
        return (self.config_dir / ".HA_VERSION").read_text().strip()

    @property
    def database(self) -> Path:
        """Its live recorder database."""
        return self.config_dir / "home-assistant_v2.db"

    def client(self) -> httpx.Client:
        """A REST client with the admin token, to see what Home Assistant shows."""
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )


@dataclass(frozen=True)
class _Instance:
    url: str
    token_file: Path
    config_dir: Path
    dialect: str


#: As ../shared/real-ha/README.md starts them (the modern one's chroot keeps /config under it).
_INSTANCES = {
    "ha-2024.3": _Instance(
        "http://127.0.0.1:18123",
        Path("/tmp/ha-accept/token"),
        Path("/tmp/ha-accept/config"),
        "legacy",
    ),
    "ha-modern": _Instance(
        "http://127.0.0.1:18124",
        Path("/tmp/ha-modern/token"),
        Path("/tmp/ha-modern/config"),
        "modern",
    ),
}


@pytest.fixture(scope="session", params=sorted(_INSTANCES))
def real_ha(request: pytest.FixtureRequest) -> RealHomeAssistant:
    """A real Home Assistant that answers with its admin token, or a skip (a failure in CI)."""
    instance = _INSTANCES[request.param]
    if not instance.token_file.is_file():
        missing_service(f"real Home Assistant {request.param}: no token at {instance.token_file}")
    token = instance.token_file.read_text().strip()
    try:
        answer = httpx.get(
            f"{instance.url}/api/", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
    except httpx.HTTPError as err:
        missing_service(
            f"real Home Assistant {request.param} at {instance.url} does not answer: {err}"
        )
    if answer.status_code != 200:
        missing_service(
            f"real Home Assistant {request.param} at {instance.url} answers {answer.status_code}"
        )
    return RealHomeAssistant(instance.url, token, instance.config_dir, instance.dialect)
