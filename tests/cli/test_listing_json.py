"""`runs ls --json` reads and encodes its rows without an entity or a dict per run; its text is, byte for byte, what
`json.dumps` makes of each listed run's `Run.to_dict()` without the config."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synvita.cli.app import app
from synvita.store import NewRun, Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tui"))
from seed import seed_demo

NOW = 1_800_000_000.0
"""The clock while listing: a running run's duration counts to now."""


@pytest.fixture
def demo(db_path, monkeypatch):
    """The TUI's demo database (every stage and status, dependencies, a running run) and a run whose names need
    escaping and that depends on two runs; no run is reaped while listing."""
    monkeypatch.setenv("SYNVITA_LOST_AFTER", "0")
    monkeypatch.setattr(time, "time", lambda: NOW)
    with Store.open(db_path) as store:
        roles = seed_demo(store)
        store.create_runs([NewRun('exp "é" \\ 100%', "s-odd", "train", variant="tab\there", seed=7,
                                  depends_on=[roles["world"], roles["score"]])])
    return db_path


@pytest.mark.parametrize(
    "args, query",
    [
        ([], {"limit": 50}),
        (["-n", "0"], {}),
        (["-n", "3"], {"limit": 3}),
        (["--status", "running,failed"], {"status": ["running", "failed"], "limit": 50}),
        (["--stage", "train"], {"stage": "train", "limit": 50}),
        (["-q", "lavie"], {"text": "lavie", "limit": 50}),
        (["--experiment", "nobody"], {"experiment": "nobody"}),
    ],
)
def test_the_listing_is_json_dumps_of_the_runs_dicts(demo, args, query):
    result = CliRunner().invoke(app, ["--db", str(demo), "runs", "ls", "--json", *args])
    assert result.exit_code == 0, result.stderr
    with Store.open(demo) as store:
        expected = [{k: v for k, v in run.to_dict().items() if k != "config"} for run in store.list_runs(**query)]
    assert result.stdout == json.dumps(expected, indent=2, default=str, ensure_ascii=False) + "\n"
    if not args:
        assert any(row["status"] == "running" and row["duration"] for row in expected)
        assert any(len(row["depends_on"]) == 2 for row in expected)
