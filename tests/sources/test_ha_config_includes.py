"""A config folder that splits its automations into included files, and where its database is."""

from __future__ import annotations

import shutil
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from homehabits.exceptions import ConfigError, SourceFormatError
from homehabits.sources import ha_config
from homehabits.sources.ha_config import HaConfigSource
from tests.shared_fixture import HA_FIXTURE


@pytest.fixture
def config_folder(tmp_path: Path) -> Path:
    """A temporary copy of the real Home Assistant 2024.3.3 folder."""
    if not HA_FIXTURE.is_dir():
        pytest.skip("the shared Home Assistant fixture is not on this machine")
    folder = tmp_path / "config"
    shutil.copytree(HA_FIXTURE, folder)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return folder


def _automation(alias: str, entity_id: str) -> dict[str, Any]:
    return {
        "id": alias.lower().replace(" ", "_"),
        "alias": alias,
        "trigger": [{"platform": "time", "at": "07:00:00"}],
        "action": [{"service": "light.turn_on", "target": {"entity_id": entity_id}}],
    }


def _write(path: Path, content: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, sort_keys=False))


def _configuration(folder: Path, automation_lines: str) -> None:
    """The fixture's configuration.yaml with its `automation:` line replaced."""
    path = folder / "configuration.yaml"
    text = path.read_text().replace("automation: !include automations.yaml\n", automation_lines)
    path.write_text(text)


async def test_automations_in_a_merged_folder_are_known_and_not_read_twice(
    config_folder: Path,
) -> None:
    # the usual way to split automations: one list per file under automations/
    (config_folder / "automations.yaml").rename(config_folder / "ui.yaml")
    ui = yaml.safe_load((config_folder / "ui.yaml").read_text())
    (config_folder / "ui.yaml").unlink()
    _write(config_folder / "automations" / "lights.yaml", ui)
    _write(
        config_folder / "automations" / "more" / "kitchen.yaml",
        [_automation("Kitchen", "light.kitchen_lights")],
    )
    _write(
        config_folder / "automations" / ".hidden.yaml", [_automation("Hidden", "light.bed_light")]
    )
    _configuration(config_folder, "automation: !include_dir_merge_list automations/\n")
    source = HaConfigSource(config_folder)

    context = await source.read_context()

    assert sorted(a.alias for a in context.automations) == [
        "Ceiling follows decorative switch",
        "Evening lights",
        "Kitchen",
    ]
    assert not source.warnings


async def test_every_include_form_of_home_assistant_is_followed(config_folder: Path) -> None:
    _configuration(
        config_folder,
        "automation: !include automations.yaml\n"
        "automation listed: !include_dir_list automation_list/\n"
        "automation named: !include_dir_named automation_named/\n"
        "automation merged: !include_dir_merge_named automation_merged/\n"
        "automation single: !include one_more.yaml\n",
    )
    _write(config_folder / "automation_list" / "porch.yaml", _automation("Porch", "light.porch"))
    _write(
        config_folder / "automation_named" / "office.yaml", _automation("Office", "light.office")
    )
    _write(
        config_folder / "automation_merged" / "bed.yaml",
        {"bed": _automation("Bed", "light.bed_light")},
    )
    _write(config_folder / "one_more.yaml", [_automation("Hall", "light.hall")])
    source = HaConfigSource(config_folder)

    context = await source.read_context()

    aliases = [a.alias for a in context.automations]
    assert sorted(aliases) == [
        "Bed",
        "Ceiling follows decorative switch",
        "Evening lights",
        "Hall",
        "Office",
        "Porch",
    ]
    assert len(aliases) == len(set(aliases))  # automations.yaml, included, is read once


async def test_an_include_that_cannot_be_read_is_a_warning_naming_it(config_folder: Path) -> None:
    _configuration(
        config_folder,
        "automation: !include automations.yaml\n"
        "automation split: !include_dir_merge_list automations/\n"
        "automation gone: !include_dir_list nowhere/\n",
    )
    (config_folder / "automations").mkdir()
    (config_folder / "automations" / "broken.yaml").write_text("- alias: [unclosed\n")
    source = HaConfigSource(config_folder)

    context = await source.read_context()

    assert len(context.automations) == 2  # the readable ones are still known
    warnings = " | ".join(source.warnings)
    assert "configuration.yaml, line 31: !include_dir_merge_list automations/: not read" in warnings
    assert "broken.yaml, line 1: not valid YAML" in warnings
    assert "!include_dir_list nowhere/: no such folder" in warnings
    assert "may be suggested back" in warnings


