"""Another writer holds the database's write lock for longer than the busy timeout (and longer than the heartbeat
timeout) while a worker executes a run and a second worker reaps: the workers wait it out, the run succeeds, and
nothing is cancelled or marked lost."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from faults_helpers import wait_for

from synvita.runs.worker import Worker
from synvita.store import NewRun

FAST = dict(poll_s=0.02, heartbeat_s=0.1, lost_after_s=1.0, busy_timeout_s=0.2)
DEFAULTS = dict(poll_s=0.1)
"""`synvita worker`'s own timeouts (busy 10 s, heartbeat 2 s, lost after 30 s) against a lock held for 30 s."""


def _run_in_thread(worker: Worker, failures: list[BaseException]) -> threading.Thread:
    def target() -> None:
        try:
            worker.run(until_idle=True)
        except BaseException as exc:  # the test fails on it below
            failures.append(exc)

    thread = threading.Thread(target=target, name=worker.worker_id)
    thread.start()
    return thread


@pytest.mark.parametrize("settings, hold_s", [
    pytest.param(FAST, 2.5, id="2.5s-past-fast-timeouts"),
    pytest.param(DEFAULTS, 31.0, id="30s-at-the-defaults", marks=pytest.mark.slow),
])
def test_a_write_lock_held_past_the_busy_and_heartbeat_timeouts_cancels_nothing(store, db_path, settings, hold_s):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 4})])
    failures: list[BaseException] = []
    owner = Worker(db_path, worker_id="w-owner", **settings)
    reaper = Worker(db_path, worker_id="w-reaper", **settings)
    threads = [_run_in_thread(owner, failures)]
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        wait_for(lambda: store.get_run(run.id).progress, timeout=30)
        threads.append(_run_in_thread(reaper, failures))
        time.sleep(0.3)  # the reaper is reaping
        holder.execute("BEGIN IMMEDIATE")  # a slow disk, another process's long transaction
        time.sleep(hold_s)  # > the busy timeout and > the heartbeat timeout
        holder.execute("ROLLBACK")
        for thread in threads:
            thread.join(timeout=60)
            assert not thread.is_alive()
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
        owner.stop()
        reaper.stop()
        for thread in threads:
            thread.join(timeout=30)
        owner.close()
        reaper.close()
    assert failures == []
    final = store.get_run(run.id)
    assert (final.status, final.error, final.attempt, final.worker) == ("succeeded", None, 1, "w-owner")
    assert [(a.number, a.end_reason) for a in store.attempts(run.id)] == [(1, "succeeded")]
    assert reaper.executed == []
