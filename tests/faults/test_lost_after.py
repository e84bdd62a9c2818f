"""`--lost-after` must be a positive number of seconds, and a worker never marks its own live runs lost, not even
after it was stopped (SIGSTOP, swapping) for longer than the timeout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from faults_helpers import assert_one_line_error, synvita_cli, wait_for

from synvita.errors import UserInputError
from synvita.runs.worker import Worker
from synvita.store import NewRun


@pytest.mark.parametrize("value", [0.0, -5.0, float("nan"), float("inf")])
def test_the_worker_refuses_a_heartbeat_timeout_that_is_not_positive_and_finite(db_path, value):
    with pytest.raises(UserInputError, match="lost-after"):
        Worker(db_path, lost_after_s=value)


def test_the_worker_refuses_a_timeout_shorter_than_its_heartbeat(db_path):
    with pytest.raises(UserInputError, match="heartbeat"):
        Worker(db_path, heartbeat_s=2.0, lost_after_s=1.0)


def test_synvita_worker_lost_after_0_is_one_line_exit_2(store, db_path):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.noop")])
    result = synvita_cli("--db", db_path, "worker", "--until-idle", "--lost-after", "0", timeout=60)
    assert_one_line_error(result, 2, "--lost-after")
    assert store.get_run(run.id).status == "queued"  # nothing was claimed


def test_a_worker_stopped_past_the_timeout_does_not_mark_its_own_run_lost(store, db_path):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 4})])
    worker = subprocess.Popen(
        [sys.executable, "-m", "synvita.runs.worker", "--db", str(db_path), "--poll", "0.05", "--heartbeat", "0.2",
         "--lost-after", "1", "--until-idle"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )
    try:
        wait_for(lambda: store.get_run(run.id).progress, timeout=30)
        worker.send_signal(signal.SIGSTOP)  # a stall longer than --lost-after
        time.sleep(2.0)
        worker.send_signal(signal.SIGCONT)
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGCONT)
            worker.kill()
            worker.wait(timeout=10)
    final = store.get_run(run.id)
    assert (final.status, final.error) == ("succeeded", None)