@pytest.fixture
def yaml_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads the config-folder source reads YAML files in."""
    threads: list[str] = []
    real_load_yaml = ha_config.load_yaml

    def recording_load_yaml(path: Path, **options: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real_load_yaml(path, **options)

    monkeypatch.setattr(ha_config, "load_yaml", recording_load_yaml)
    return threads


async def test_the_folder_is_read_in_a_worker_thread_not_on_the_event_loop(
    config_folder: Path, yaml_threads: list[str]
) -> None:
    threads = yaml_threads
    loop_thread = threading.current_thread().name

    source = HaConfigSource(config_folder)
    context = await source.read_context()

    assert context.automations
    assert threads
    assert loop_thread not in threads


async def test_asking_the_schema_version_first_reads_the_folder_off_the_event_loop(
    config_folder: Path, yaml_threads: list[str]
) -> None:
    threads = yaml_threads
    loop_thread = threading.current_thread().name

    version = await HaConfigSource(config_folder).read_schema_version()

    assert version > 0
    assert threads
    assert loop_thread not in threads


async def test_broken_configuration_yaml_is_reported_when_read_not_when_named(
    config_folder: Path,
) -> None:
    (config_folder / "configuration.yaml").write_text("recorder:\n  db_url: [unclosed\n")

    source = HaConfigSource(config_folder)  # naming the folder reads nothing yet

    with pytest.raises(SourceFormatError, match=r"configuration\.yaml, line 2: not valid YAML"):
        await source.read_context()


async def test_an_absolute_db_url_outside_the_copied_folder_is_named_and_warned(
    config_folder: Path, tmp_path: Path
) -> None:
    live = tmp_path / "live" / "home-assistant_v2.db"
    live.parent.mkdir()
    shutil.copy(config_folder / "home-assistant_v2.db", live)
    (config_folder / "secrets.yaml").write_text(f'recorder_db_url: "sqlite:///{live}"\n')
    source = HaConfigSource(config_folder)

    context = await source.read_context()
    end = source.default_window_end()
    assert end is not None
    read = await source.read_events(end.replace(year=end.year - 1), end, context)

    assert str(live) in source.description
    [warning] = [w for w in read.warnings if "outside" in w]
    assert str(live) in warning
    assert str(config_folder) in warning


async def test_the_container_path_of_the_fixture_stays_inside_the_folder_without_a_warning(
    config_folder: Path,
) -> None:
    source = HaConfigSource(config_folder)

    await source.read_context()

    assert f"recorder database sqlite:///{config_folder / 'home-assistant_v2.db'}" in (
        source.description
    )
    assert not source.warnings


async def test_a_folder_that_says_no_time_zone_anywhere_is_refused(config_folder: Path) -> None:
    path = config_folder / "configuration.yaml"
    path.write_text(path.read_text().replace("  time_zone: Europe/Berlin\n", ""))

    with pytest.raises(ConfigError, match=r"give --time-zone \(and --latitude/--longitude"):
        await HaConfigSource(config_folder).read_context()


async def test_a_given_time_zone_and_location_are_used_when_the_folder_has_none(
    config_folder: Path,
) -> None:
    from homehabits.context import Location

    path = config_folder / "configuration.yaml"
    text = path.read_text()
    for line in ("  time_zone: Europe/Berlin\n", "  latitude: 52.52\n", "  longitude: 13.405\n"):
        text = text.replace(line, "")
    path.write_text(text)
    source = HaConfigSource(
        config_folder, time_zone_override="Europe/Paris", location_override=Location(48.85, 2.35)
    )

    context = await source.read_context()

    assert context.time_zone == "Europe/Paris"
    assert context.location == Location(48.85, 2.35)
