"""Following a run's events.jsonl: by byte offset, a poll's cost independent of the file's length, non-finite
metrics failing their run without stopping ingestion."""

import json
import math
from pathlib import Path

import pytest

from synvita.runs import ingest as ingest_module
from synvita.runs.ingest import ingest_run_dir
from synvita.store import NewRun


def _metric_line(seq: int, value: float, name: str = "loss") -> str:
    return json.dumps({"seq": seq, "ts": 1.0, "kind": "metric", "name": name, "value": value, "step": seq}) + "\n"


def _running_run(store, stage="debug.noop"):
    (run,) = store.create_runs([NewRun("exp", "s", stage)])
    store.claim_next("w")
    Path(run.run_dir).mkdir(parents=True)
    return store.get_run(run.id)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_metric_fails_the_run_and_ingestion_goes_on(store, bad):
    run = _running_run(store)
    other = _running_run(store)
    events = Path(run.run_dir) / "events.jsonl"
    events.write_text(_metric_line(0, 2.0) + _metric_line(1, bad) + _metric_line(2, 1.0, name="lr"))
    assert len(ingest_run_dir(store, run.id)) == 3
    failed = store.get_run(run.id)
    assert failed.status == "failed"
    assert failed.error == f"metric 'loss' is {'NaN' if math.isnan(bad) else bad} at step 1 (not recorded)"
    assert [(m.name, m.step) for m in store.metrics(run.id)] == [("loss", 0), ("lr", 2)]
    refused = store.events(run.id, kinds=["log"])
    assert [e.seq for e in refused] == [1] and refused[0].data["level"] == "error"
    assert refused[0].data["msg"] == failed.error
    # what the worker does next: the job's own verdict never overwrites the failure; later lines still arrive
    assert store.finish(run.id, "succeeded").status == "failed"
    with open(events, "a") as fh:
        fh.write(_metric_line(3, 0.5))
    assert len(ingest_run_dir(store, run.id)) == 1
    assert store.latest_metrics(run.id)[run.id]["loss"].value == 0.5
    # another run's events are ingested as usual
    (Path(other.run_dir) / "events.jsonl").write_text(_metric_line(0, 3.0))
    assert len(ingest_run_dir(store, other.id)) == 1 and store.get_run(other.id).status == "running"


def test_a_non_finite_result_is_refused_the_same_way(store):
    run = _running_run(store)
    line = {"seq": 0, "ts": 1.0, "kind": "result", "benchmark": "b", "metric": "acc", "value": math.nan}
    (Path(run.run_dir) / "events.jsonl").write_text(json.dumps(line) + "\n")
    ingest_run_dir(store, run.id)
    assert store.results(run.id) == []
    assert store.get_run(run.id).error == "result b/acc is NaN (not recorded)"
