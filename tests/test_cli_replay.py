"""The replay of each suggestion in `--json` and in `suggestions show`, for a demo-home run."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from homehabits.cli import app
from homehabits.phrasing import replay_sentence

_FIGURES = {"fires", "useful", "idle", "wrong", "saved", "wrong_rate"}


def test_every_suggestion_of_the_demo_home_carries_its_replay(tmp_path: Path) -> None:
    runner = CliRunner()
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'homehabits.db'}"
    analysed = runner.invoke(app, ["analyze", "--demo", "--db", db_url, "--json"])
    assert analysed.exit_code == 0, analysed.output
    document = json.loads(analysed.stdout)
    assert "replay" in document["run"]["phase_seconds"]

    listed = runner.invoke(app, ["suggestions", "list", "--db", db_url, "--json"])
    assert listed.exit_code == 0, listed.output
    suggestions = json.loads(listed.stdout)
    assert suggestions
    for suggestion in suggestions:
        replay = suggestion["replay"]
        assert set(replay) >= _FIGURES
        assert replay["fires"] == replay["useful"] + replay["idle"] + replay["wrong"]
        assert len(replay["wrong_times"]) == min(replay["wrong"], 50)
        assert "condition_note" in suggestion
    busiest = max(suggestions, key=lambda s: s["replay"]["fires"])
    replay = busiest["replay"]

    shown = runner.invoke(app, ["suggestions", "show", str(busiest["id"]), "--db", db_url])
    one = runner.invoke(app, ["suggestions", "show", str(busiest["id"]), "--db", db_url, "--json"])

    assert shown.exit_code == 0, shown.output
    sentence = replay_sentence(
        fires=replay["fires"],
        useful=replay["useful"],
        idle=replay["idle"],
        wrong=replay["wrong"],
        saved=replay["saved"],
        days=replay["days"],
    )
    assert sentence.startswith(f"would have fired {replay['fires']} times in {replay['days']} days")
    assert f"Replay: {sentence}" in " ".join(shown.stdout.split())
    assert json.loads(one.stdout)["replay"] == replay
