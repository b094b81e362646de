"""The add-on's entry point: options.json into the settings, the Supervisor's proxy and token,
the mapped config folder only read, ingress the only way in."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from homehabits.addon import (
    SUPERVISOR_URL,
    AddonPlaces,
    addon_settings,
    container_settings,
)
from homehabits.app import create_app
from homehabits.exceptions import ConfigError
from tests.fakes.fake_home_assistant import FakeHomeAssistant, serve_in_thread
from tests.fakes.fake_supervisor import PROXY_ADDRESS, FakeSupervisor
from tests.shared_fixture import HA_FIXTURE
from tests.web.conftest import _serve

SUPERVISOR_TOKEN = "supervisor-token-3c9e7a1f5b2d8e4c"


def _options(tmp_path: Path, **options: Any) -> AddonPlaces:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "options.json").write_text(json.dumps(options), encoding="utf-8")
    config = tmp_path / "config"
    if not config.exists():
        shutil.copytree(HA_FIXTURE, config)
    return AddonPlaces(options_file=data / "options.json", data_folder=data, config_folder=config)


def test_the_options_become_the_settings_and_the_add_on_chooses_the_rest(tmp_path: Path) -> None:
    places = _options(
        tmp_path,
        schedule="15 4 * * *",
        analysis_days=14,
        service_users=["Node-RED", "AppDaemon"],
        dialect="auto",
        openai_model="",  # cleared in the add-on's configuration tab
    )

    settings = addon_settings(places, {"SUPERVISOR_TOKEN": SUPERVISOR_TOKEN})

    assert settings.schedule == "15 4 * * *"
    assert settings.analysis_days == 14
    assert settings.service_users == ["Node-RED", "AppDaemon"]
    assert settings.openai_model is None
    assert settings.source == f"ha-config:{places.config_folder}"
    assert settings.database_url == f"sqlite+aiosqlite:///{places.data_folder}/homehabits.db"
    assert settings.ha_url == SUPERVISOR_URL
    assert settings.ha_token == SUPERVISOR_TOKEN
    assert settings.ingress is True
    assert settings.ingress_proxy == "172.30.32.2"
    assert (settings.host, settings.port) == ("0.0.0.0", 8018)
    assert settings.api_token is None


def test_no_options_file_is_every_default(tmp_path: Path) -> None:
    places = _options(tmp_path)
    places.options_file.unlink()

    settings = addon_settings(places, {"SUPERVISOR_TOKEN": SUPERVISOR_TOKEN})

    assert settings.analysis_days == 30
    assert settings.schedule == "0 3 * * *"


def test_an_unknown_option_is_refused_by_its_name(tmp_path: Path) -> None:
    places = _options(tmp_path, analysis_dayz=14)

    with pytest.raises(ConfigError, match="'analysis_dayz' is not an option") as caught:
        addon_settings(places, {"SUPERVISOR_TOKEN": SUPERVISOR_TOKEN})

    assert "did you mean 'analysis_days'?" in str(caught.value)


def test_an_option_the_add_on_chooses_itself_is_refused(tmp_path: Path) -> None:
    places = _options(tmp_path, host="0.0.0.0", ha_token="mine")

    with pytest.raises(ConfigError) as caught:
        addon_settings(places, {"SUPERVISOR_TOKEN": SUPERVISOR_TOKEN})

    assert "'host' is chosen by the add-on itself" in str(caught.value)
    assert "'ha_token' is chosen by the add-on itself" in str(caught.value)


def test_a_bad_value_names_the_option_it_came_from(tmp_path: Path) -> None:
    places = _options(tmp_path, analysis_days=0)

    with pytest.raises(ConfigError, match="add-on option 'analysis_days'"):
        addon_settings(places, {"SUPERVISOR_TOKEN": SUPERVISOR_TOKEN})


def test_outside_the_supervisor_there_is_no_token_to_use(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SUPERVISOR_TOKEN is not set"):
        addon_settings(_options(tmp_path), {})


def test_the_container_alone_reads_its_mounts_and_asks_for_an_api_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    places = _options(tmp_path)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    for name in ("HOMEHABITS_API_TOKEN", "HOMEHABITS_HOST", "HOMEHABITS_SOURCE"):
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(ConfigError, match="HOMEHABITS_API_TOKEN"):
        container_settings(places, {})

    monkeypatch.setenv("HOMEHABITS_API_TOKEN", "container-api-token-7e2b9c4d1a")
    settings = container_settings(places, {"HOMEHABITS_API_TOKEN": "set"})
    assert settings.source == f"ha-config:{places.config_folder}"
    assert settings.host == "0.0.0.0"
    assert settings.ingress is False


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def supervisor() -> Iterator[tuple[FakeSupervisor, str]]:
    """The fake Supervisor over HTTP, its Home Assistant taking only the add-on's token."""
    fake = FakeSupervisor(FakeHomeAssistant(token=SUPERVISOR_TOKEN, version="2024.3.3"))
    url, stop = serve_in_thread(fake.app)
    yield fake, url
    stop()


