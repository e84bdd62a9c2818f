"""The worker end to end with the debug stages: run dirs, failures, cancel, kill -9 → lost → retry, Ctrl-C."""

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from synvita.runs.ingest import ingest_run_dir
from synvita.runs.worker import Worker
from synvita.store import NewRun

FAST = dict(poll_s=0.02, heartbeat_s=0.1, lost_after_s=5.0)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


def test_pipeline_runs_in_dependency_order_with_self_describing_run_dirs(store, db_path):
    first, second, third = store.create_runs([
        NewRun("exp", "s-1", "debug.noop", seed=7, config={"world": {"preset": "quickstart"}}),
        NewRun("exp", "s-1", "debug.sleep", seed=7, variant="synvita", config={"seconds": 0.2}, depends_on=[0]),
        NewRun("exp", "s-1", "debug.noop", generator="procedural", depends_on=[0, 1]),
    ])
    seen = []
    worker = Worker(db_path, on_event=lambda run, ev: seen.append((run.id, ev["kind"], ev.get("status"))), **FAST)
    assert worker.run(until_idle=True) == [first.id, second.id, third.id]
    worker.close()
    for run in (first, second, third):
        assert store.get_run(run.id).status == "succeeded"
    config = json.loads((Path(second.run_dir) / "config.json").read_text())
    assert config["run_id"] == second.id and config["stage"] == "debug.sleep"
    assert config["config"] == {"seconds": 0.2, "seed": 7, "variant": "synvita"}
    assert json.loads((Path(third.run_dir) / "config.json").read_text())["inputs"] == {
        "debug.noop": first.run_dir, "debug.sleep": second.run_dir}
    env = json.loads((Path(first.run_dir) / "env.json").read_text())
    assert env["seed"] == 7 and env["host"] and env["python"] and "torch" in env["packages"]
    assert set(env["git"]) == {"commit", "dirty", "root"} and env["argv"]
    # events reached the store; progress and metric of the sleep stage too
    sleep_run = store.get_run(second.id)
    assert sleep_run.progress == 1.0
    assert store.metrics(second.id, "slept_seconds")[0].value == 0.2
    assert any(e.data.get("msg") == "noop stage ran" for e in store.events(first.id))
    assert (second.id, "status", "running") in seen and (second.id, "status", "succeeded") in seen
    assert (second.id, "progress", None) in seen


def test_failure_keeps_the_exception_line_and_cancels_dependants(store, db_path):
    bad, after = store.create_runs([
        NewRun("exp", "s", "debug.fail", config={"message": "the world is flat"}),
        NewRun("exp", "s", "debug.noop", depends_on=[0]),
    ])
    worker = Worker(db_path, **FAST)
    worker.run(until_idle=True)
    worker.close()
    failed = store.get_run(bad.id)
    assert failed.status == "failed" and failed.error == "StageError: the world is flat"
    assert "Traceback" in (Path(bad.run_dir) / "stderr.log").read_text()
    blocked = store.get_run(after.id)
    assert blocked.status == "cancelled" and blocked.error == f"dependency {bad.id} failed"


def test_unknown_stage_fails_the_run_not_the_worker(store, db_path):
    bad, good = store.create_runs([NewRun("exp", "s", "no.such.stage"), NewRun("exp", "s", "debug.noop")])
    worker = Worker(db_path, **FAST)
    worker.run(until_idle=True)
    worker.close()
    assert store.get_run(bad.id).status == "failed"
    assert "unknown stage 'no.such.stage'" in store.get_run(bad.id).error
    assert store.get_run(good.id).status == "succeeded"


def test_cancel_of_a_queued_run_means_it_never_runs(store, db_path):
    keep, drop = store.create_runs([NewRun("exp", "s", "debug.noop"), NewRun("exp", "s", "debug.noop")])
    store.cancel(drop.id)
    worker = Worker(db_path, **FAST)
    assert worker.run(until_idle=True) == [keep.id]
    worker.close()
    assert store.get_run(drop.id).status == "cancelled"
    assert not (Path(drop.run_dir) / "events.jsonl").exists()


def test_cancel_of_a_running_run_kills_its_job(store, db_path, start_worker_process, wait_for):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 60})])
    worker = Worker(db_path, **FAST)
    thread = threading.Thread(target=worker.run, kwargs={"until_idle": True})
    thread.start()
    try:
        wait_for(lambda: store.get_run(run.id).progress)  # the stage is running and reporting
        pid = int(store.job_id(run.id))
        assert _pid_alive(pid)
        store.cancel(run.id)
        thread.join(timeout=15)
        assert not thread.is_alive()
    finally:
        worker.stop()
        thread.join(timeout=15)
    worker.close()
    final = store.get_run(run.id)
    assert final.status == "cancelled" and final.error == "cancelled by user"
    assert not _pid_alive(pid)


