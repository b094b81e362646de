"""Fleet fixtures: simulated homes in the fleet layout, a fresh PostgreSQL database, a cluster."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from homehabits.fleet.simulate import write_fleet_home
from tests.api.conftest import (  # noqa: F401 - the service fixtures of tests/api, for the API test
    home_assistant,
    make_settings,
    start_service,
)
from tests.required_services import missing_service

POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
#: Small homes: a week each, a fifth of the sensor chatter; enough for their habits.
HOMES = 20
DAYS = 7
SIZE = 0.2


async def _postgres_admin(statement: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction.
    async with await psycopg.AsyncConnection.connect(
        POSTGRES_ADMIN_DSN, autocommit=True, connect_timeout=5
    ) as connection:
        await connection.execute(statement)


@pytest.fixture
def fleet_postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test only, dropped after it."""
    name = f"homehabits_fleet_{uuid4().hex[:12]}"
    try:
        asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, psycopg.Error) as err:
        missing_service(f"PostgreSQL on 127.0.0.1:5432 is not usable: {err}")
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def fleet_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HOMES simulated homes as `homehabits simulate --homes` writes them, and a corrupt one."""
    out = tmp_path_factory.mktemp("fleet")
    for index in range(HOMES):
        write_fleet_home(out, index, seed=100, days=DAYS, size=SIZE)
    corrupt = out / "home_id=corrupt"
    corrupt.mkdir()
    (corrupt / "events.parquet").write_bytes(b"PAR1 this is no Parquet file")
    (corrupt / "home.json").write_text('{"time_zone": "Europe/Berlin"}\n', encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def cluster_client() -> Iterator[object]:
    """A LocalCluster of two workers in this process (threads), for the module's tests."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()