def test_the_add_on_talks_through_the_supervisor_and_only_reads_the_config_folder(
    tmp_path: Path, supervisor: tuple[FakeSupervisor, str]
) -> None:
    fake, supervisor_url = supervisor
    places = _options(tmp_path, analysis_days=366, time_zone="Europe/Berlin")
    places = AddonPlaces(
        options_file=places.options_file,
        data_folder=places.data_folder,
        config_folder=places.config_folder,
        supervisor_url=f"{supervisor_url}/core",
    )
    assert places.config_folder is not None
    before = _tree(places.config_folder)
    settings = addon_settings(places, {"SUPERVISOR_TOKEN": SUPERVISOR_TOKEN})
    # the proxy of this test connects from another loopback address than the Supervisor's
    settings = settings.model_copy(update={"ingress_proxy": PROXY_ADDRESS, "host": "127.0.0.1"})
    addon_url, stop = _serve(create_app(settings))
    fake.addon_url = addon_url
    ingress = f"{supervisor_url}{fake.ingress_path}"
    try:
        health = httpx.get(f"{ingress}/health", timeout=30).json()
        started = httpx.post(f"{ingress}/api/analysis/run", timeout=30)
        assert started.status_code in {200, 202}, started.text
        run = _finished_run(ingress)
        directly = httpx.get(f"{addon_url}/api/suggestions", timeout=10)
    finally:
        stop()

    # the fake Home Assistant answers "token_refused" to any token but the Supervisor's
    assert health["home_assistant"] == "ok", health
    assert any(request.path.startswith("/core/api") for request in fake.home_assistant.requests)
    assert run["status"] in {"succeeded", "success", "ok", "finished"}, run
    # the add-on keeps its own database in /data, and never writes in the config folder
    assert (places.data_folder / "homehabits.db").is_file()
    assert _tree(places.config_folder) == before
    assert directly.status_code == 403


def _finished_run(ingress: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = httpx.get(f"{ingress}/api/analysis/runs?limit=1", timeout=10).json()
        items = runs["items"] if isinstance(runs, dict) else runs
        if items and items[0]["status"] != "running":
            return dict(items[0])
        time.sleep(0.5)
    raise AssertionError("the analysis did not finish within 120 s")


# the add-on lives at the repository root, where the Supervisor builds it (test_addon_build.py)
_ADDON = Path(__file__).resolve().parents[1]


def test_the_add_on_s_default_options_are_accepted_and_every_option_is_translated(
    tmp_path: Path,
) -> None:
    import yaml

    config = yaml.safe_load((_ADDON / "config.yaml").read_text(encoding="utf-8"))
    names = yaml.safe_load((_ADDON / "translations" / "en.yaml").read_text(encoding="utf-8"))
    places = _options(tmp_path, **config["options"])

    settings = addon_settings(places, {"SUPERVISOR_TOKEN": SUPERVISOR_TOKEN})

    assert settings.schedule == config["options"]["schedule"]
    assert set(config["options"]) <= set(config["schema"])
    assert set(config["schema"]) == set(names["configuration"])
    assert (config["ingress"], config["ingress_port"]) == (True, settings.port)
    assert config["homeassistant_api"] is True
    assert {"type": "homeassistant_config", "read_only": True, "path": "/config"} in config["map"]
