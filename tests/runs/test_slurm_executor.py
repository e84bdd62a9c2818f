"""The Slurm executor's full path (script, submit, poll, outcome, cancel) against a fake sbatch/squeue/sacct.

The real-cluster version of these checks is tests/slurm/ (skipped without a running Slurm).
"""

import os
import threading
from pathlib import Path

import pytest

from synvita.runs.executors import SlurmExecutor
from synvita.runs.worker import Worker
from synvita.store import NewRun

FAKE = Path(__file__).with_name("fake_slurm.py")


@pytest.fixture
def fake_slurm(tmp_path, monkeypatch):
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    for name in ("sbatch", "squeue", "sacct", "scontrol", "scancel"):
        (bin_dir / name).symlink_to(FAKE)  # the dispatcher picks the command by argv[0]
    assert os.access(FAKE, os.X_OK), "tests/runs/fake_slurm.py must be executable"
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SLURM_DIR", str(tmp_path / "fake-slurm-state"))
    return tmp_path / "fake-slurm-state"


def _worker(db_path, **kw):
    return Worker(db_path, executor=SlurmExecutor(max_parallel=8, partition="debug", time="00:10:00"),
                  poll_s=0.05, heartbeat_s=0.1, lost_after_s=10, **kw)


def test_slurm_jobs_run_and_report_outcomes(store, db_path, fake_slurm):
    ok, bad, after = store.create_runs([
        NewRun("exp", "s", "debug.sleep", config={"seconds": 0.2}),
        NewRun("exp", "s", "debug.fail", config={"message": "no GPU today"}),
        NewRun("exp", "s", "debug.noop", depends_on=[0]),
    ])
    worker = _worker(db_path)
    started = worker.run(until_idle=True)
    worker.close()
    assert set(started) == {ok.id, bad.id, after.id}
    assert store.get_run(ok.id).status == "succeeded"
    assert store.metrics(ok.id, "slept_seconds")[0].value == 0.2  # the host ingested the job's events
    failed = store.get_run(bad.id)
    assert failed.status == "failed" and failed.error == "StageError: no GPU today"
    assert store.get_run(after.id).status == "succeeded"
    script = (Path(ok.run_dir) / "slurm.sh").read_text()
    assert "#SBATCH --partition=debug" in script and "#SBATCH --time=00:10:00" in script
    assert "#SBATCH --requeue" in script and f"-m synvita.stages {ok.run_dir}" in script
    assert store.job_id(ok.id).isdigit()


def test_slurm_without_accounting_falls_back_to_the_exit_code_file(store, db_path, fake_slurm, monkeypatch):
    monkeypatch.setenv("FAKE_SLURM_NO_SACCT", "1")
    ok, bad = store.create_runs([NewRun("exp", "s", "debug.noop"), NewRun("exp", "s", "debug.fail")])
    worker = _worker(db_path)
    worker.run(until_idle=True)
    worker.close()
    assert store.get_run(ok.id).status == "succeeded"
    assert store.get_run(bad.id).status == "failed"
    assert "StageError" in store.get_run(bad.id).error


def test_cancel_of_a_running_slurm_run_scancels_the_job(store, db_path, fake_slurm, wait_for):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 60})])
    worker = _worker(db_path)
    thread = threading.Thread(target=worker.run, kwargs={"until_idle": True})
    thread.start()
    try:
        wait_for(lambda: store.get_run(run.id).progress)
        job_id = store.job_id(run.id)
        store.cancel(run.id)
        thread.join(timeout=20)
        assert not thread.is_alive()
    finally:
        worker.stop()
        thread.join(timeout=20)
    worker.close()
    assert store.get_run(run.id).status == "cancelled"
    assert (fake_slurm / f"{job_id}.cancelled").exists()


def test_scancel_outside_synvita_marks_the_run_cancelled(store, db_path, fake_slurm, wait_for):
    import subprocess

    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 60})])
    worker = _worker(db_path)
    thread = threading.Thread(target=worker.run, kwargs={"until_idle": True})
    thread.start()
    try:
        wait_for(lambda: store.get_run(run.id).progress)
        subprocess.run(["scancel", store.job_id(run.id)], check=True)
        thread.join(timeout=20)
    finally:
        worker.stop()
        thread.join(timeout=20)
    worker.close()
    final = store.get_run(run.id)
    assert final.status == "cancelled" and "outside synvita" in final.error


def test_a_new_worker_adopts_slurm_jobs_of_a_worker_that_went_away(store, db_path, fake_slurm):
    from synvita.runs.rundir import prepare_run_dir

    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 0.5})])
    # a host worker claimed and submitted it, then died (no more heartbeats)
    claimed = store.claim_next("w-gone", executor="slurm")
    job = SlurmExecutor().start(claimed, prepare_run_dir(claimed, [], worker_id="w-gone", executor="slurm"))
    store.set_job(run.id, job.job_id)
    assert store.reap_lost(-1)[0].status == "lost"
    worker = _worker(db_path)
    assert worker.run(until_idle=True) == []  # nothing claimed: the orphan was adopted, not re-submitted
    worker.close()
    final = store.get_run(run.id)
    assert final.status == "succeeded" and final.worker == worker.worker_id and final.attempt == 1
    assert store.metrics(run.id, "slept_seconds")[0].value == 0.5
    assert len(list(fake_slurm.glob("*.script"))) == 1  # one Slurm job in all
