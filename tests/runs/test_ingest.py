"""Following a run's events.jsonl: by byte offset, a poll's cost independent of the file's length, non-finite
metrics failing their run without stopping ingestion."""

import json
import math
import os
from pathlib import Path

import pytest

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


def test_a_poll_reads_only_what_was_appended(store, monkeypatch):
    import synvita.events

    run = _running_run(store)
    events = Path(run.run_dir) / "events.jsonl"
    events.write_text("".join(_metric_line(i, 1.0 / (i + 1)) for i in range(200_000 - 50)))
    assert len(ingest_run_dir(store, run.id, run.run_dir)) == 200_000 - 50
    with open(events, "a") as fh:
        fh.write("".join(_metric_line(i, 0.5) for i in range(200_000 - 50, 200_000)))
    counted: list[int] = []  # the bytes of each read of events.jsonl (the reader preads a bare descriptor)
    pread = os.pread

    def counting_pread(fd: int, size: int, offset: int) -> bytes:
        data = pread(fd, size, offset)
        counted.append(len(data))
        return data

    monkeypatch.setattr(synvita.events.os, "pread", counting_pread)
    new = ingest_run_dir(store, run.id, run.run_dir)
    assert [e["seq"] for e in new] == list(range(200_000 - 50, 200_000))
    assert 0 < sum(counted) <= 8 * 1024  # the 50 new lines, not the 200k before them
    assert store.events_cursor(run.id) == 200_000


def test_a_partial_last_line_waits_and_its_bytes_are_read_again_once_complete(store):
    run = _running_run(store)
    events = Path(run.run_dir) / "events.jsonl"
    line = _metric_line(1, 0.25)
    events.write_text(_metric_line(0, 0.5) + line[:20])
    assert [e["seq"] for e in ingest_run_dir(store, run.id)] == [0]
    assert ingest_run_dir(store, run.id) == []
    with open(events, "a") as fh:
        fh.write(line[20:])
    assert [(e["seq"], e["value"]) for e in ingest_run_dir(store, run.id)] == [(1, 0.25)]
    assert store.events_position(run.id).seq == 2


def test_a_metric_is_stored_once_and_every_line_stays_in_the_event_log(store, db_path):
    import sqlite3

    run = _running_run(store)
    lines = [
        _metric_line(0, 2.0),
        json.dumps({"seq": 1, "ts": 1.0, "kind": "metric", "name": "acc", "value": 3, "step": 0, "split": "val"})
        + "\n",
        _metric_line(2, 1.5).replace('"step": 2', '"step": 0'),  # a resumed stage reports step 0 again
    ]
    (Path(run.run_dir) / "events.jsonl").write_text("".join(lines))
    ingest_run_dir(store, run.id)
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT count(*) FROM run_events WHERE kind = 'metric' AND seq IN (1, 2)").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM metrics").fetchone() == (2,)
    con.close()
    assert [(e.seq, e.kind, e.data) for e in store.events(run.id)] == [
        (0, "metric", {"name": "loss", "step": 0, "value": 2.0}),  # replaced in `metrics`, kept as an event
        (1, "metric", {"name": "acc", "value": 3, "step": 0, "split": "val"}),  # as written
        (2, "metric", {"name": "loss", "step": 0, "value": 1.5}),
    ]
    assert [e.seq for e in store.events(run.id, tail=2)] == [1, 2]
    assert [(m.name, m.step, m.value) for m in store.metrics(run.id)] == [("acc", 0, 3.0), ("loss", 0, 1.5)]


def test_thinning_and_after_step_read_the_series_by_its_key(store):
    run = _running_run(store)
    (Path(run.run_dir) / "events.jsonl").write_text("".join(_metric_line(i, float(i)) for i in range(10_001)))
    ingest_run_dir(store, run.id)
    thin = store.metrics(run.id, "loss", max_points=100)
    steps = [p.step for p in thin]
    assert steps[0] == 0 and steps[-1] == 10_000 and len(steps) <= 100
    assert len({b - a for a, b in zip(steps, steps[1:-1])}) == 1
    assert [p.step for p in store.metrics(run.id, "loss", after_step=9_997)] == [9_998, 9_999, 10_000]
    assert [p.step for p in store.metrics(run.id, "loss", after_step=9_000, max_points=3)] == [9_001, 9_501, 10_000]


@pytest.mark.parametrize("where", ["absolute", "relative"])
def test_a_weights_file_outside_the_run_directory_is_never_read(store, tmp_path, where):
    run = _running_run(store)
    outside = tmp_path / "elsewhere" / "weights.jsonl"
    outside.parent.mkdir()
    outside.write_text(json.dumps({"sample_id": "s0", "f_target": 0.5, "f_other": 0.1, "weight": 1.0}) + "\n")
    named = str(outside) if where == "absolute" else os.path.relpath(outside, run.run_dir)
    assert (Path(run.run_dir) / named).resolve() == outside.resolve()
    line = json.dumps({"seq": 0, "ts": 1.0, "kind": "weights", "path": named}) + "\n"
    (Path(run.run_dir) / "events.jsonl").write_text(line)
    [event] = ingest_run_dir(store, run.id)
    assert store.weights(run.id) == []
    [refused] = store.events(run.id)
    assert refused.kind == "log" and refused.data["level"] == "error"
    assert "points outside" in refused.data["msg"] and named in refused.data["msg"]
