"""End to end on the `tiny` world preset: world → generate → pretrain → score → train → evaluate, via the stages."""

import json

import pytest

from synvita.events import read_events

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    from synvita.training.compare import main

    out = tmp_path_factory.mktemp("compare")
    rc = main(["--preset", "tiny", "--out", str(out), "--variants", "none", "synvita", "--jobs", "1",
               "--set", "world.preset=\"tiny\"", "--set", "scorers.steps=4", "--set", "train.steps=3",
               "--set", "train.batch_size=4", "--set", "scorers.batch_size=4"])
    assert rc == 0
    return out


def test_score_stage_writes_weights_rows_and_event(compared):
    events = list(read_events(compared / "score"))
    assert any(e["kind"] == "weights" and e["path"] == "weights.jsonl" for e in events)
    rows = [json.loads(line) for line in (compared / "score" / "weights.jsonl").read_text().splitlines()]
    assert rows and all(0.0 <= r["weight"] <= 1.0 for r in rows)
    assert {r["misalignment"] for r in rows} <= {"object", "action", "attribute", "count", "relation", "hallucination", "flip"}


def test_train_stage_reports_the_three_losses_and_saves_the_model(compared):
    names = {e["name"] for e in read_events(compared / "train-synvita-s0") if e["kind"] == "metric"}
    assert {"loss_real", "loss_synth", "loss_scr"} <= names
    assert (compared / "train-synvita-s0" / "model" / "config.json").exists()
    assert (compared / "train-synvita-s0" / "checkpoint.pt").exists()


def test_evaluate_stage_reports_benchmarks_types_and_controls(compared):
    results = [e for e in read_events(compared / "evaluate-none-s0") if e["kind"] == "result"]
    benches = {r["benchmark"] for r in results}
    assert benches == {"entail-llm", "entail-human", "entail-human-hard", "retrieval-temporal", "retrieval-events", "qa-hard"}
    assert {r["control"] for r in results} == {None, "shuffled", "single-frame"}
    assert any(r["subset"] == "type=flip" for r in results)
    assert all(0.0 <= r["value"] <= 100.0 for r in results)
    assert (compared / "evaluate-none-s0" / "predictions" / "entail-llm.csv").exists()


def test_a_rerun_of_train_resumes_from_its_checkpoint(compared):
    from synvita.stages import execute

    run_dir = compared / "train-none-s0"
    before = [e for e in read_events(run_dir) if e["kind"] == "metric" and e["name"] == "loss_real"]
    execute(run_dir)  # the worker's entry point; the checkpoint says all steps are done
    after = [e for e in read_events(run_dir) if e["kind"] == "metric" and e["name"] == "loss_real"]
    assert len(after) == len(before)  # no step was trained twice