def test_kill_9_of_a_worker_leaves_its_run_lost_and_retry_completes_it(store, db_path, start_worker_process, wait_for):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 1.0})])
    proc = start_worker_process(db_path, "--poll", "0.02", "--heartbeat", "0.1", "--lost-after", "1.0")
    try:
        wait_for(lambda: store.get_run(run.id).status == "running" and store.job_id(run.id))
        stage_pid = int(store.job_id(run.id))
        killed_at = time.time()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert store.get_run(run.id).status == "running"  # nobody has noticed yet
    wait_for(lambda: not _pid_alive(stage_pid), timeout=5)  # the stage died with its worker
    # any worker's reaper (or `synvita runs ls`) marks it lost once the heartbeat is older than the timeout
    lost = wait_for(lambda: store.reap_lost(1.0), timeout=5)
    assert [r.id for r in lost] == [run.id]
    assert time.time() - killed_at < 1.0 + 3.0
    assert store.get_run(run.id).status == "lost" and "no heartbeat" in store.get_run(run.id).error
    store.retry(run.id)
    worker = Worker(db_path, **FAST)
    assert worker.run(until_idle=True) == [run.id]
    worker.close()
    done = store.get_run(run.id)
    assert (done.status, done.attempt, done.error) == ("succeeded", 2, None)
    attempts = [e.data["msg"] for e in store.events(run.id, kinds=["log"]) if e.data["msg"].startswith("attempt")]
    assert [a.split()[1] for a in attempts] == ["1", "2"]


def test_worker_reaper_marks_runs_of_dead_workers_lost(store, db_path):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.noop")])
    store.claim_next("w-ghost")  # a worker that claimed it and vanished
    worker = Worker(db_path, poll_s=0.02, heartbeat_s=0.1, lost_after_s=0.3)
    worker.run(until_idle=True)
    worker.close()
    assert store.get_run(run.id).status == "lost"


def _exit_code(proc, timeout=15.0):
    """The worker's exit status; if it does not exit in time, fail with every thread's stack (SIGUSR1 →
    faulthandler) and whatever it wrote, so that a hang in CI says where it hangs."""
    try:
        proc.communicate(timeout=timeout)  # reads the pipes while waiting: a chatty worker cannot block on them
        return proc.returncode
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)
        time.sleep(1.0)
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"worker did not exit within {timeout} s; stderr:\n{err[-6000:]}\nstdout:\n{(out or '')[-2000:]}")


def test_ctrl_c_marks_the_running_run_cancelled(store, db_path, start_worker_process, wait_for):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 60})])
    proc = start_worker_process(db_path, "--poll", "0.02", "--heartbeat", "0.1")
    try:
        wait_for(lambda: store.get_run(run.id).progress)
        stage_pid = int(store.job_id(run.id))
        proc.send_signal(signal.SIGINT)
        assert _exit_code(proc) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    final = store.get_run(run.id)
    assert final.status == "cancelled" and "interrupted (Ctrl-C)" in final.error
    assert not _pid_alive(stage_pid)


def _ignore_sigint() -> None:  # what a script's background job (`synvita worker &`) inherits
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("sig, preexec_fn", [(signal.SIGTERM, None), (signal.SIGINT, _ignore_sigint)],
                         ids=["sigterm", "sigint-though-started-ignored"])
def test_a_signal_marks_the_running_run_cancelled(store, db_path, start_worker_process, wait_for, sig, preexec_fn):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 60})])
    proc = start_worker_process(db_path, "--poll", "0.02", "--heartbeat", "0.1", preexec_fn=preexec_fn)
    try:
        wait_for(lambda: store.get_run(run.id).progress)
        proc.send_signal(sig)
        assert _exit_code(proc) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    assert store.get_run(run.id).status == "cancelled"


def test_ingestion_of_a_run_dir_is_idempotent_and_a_new_attempt_drops_a_torn_line(store):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.noop")])
    run_dir = Path(run.run_dir)
    run_dir.mkdir(parents=True)
    lines = [json.dumps({"seq": i, "ts": 0.0, "kind": "metric", "name": "loss", "value": 1.0 / (i + 1), "step": i})
             for i in range(3)]
    (run_dir / "events.jsonl").write_text("\n".join(lines) + "\n" + '{"seq": 3, "ts": 0.0, "kin')
    assert len(ingest_run_dir(store, run.id)) == 3  # the torn last line waits
    assert ingest_run_dir(store, run.id) == []
    from synvita.runs.ingest import start_attempt_events

    start_attempt_events(store, run.id, run_dir, 2)  # what the worker does before a new attempt appends
    assert (run_dir / "events.attempt-1.jsonl").read_text().endswith('"kin')  # the killed attempt's file, kept
    with open(run_dir / "events.jsonl", "a") as fh:
        fh.write(json.dumps({"seq": 3, "ts": 0.0, "kind": "log", "level": "info", "msg": "resumed"}) + "\n")
    new = ingest_run_dir(store, run.id)
    assert [(e["seq"], e["msg"]) for e in new] == [(3, "resumed")]
    assert len(store.metrics(run.id, "loss")) == 3
    assert ingest_run_dir(store, run.id) == []
