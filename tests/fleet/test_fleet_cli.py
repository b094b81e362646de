"""`homehabits simulate --homes` and `homehabits fleet analyze` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from homehabits.cli import app


def _words(text: str) -> str:
    return " ".join(text.split())


def test_simulated_homes_are_analysed_by_the_fleet_command_and_a_rerun_skips_them(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    out = tmp_path / "homes"
    db = f"sqlite:///{tmp_path}/fleet.db"
    written = runner.invoke(
        app, ["simulate", "--homes", "2", "--out", str(out), "--days", "7", "--size", "0.2"]
    )
    assert written.exit_code == 0, written.output
    assert sorted(p.name for p in out.iterdir()) == ["home_id=home-0001", "home_id=home-0002"]
    assert (out / "home_id=home-0002" / "events.parquet").is_file()
    assert json.loads((out / "home_id=home-0002" / "home.json").read_text())["time_zone"]

    args = ["fleet", "analyze", "--homes", str(out), "--db", db, "--days", "7", "--workers", "1"]
    first = runner.invoke(app, [*args, "--json"])
    again = runner.invoke(app, args)

    assert first.exit_code == 0, first.output
    document = json.loads(first.stdout)
    assert document["summary"]["succeeded"] == 2
    assert all(home["suggestions"] > 0 for home in document["homes"])
    assert again.exit_code == 0, again.output
    assert "done 0 · failed 0 · skipped 2" in _words(again.stdout)


def test_fleet_flags_with_bad_values_are_refused_by_name(tmp_path: Path) -> None:
    runner = CliRunner()
    home = tmp_path / "homes" / "home_id=h1"
    home.mkdir(parents=True)
    (home / "events.parquet").write_bytes(b"")
    homes = str(tmp_path / "homes")

    no_workers = runner.invoke(app, ["fleet", "analyze", "--homes", homes, "--workers", "0"])
    bad_scheduler = runner.invoke(
        app, ["fleet", "analyze", "--homes", homes, "--scheduler", "localhost:8786"]
    )
    both = runner.invoke(
        app,
        ["fleet", "analyze", "--homes", homes, "--scheduler", "tcp://h:1", "--workers", "2"],
    )
    file_out = runner.invoke(app, ["simulate", "--homes", "2", "--out", str(tmp_path / "a.csv")])

    assert no_workers.exit_code == 2
    assert "--workers must be at least 1, not 0" in _words(no_workers.output)
    assert bad_scheduler.exit_code == 2
    assert "--scheduler 'localhost:8786': give the address as tcp://HOST:PORT" in _words(
        bad_scheduler.output
    )
    assert both.exit_code == 2
    assert "--workers sizes a local cluster" in _words(both.output)
    assert file_out.exit_code == 2
    assert "with --homes, --out is a folder" in _words(file_out.output)
