"""Helpers for CLI tests: fill a real database through the store (no ML, no worker) and snapshot it."""

from __future__ import annotations

import json
from pathlib import Path

from synvita import report
from synvita.api import Api
from synvita.runs.ingest import parse_events
from synvita.store import NewRun

BENCHMARKS = report.default_benchmarks()

TINY_EXPERIMENT = """
name = "tiny-cli"
seeds = [0]
[world]
preset = "tiny"
[train]
variants = ["none", "synvita"]
[evaluate]
benchmarks = []
"""


def finish_run(api: Api, submission: str, stage: str, *, events=(), weights=None, status="succeeded", **fields) -> str:
    """Create one run, claim it, ingest its events (and a weights file), and finish it with `status`."""
    store = api.store
    [run] = store.create_runs([NewRun(experiment=fields.pop("experiment", "exp"), submission=submission, stage=stage, **fields)])
    assert store.claim_next("w-test", submission=submission).id == run.id
    payload = list(events)
    if weights is not None:
        Path(run.run_dir).mkdir(parents=True, exist_ok=True)
        (Path(run.run_dir) / "weights.jsonl").write_text("".join(json.dumps(w) + "\n" for w in weights))
        payload.append({"kind": "weights", "path": "weights.jsonl"})
    lines = [{"seq": i, "ts": 1.0e9 + i, **e} for i, e in enumerate(payload)]
    store.ingest_events(run.id, parse_events(lines, run.run_dir))
    store.finish(run.id, status, error=None if status == "succeeded" else "boom")
    return run.id


def snapshot(db_path: Path) -> list[tuple]:
    """Everything a bad command must leave unchanged: every run's id, status, attempt and error."""
    with Api(db=db_path) as api:
        return sorted((r.id, r.status, r.attempt, r.error) for r in api.list_runs())
