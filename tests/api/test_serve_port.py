"""`homehabits serve` on a port that is taken: one clear line, no URL, no schedule started."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from homehabits.cli import app


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_serve_on_a_taken_port_fails_naming_the_port_before_printing_a_url(
    taken_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from homehabits.api import server

    started: list[object] = []
    monkeypatch.setattr(server, "create_app", lambda *args, **kwargs: started.append(args))
    monkeypatch.setenv("HOMEHABITS_SOURCE", "demo")  # a home to analyse, so only the port is wrong

    result = CliRunner().invoke(
        app,
        [
            "serve",
            "--port",
            str(taken_port),
            "--db",
            f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}",
        ],
    )

    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert f"port {taken_port} on 127.0.0.1 is already in use" in said
    assert "http://" not in said
    assert started == []  # no app, so no scheduler, was made
