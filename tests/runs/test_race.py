"""Four worker processes racing over 200 queued runs execute each exactly once."""

import collections
from pathlib import Path

import pytest

from synvita.store import NewRun


@pytest.mark.slow
def test_four_workers_execute_200_runs_exactly_once(store, db_path, start_worker_process):
    runs = store.create_runs([NewRun("race", "s-race", "debug.noop", seed=i) for i in range(200)])
    procs = [
        start_worker_process(db_path, "--until-idle", "--poll", "0.01", "--heartbeat", "1", "--print-claims",
                             "--worker-id", f"w{i}")
        for i in range(4)
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outputs.append(out.split())
    claimed = [rid for out in outputs for rid in out]
    counts = collections.Counter(claimed)
    assert len(claimed) == 200 and set(counts) == {r.id for r in runs}, counts.most_common(3)
    assert store.count_runs(status="succeeded") == 200
    # each stage body ran exactly once: one "noop stage ran" line per run directory
    for run in runs:
        lines = (Path(run.run_dir) / "events.jsonl").read_text().count("noop stage ran")
        assert lines == 1, run.id
    workers = {r.worker for r in store.list_runs()}
    assert workers <= {"w0", "w1", "w2", "w3"}
    assert sum(1 for out in outputs if out) >= 2, "the race needs at least two workers actually claiming"
