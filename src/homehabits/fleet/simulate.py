"""Simulated homes in the fleet's folder layout, for trying `homehabits fleet` and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from homehabits.exceptions import ConfigError
from homehabits.fleet.homes import EVENTS_NAME, HOME_ID_PREFIX
from homehabits.sources.home_file import HOME_FILE_NAME, write_home_file
from homehabits.sources.simulator import SimulationConfig, simulate_home

__all__ = ["SimulatedFleetHome", "home_id_of", "write_fleet_home"]


@dataclass(frozen=True, slots=True)
class SimulatedFleetHome:
    """One home written: its id, folder and how many state changes it holds."""

    home_id: str
    folder: Path
    events: int


def home_id_of(index: int) -> str:
    """The id of the index-th simulated home: home-0001, home-0002, …"""
    return f"home-{index + 1:04d}"


def write_fleet_home(
    out: Path,
    index: int,
    *,
    seed: int = 42,
    days: int = 30,
    size: float = 1.0,
    noise: str = "default",
) -> SimulatedFleetHome:
    """Simulate the index-th random home (seed + index) into out/home_id=H/."""
    if index < 0:
        raise ConfigError(f"a home's index is 0 or more, not {index}")
    home = simulate_home(
        SimulationConfig(seed=seed + index, days=days, size=size, noise=noise, randomize=True)
    )
    home_id = home_id_of(index)
    folder = out / f"{HOME_ID_PREFIX}{home_id}"
    folder.mkdir(parents=True, exist_ok=True)
    home.frame.write_parquet(folder / EVENTS_NAME)
    write_home_file(home.context, folder / HOME_FILE_NAME)
    return SimulatedFleetHome(home_id, folder, home.frame.height)
