"""End to end on the `tiny` world preset: world → generate → pretrain → score → train → evaluate, via `synvita run`."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from synvita.api import Api
from synvita.events import read_events

pytestmark = pytest.mark.slow

EXPERIMENT = """
name = "stages"
seeds = [0]
[world]
preset = "tiny"
[scorers]
steps = 4
batch_size = 4
[train]
variants = ["none", "synvita"]
steps = 3
batch_size = 4
"""


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory):
    """The run directory of each run of one small experiment, by name: score, train-synvita-s0, evaluate-none-s0, ..."""
    root = tmp_path_factory.mktemp("stages")
    (root / "stages.toml").write_text(EXPERIMENT)
    db = root / "synvita.db"
    done = subprocess.run([sys.executable, "-m", "synvita.cli.app", "--db", str(db), "run", str(root / "stages.toml")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with Api(db=db) as api:
        runs = api.list_runs()
    return {"-".join([r.stage] + ([r.variant, f"s{r.seed}"] if r.variant else [])): Path(r.run_dir) for r in runs}


def test_score_stage_writes_weights_rows_and_event(run_dirs):
    events = list(read_events(run_dirs["score"]))
    assert any(e["kind"] == "weights" and e["path"] == "weights.jsonl" for e in events)
    rows = [json.loads(line) for line in (run_dirs["score"] / "weights.jsonl").read_text().splitlines()]
    assert rows and all(0.0 <= r["weight"] <= 1.0 for r in rows)
    assert {r["misalignment"] for r in rows} <= {"object", "action", "attribute", "count", "relation", "hallucination", "flip"}


def test_train_stage_reports_the_three_losses_and_saves_the_model(run_dirs):
    names = {e["name"] for e in read_events(run_dirs["train-synvita-s0"]) if e["kind"] == "metric"}
    assert {"loss_real", "loss_synth", "loss_scr"} <= names
    assert (run_dirs["train-synvita-s0"] / "model" / "config.json").exists()
    assert (run_dirs["train-synvita-s0"] / "checkpoint.pt").exists()


def test_evaluate_stage_reports_benchmarks_types_and_controls(run_dirs):
    results = [e for e in read_events(run_dirs["evaluate-none-s0"]) if e["kind"] == "result"]
    benches = {r["benchmark"] for r in results}
    assert benches == {"entail-llm", "entail-human", "entail-human-hard", "retrieval-temporal", "retrieval-events", "qa-hard"}
    assert {r["control"] for r in results} == {None, "shuffled", "single-frame"}
    assert any(r["subset"] == "type=flip" for r in results)
    assert all(0.0 <= r["value"] <= 100.0 for r in results)
    assert (run_dirs["evaluate-none-s0"] / "predictions" / "entail-llm.csv").exists()


def test_a_rerun_of_train_resumes_from_its_checkpoint(run_dirs):
    from synvita.stages import execute

    run_dir = run_dirs["train-none-s0"]
    before = [e for e in read_events(run_dir) if e["kind"] == "metric" and e["name"] == "loss_real"]
    execute(run_dir)  # the worker's entry point; the checkpoint says all steps are done
    after = [e for e in read_events(run_dir) if e["kind"] == "metric" and e["name"] == "loss_real"]
    assert len(after) == len(before)  # no step was trained twice
