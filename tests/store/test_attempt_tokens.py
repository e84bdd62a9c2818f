"""Fencing: a write for a run is recorded only under the run's current attempt token; the reaper never marks the
caller's own runs lost, nor any run right after the database was locked."""

import sqlite3
import time

from synvita.runs.ingest import parse_events
from synvita.store import NewRun, Store


def _log_lines(first_seq, n, msg):
    return [{"seq": s, "ts": 1.0, "kind": "log", "level": "info", "msg": f"{msg} {s}"} for s in range(first_seq, first_seq + n)]


def _age_heartbeat(store, run_id, seconds=100):
    con = sqlite3.connect(store.path)
    con.execute("UPDATE runs SET heartbeat_at = heartbeat_at - ? WHERE id = ?", (seconds, run_id))
    con.commit()
    con.close()


def test_writes_under_a_stale_token_are_refused_once_a_retry_owns_the_run(store):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.noop")])
    assert store.claim_next("w", token="first").id == run.id
    assert store.ingest_events(run.id, parse_events(_log_lines(0, 2, "first"), run.run_dir), token="first") == 2
    _age_heartbeat(store, run.id)
    [requeued] = store.reap_lost(30, retry_budget=1)  # the first attempt stalled: lost, re-queued
    assert requeued.status == "queued"
    # re-queued, nobody owns it: the stalled attempt writes nothing
    assert store.ingest_events(run.id, parse_events(_log_lines(2, 1, "stale"), run.run_dir), token="first") == 0
    assert store.claim_next("w", token="second").id == run.id  # the same worker id: the token tells them apart
    stale = parse_events(_log_lines(2, 3, "stale"), run.run_dir)
    assert store.ingest_events(run.id, stale, token="first") == 0
    assert store.heartbeat(run.id, "w", token="first") == "lost"
    store.set_job(run.id, "4242", worker_id="w", token="first")
    assert store.job_id(run.id) is None
    assert store.start_attempt(run.id, "local", "4242", token="first") is None
    assert store.attempts(run.id) == []
    assert store.finish(run.id, "succeeded", token="first").status == "running"
    # the owner's writes go through
    assert store.heartbeat(run.id, "w", token="second") == "running"
    assert store.start_attempt(run.id, "local", "4343", token="second") == 1
    assert store.ingest_events(run.id, parse_events(_log_lines(2, 2, "second"), run.run_dir), token="second") == 2
    assert [e.data["msg"] for e in store.events(run.id)] == ["first 0", "first 1", "second 2", "second 3"]
    assert store.finish(run.id, "succeeded", token="second").status == "succeeded"


def test_an_adoption_fences_the_worker_that_went_away(store):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.noop")])
    store.claim_next("w-old", executor="slurm", token="old")
    store.set_job(run.id, "77", worker_id="w-old", token="old")
    _age_heartbeat(store, run.id)
    assert store.adopt(run.id, "w-new", stale_after_s=30, token="new").worker == "w-new"
    assert store.finish(run.id, "failed", "stale verdict", token="old").status == "running"
    assert store.ingest_events(run.id, parse_events(_log_lines(0, 1, "old"), run.run_dir), token="old") == 0
    assert store.finish(run.id, "succeeded", worker_id="w-new", token="new").status == "succeeded"


def test_the_reaper_skips_the_callers_own_runs(store):
    mine, theirs = store.create_runs([NewRun("exp", "s", "debug.noop"), NewRun("exp", "s", "debug.noop")])
    store.claim_next("w-me")
    store.claim_next("w-other")
    _age_heartbeat(store, mine.id)
    _age_heartbeat(store, theirs.id)
    assert [r.id for r in store.reap_lost(30, exclude_worker="w-me")] == [theirs.id]
    assert store.get_run(mine.id).status == "running"
    assert [r.id for r in store.reap_lost(30)] == [mine.id]


def test_the_reaper_reaps_nothing_until_a_timeout_has_passed_since_a_lock(db_path):
    store = Store.open(db_path, busy_timeout_s=0.2)
    (run,) = store.create_runs([NewRun("exp", "s", "debug.noop")])
    store.claim_next("w")
    _age_heartbeat(store, run.id)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the busy timeout
    try:
        assert store.reap_lost(0.6) == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.reap_lost(0.6) == []  # the owner's heartbeats were held up as long: it gets a whole timeout
    time.sleep(0.7)
    assert [r.id for r in store.reap_lost(0.6)] == [run.id]
    store.close()


def test_while_owned_runs_the_action_only_for_the_owner_and_under_the_write_lock(store):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.noop")])
    calls: list[str] = []
    assert store.while_owned(run.id, "w", "t", lambda: calls.append("queued")) is False  # nobody owns it yet
    store.claim_next("w", token="t")
    assert store.while_owned(run.id, "w", "other", lambda: calls.append("other token")) is False
    assert store.while_owned(run.id, "w-other", "t", lambda: calls.append("other worker")) is False

    def try_to_claim_meanwhile():
        other = sqlite3.connect(store.path, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            calls.append("another writer got in")
        except sqlite3.OperationalError as exc:
            calls.append(str(exc))
        finally:
            other.close()

    _age_heartbeat(store, run.id)
    assert store.while_owned(run.id, "w", "t", try_to_claim_meanwhile) is True
    assert calls == ["database is locked"]
    assert time.time() - store.get_run(run.id).heartbeat_at < 30  # the owner's check counts as a heartbeat
    store.finish(run.id, "succeeded", token="t")
    assert store.while_owned(run.id, "w", "t", lambda: calls.append("ended")) is False
    assert calls == ["database is locked"]
