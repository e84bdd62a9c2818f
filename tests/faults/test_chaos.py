"""Workers and stages killed (`kill -9`) and stopped (SIGSTOP past `--lost-after`) at random points, from a seeded
schedule, while two workers drain a queue; a last worker drains what is left. Afterwards the invariants hold:
every run ended exactly once (a terminal status and exactly one attempt that ended it), no run has a duplicate or
missing event, no stage process outlives its run, and nothing outside the runs' folders and the database was
written."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faults_helpers import pid_alive, wait_for

from synvita.store import NewRun

FAST = ["--poll", "0.05", "--heartbeat", "0.2", "--lost-after", "1", "--retry-lost", "5"]
RUNS = 8
FAULTS = 8


def _worker(db_path: Path, name: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "synvita.runs.worker", "--db", str(db_path), "--worker-id", name, *FAST, *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ),
    )


def _files_outside(root: Path, db_path: Path) -> set[str]:
    """Every file under `root` except the runs' folders and the database's own files."""
    runs = db_path.parent / "runs"
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and runs not in p.parents and not p.name.startswith(db_path.name)}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_kills_and_stalls_leave_every_run_ended_once_with_its_events_whole(store, db_path, tmp_path, seed):
    rng = random.Random(seed)
    runs = store.create_runs([NewRun("chaos", "s", "debug.sleep", config={"seconds": round(rng.uniform(0.8, 2.0), 2)})
                              for _ in range(RUNS)])
    before = _files_outside(tmp_path, db_path)
    workers = {f"w-{k}": _worker(db_path, f"w-{k}") for k in range(2)}
    stage_pids: set[int] = set()
    faults: list[str] = []
    try:
        for _ in range(FAULTS):
            time.sleep(rng.uniform(0.2, 0.8))
            jobs = {r.id: store.job_id(r.id) for r in store.list_runs() if r.status == "running"}
            running = [run_id for run_id, job in jobs.items() if job]  # in list order, as the schedule draws
            stage_pids.update(int(jobs[run_id]) for run_id in running)
            action = rng.choice(["kill-worker", "kill-stage", "stop-worker"])
            if action == "kill-stage" and running:
                victim = rng.choice(running)
                faults.append(f"kill -9 stage of {victim}")
                job = store.job_id(victim)  # as it is now: the stage may have ended since the runs were listed
                try:
                    if job is not None:
                        os.kill(int(job), signal.SIGKILL)
                except ProcessLookupError:
                    job = None
                if job is None:
                    faults[-1] += " (it had already ended)"
            elif action == "stop-worker":
                name = rng.choice(sorted(workers))
                faults.append(f"SIGSTOP {name} for 1.5 s")
                workers[name].send_signal(signal.SIGSTOP)
                time.sleep(1.5)  # past --lost-after: another worker may take its runs over
                workers[name].send_signal(signal.SIGCONT)
            else:
                name = rng.choice(sorted(workers))
                faults.append(f"kill -9 {name}")
                workers[name].kill()
                workers[name].wait(timeout=10)
                fresh = f"w-{len(faults) + 1}"
                workers[fresh] = _worker(db_path, fresh)
                del workers[name]
        # a last worker drains the queue (lost runs come back through the reapers' retries)
        drain = _worker(db_path, "w-drain", "--until-idle")
        wait_for(lambda: all(r.status in ("succeeded", "failed", "cancelled") for r in store.list_runs()), timeout=180,
                 every=0.2)
        drain.wait(timeout=60)
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        for r in store.list_runs():
            if job := store.job_id(r.id):
                stage_pids.add(int(job))

    context = f"seed {seed}, faults: {faults}"
    for run in runs:
        final = store.get_run(run.id)
        assert final.status in ("succeeded", "failed"), (final.id, final.status, context)
        attempts = store.attempts(run.id)
        ending = [a for a in attempts if a.end_reason not in ("lost", "requeued by Slurm")]
        assert len(ending) == 1 and attempts[-1] is ending[0], (final.id, [(a.number, a.end_reason) for a in attempts],
                                                                context)
        assert ending[0].end_reason == final.status or final.status == "failed", (final.id, attempts, context)
        if final.status == "failed":
            assert final.error, (final.id, context)  # a reason, not a bare failure
        events = store.events(run.id)
        assert [e.seq for e in events] == list(range(len(events))), (final.id, context)
        lines = (Path(final.run_dir) / "events.jsonl").read_text().splitlines()
        assert [json.loads(line)["seq"] for line in lines] == list(range(len(lines))), (final.id, context)
        if final.status == "succeeded":  # the winning attempt's own sleep, whole
            assert store.latest_metrics(run.id)[run.id]["slept_seconds"].value == run.config["seconds"]
    time.sleep(0.5)  # a stage ended by its lifeline a moment ago
    assert not [pid for pid in stage_pids if pid_alive(pid)], context
    assert _files_outside(tmp_path, db_path) == before, context
