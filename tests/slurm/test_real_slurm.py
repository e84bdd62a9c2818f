"""The Slurm executor against a real Slurm (start one with `sudo scripts/slurm-up.sh`; see shared/SLURM.md).

Skipped unless `sinfo` is on PATH and answers. Jobs run `python -m synvita.stages RUN_DIR` and only append to
their run directory; the worker on the host ingests, heartbeats and reconciles with squeue/sacct/scontrol.
"""

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from synvita.runs.executors import SlurmExecutor
from synvita.runs.worker import Worker
from synvita.store import NewRun, Store


def _slurm_answers() -> bool:
    """sinfo on PATH and a controller that answers (`scontrol ping` fails at once when it is down, where
    `sinfo` would retry for ~10 s)."""
    if shutil.which("sinfo") is None or shutil.which("scontrol") is None:
        return False
    try:
        ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=10)
        return ping.returncode == 0 and "UP" in ping.stdout
    except (OSError, subprocess.SubprocessError):
        return False


pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(not _slurm_answers(), reason="needs a running Slurm (sinfo on PATH); see scripts/slurm-up.sh"),
]


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "db" / "synvita.db")
    yield s
    s.close()


def _worker(store, **kw):
    return Worker(store.path, executor=SlurmExecutor(max_parallel=4, partition="debug"),
                  poll_s=0.2, heartbeat_s=0.5, lost_after_s=120, **kw)


def _wait(predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout}s")


def test_pipeline_on_slurm(store):
    ok, bad, after = store.create_runs([
        NewRun("exp", "s", "debug.sleep", config={"seconds": 0.5}),
        NewRun("exp", "s", "debug.fail", config={"message": "fails on the cluster"}),
        NewRun("exp", "s", "debug.noop", depends_on=[0]),
    ])
    worker = _worker(store)
    worker.run(until_idle=True)
    worker.close()
    assert store.get_run(ok.id).status == "succeeded"
    assert store.metrics(ok.id, "slept_seconds")[0].value == 0.5
    failed = store.get_run(bad.id)
    assert failed.status == "failed" and failed.error == "StageError: fails on the cluster"
    assert store.get_run(after.id).status == "succeeded"
    assert "job" in (Path(ok.run_dir) / "stdout.log").read_text()  # the batch script's banner line


def test_cancel_running_slurm_run(store):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 120})])
    worker = _worker(store)
    thread = threading.Thread(target=worker.run, kwargs={"until_idle": True})
    thread.start()
    try:
        _wait(lambda: store.get_run(run.id).progress, 60)
        job_id = store.job_id(run.id)
        store.cancel(run.id)
        thread.join(timeout=60)
        assert not thread.is_alive()
    finally:
        worker.stop()
        thread.join(timeout=60)
    worker.close()
    assert store.get_run(run.id).status == "cancelled"
    _wait(lambda: subprocess.run(["squeue", "-h", "-j", job_id], capture_output=True, text=True).stdout.strip() == "", 30)


@pytest.mark.slow
def test_requeued_slurm_job_keeps_its_run_and_completes(store):
    """Preemption with --requeue: Slurm puts the job back in the queue; the run stays `running`, same id."""
    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 8})])
    worker = _worker(store)
    thread = threading.Thread(target=worker.run, kwargs={"until_idle": True})
    thread.start()
    try:
        _wait(lambda: store.get_run(run.id).progress, 60)
        subprocess.run(["scontrol", "requeue", store.job_id(run.id)], check=True)
        _wait(lambda: "requeued by Slurm" in store.get_run(run.id).progress_msg, 60)
        assert store.get_run(run.id).status == "running"
        thread.join(timeout=180)
        assert not thread.is_alive()
    finally:
        worker.stop()
        thread.join(timeout=60)
    worker.close()
    final = store.get_run(run.id)
    assert final.status == "succeeded" and final.attempt == 1
    assert "restart 1" in (Path(run.run_dir) / "stdout.log").read_text()
