"""Every execution of a run is recorded (number, executor, job id, node, times, why it ended, resources) and shown
by `synvita runs show`; a retry adds an attempt."""

import socket

from typer.testing import CliRunner

from synvita.api import Api
from synvita.cli.app import app
from synvita.runs.executors import LocalExecutor
from synvita.runs.worker import Worker
from synvita.store import NewRun


def _run_all(db_path):
    worker = Worker(db_path, executor=LocalExecutor(), poll_s=0.05, heartbeat_s=0.5, lost_after_s=30)
    worker.run(until_idle=True)
    worker.close()


def test_each_execution_is_an_attempt_and_runs_show_lists_them(store, db_path):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.fail", config={"message": "first try fails"})])
    _run_all(db_path)
    store.retry(run.id)
    _run_all(db_path)
    first, second = store.attempts(run.id)
    assert (first.number, second.number) == (1, 2)
    assert first.executor == "local" and first.node == socket.gethostname() and first.job_id.isdigit()
    assert first.end_reason == second.end_reason == "failed"
    assert first.submitted_at <= first.started_at <= first.ended_at <= second.started_at
    with Api(db=db_path) as api:
        assert [a.number for a in api.attempts(run.id)] == [1, 2]
    shown = CliRunner().invoke(app, ["--db", str(db_path), "runs", "show", run.id])
    assert shown.exit_code == 0, shown.output
    assert "attempts" in shown.output and "#1  local job" in shown.output and "#2  local job" in shown.output


def test_the_attempt_of_a_dead_local_worker_is_ended_lost_by_the_reaper(store):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep")])
    store.claim_next("w-dead")
    number = store.start_attempt(run.id, "local", "123", started=True)
    (reaped,) = store.reap_lost(0.0, retry_budget=1)  # its worker is gone: no heartbeat at all
    assert reaped.status == "queued" and reaped.attempt == 2
    (attempt,) = store.attempts(run.id)
    assert (attempt.number, attempt.end_reason) == (number, "lost") and attempt.ended_at
