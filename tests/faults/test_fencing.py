"""A worker stopped (SIGSTOP) past `--lost-after` while another worker retries its run: the stalled attempt's stage
ends itself once the retry owns the run directory, the resumed worker writes nothing into the run, and the run
ends once, with one winning attempt and no duplicate event."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from faults_helpers import pid_alive, wait_for

from synvita.store import NewRun

FAST = ["--poll", "0.05", "--heartbeat", "0.2", "--lost-after", "1", "--until-idle"]


def _worker(db_path, worker_id, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "synvita.runs.worker", "--db", str(db_path), "--worker-id", worker_id, *FAST, *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def test_a_worker_stopped_past_the_timeout_never_writes_into_the_retry_of_its_run(store, db_path):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 10})])
    first = _worker(db_path, "w-first")
    second = None
    stage_pids: list[int] = []
    try:
        wait_for(lambda: store.get_run(run.id).progress, timeout=30)  # the first attempt's stage is reporting
        stage_pids.append(int(store.job_id(run.id)))
        first.send_signal(signal.SIGSTOP)  # a stall longer than --lost-after; its stage goes on
        stopped_at = time.time()
        second = _worker(db_path, "w-second", "--retry-lost", "1")
        retried = wait_for(lambda: (r := store.get_run(run.id)).worker == "w-second" and store.job_id(run.id) and r,
                           timeout=30)
        assert retried.attempt == 2
        stage_pids.append(int(store.job_id(run.id)))
        # the first stage sees the retry's events file and ends itself (long before its sleep would end), while its
        # own worker is still stopped
        wait_for(lambda: not pid_alive(stage_pids[0]), timeout=5)
        assert time.time() - stopped_at > 1.0
        first.send_signal(signal.SIGCONT)
        for worker in (first, second):
            _, err = worker.communicate(timeout=60)
            assert worker.returncode == 0, err
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGCONT)
                worker.kill()
                worker.wait(timeout=10)
        for pid in stage_pids:
            _kill_group(pid)

    final = store.get_run(run.id)
    assert (final.status, final.attempt, final.error, final.worker) == ("succeeded", 2, None, "w-second")
    assert [(a.number, a.end_reason) for a in store.attempts(run.id)] == [(1, "lost"), (2, "succeeded")]
    assert not any(pid_alive(pid) for pid in stage_pids)  # no orphan of either attempt

    events = store.events(run.id)
    assert [e.seq for e in events] == list(range(len(events)))  # no duplicate, no gap
    lines = [json.loads(line) for line in (Path(run.run_dir) / "events.jsonl").read_text().splitlines()]
    assert [line["seq"] for line in lines] == list(range(len(lines)))
    assert len(lines) == len(events)
    # after the retry's first line only its own stage's events: a whole sleep, counted from 1, never interleaved
    starts = [e.seq for e in events if e.kind == "log" and e.data["msg"].startswith("attempt ")]
    assert len(starts) == 2
    done = [e.data["done"] for e in events if e.kind == "progress" and e.seq > starts[1]]
    assert done == list(range(1, 101))
    # what the first stage wrote after the retry took over stayed in its own file
    assert (Path(run.run_dir) / "events.attempt-1.jsonl").exists()
