"""A worker that stalls between claiming a run and starting its job, past the heartbeat timeout, while the reaper
re-queues the run and another worker takes it: the stalled worker records no attempt, leaves no job running, and
does not touch the run directory (rotating events.jsonl would end the other worker's stage). Each window of
`Worker._start` is stalled in turn by running the reaper and the other worker's claim inside it."""

import os

from synvita.runs import ingest as ingest_module
from synvita.runs import rundir as rundir_module
from synvita.runs import worker as worker_module
from synvita.runs.executors import LocalExecutor
from synvita.runs.worker import Worker
from synvita.store import NewRun


def _take_over(store, run_id: str) -> None:
    """What happens while the first worker is stopped: its run looks dead, is re-queued, and `w-other` claims it."""
    (reaped,) = store.reap_lost(0.0, retry_budget=1, exclude_worker="w-other")
    assert reaped.id == run_id and reaped.status == "queued"
    assert store.claim_next("w-other", token="other").id == run_id


def _claimed(store, db_path):
    """A run claimed by a fresh worker `w-stalled` under token `mine`: (worker, run)."""
    store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 30})])
    worker = Worker(db_path, worker_id="w-stalled", executor=LocalExecutor(), poll_s=0.05, heartbeat_s=0.5,
                    lost_after_s=30)
    return worker, worker.store.claim_next("w-stalled", token="mine")


def _left_alone(store, worker, run_id: str) -> None:
    """The other worker owns the run; the stalled one keeps nothing of it and recorded no attempt."""
    final = store.get_run(run_id)
    assert (final.status, final.worker, final.attempt) == ("running", "w-other", 2)
    assert store.attempts(run_id) == []
    assert run_id not in worker._active and run_id not in worker._tokens


def test_a_run_taken_over_before_the_start_is_left_untouched(store, db_path):
    worker, run = _claimed(store, db_path)
    _take_over(store, run.id)
    assert worker._start(run, "mine") is False
    _left_alone(store, worker, run.id)
    assert not os.path.exists(run.run_dir)  # not even prepared
    worker.close()


def test_a_run_taken_over_while_its_environment_is_collected_leaves_the_directory_alone(store, db_path, monkeypatch):
    worker, run = _claimed(store, db_path)
    collect = rundir_module.environment

    def stalled_collect(*args, **kwargs):
        _take_over(store, run.id)
        return collect(*args, **kwargs)

    monkeypatch.setattr(rundir_module, "environment", stalled_collect)
    assert worker._start(run, "mine") is False
    _left_alone(store, worker, run.id)
    assert not os.path.exists(run.run_dir)  # no config.json or env.json of the stalled worker's
    worker.close()


def test_a_run_taken_over_while_its_directory_is_prepared_keeps_its_events_file(store, db_path, monkeypatch):
    worker, run = _claimed(store, db_path)
    os.makedirs(run.run_dir)
    events = os.path.join(run.run_dir, "events.jsonl")
    with open(events, "w") as fh:  # the other worker's stage writes here
        fh.write('{"seq": 0, "ts": 1.0, "kind": "log", "level": "info", "msg": "the other attempt"}\n')
    inode = os.stat(events).st_ino
    prepare = worker_module.prepare_run_dir

    def stalled_prepare(*args, **kwargs):
        prepared = prepare(*args, **kwargs)
        _take_over(store, run.id)
        return prepared

    monkeypatch.setattr(worker_module, "prepare_run_dir", stalled_prepare)
    assert worker._start(run, "mine") is False
    _left_alone(store, worker, run.id)
    assert os.stat(events).st_ino == inode  # not rotated
    with open(events) as fh:
        assert fh.read().count("\n") == 1  # and nothing appended
    worker.close()


def test_a_run_taken_over_while_its_ingested_lines_are_copied_keeps_its_events_file(store, db_path, monkeypatch):
    """The last window before the swap: the copy of the ingested lines for the new attempt's file. The ownership
    check and the swap are one store transaction, so no take-over falls between them."""
    worker, run = _claimed(store, db_path)
    os.makedirs(run.run_dir)
    events = os.path.join(run.run_dir, "events.jsonl")
    with open(events, "w") as fh:  # an earlier attempt's line, ingested
        fh.write('{"seq": 0, "ts": 1.0, "kind": "log", "level": "info", "msg": "an earlier attempt"}\n')
    copied = ingest_module._ingested_bytes

    def stalled_copy(*args):
        _take_over(store, run.id)
        with open(events, "a") as fh:  # the other worker's stage writes
            fh.write('{"seq": 1, "ts": 2.0, "kind": "log", "level": "info", "msg": "the other attempt"}\n')
        return copied(*args)

    monkeypatch.setattr(ingest_module, "_ingested_bytes", stalled_copy)
    inode = os.stat(events).st_ino
    assert worker._start(run, "mine") is False
    _left_alone(store, worker, run.id)
    assert os.stat(events).st_ino == inode  # not swapped out
    with open(events) as fh:
        assert fh.read().count("\n") == 2
    assert [name for name in os.listdir(run.run_dir) if name.startswith("events")] == ["events.jsonl"]  # no copy left
    worker.close()


def test_a_run_taken_over_while_its_job_starts_gets_no_attempt_and_the_job_is_killed(store, db_path, monkeypatch):
    worker, run = _claimed(store, db_path)
    started = []
    start = worker.executor.start

    def stalled_start(run_, run_dir):
        job = start(run_, run_dir)
        started.append(job)
        _take_over(store, run.id)
        return job

    monkeypatch.setattr(worker.executor, "start", stalled_start)
    assert worker._start(run, "mine") is False
    _left_alone(store, worker, run.id)
    (job,) = started
    assert job.handle.poll() is not None  # ended (kill waits for it), not left running for nobody
    assert store.job_id(run.id) is None  # the killed job is not recorded as the run's
    worker.close()


def test_a_run_still_owned_starts_as_before(store, db_path):
    worker, run = _claimed(store, db_path)
    assert worker._start(run, "mine") is True
    (attempt,) = store.attempts(run.id)
    assert attempt.number == 1 and attempt.ended_at is None and store.job_id(run.id) == attempt.job_id
    worker._stop_job(run.id, "cancelled")
    assert store.attempts(run.id)[0].end_reason == "cancelled"
    worker.close()
