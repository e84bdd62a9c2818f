"""Store round trips, the status CHECK constraint, filters/pagination, lifecycle guards, ingestion."""

import json
import sqlite3
import threading

import pytest

from synvita.entities import Run
from synvita.errors import NotFoundError, StoreError, UserInputError
from synvita.paths import resolve_db_path, runs_root
from synvita.runs.ingest import parse_events
from synvita.store import MetricEvent, NewRun, SampleWeightLine, StageEvent, Store, WeightsEvent


def _runs(n, **kw):
    return [NewRun(experiment=kw.get("experiment", "exp"), submission=kw.get("submission", "s-1"),
                   stage=kw.get("stage", "debug.noop"), seed=i) for i in range(n)]


def test_round_trip_keeps_every_field(store, db_path):
    created = store.create_runs(
        [
            NewRun("quick", "s-1", "world", seed=0, config={"world": {"preset": "quickstart"}, "x": [1, 2]}),
            NewRun("quick", "s-1", "train", variant="synvita", generator="procedural", seed=3, depends_on=[0]),
        ]
    )
    assert all(isinstance(r, Run) for r in created)
    world, train = created
    assert world.id.startswith("r-") and world.status == "queued" and world.attempt == 1
    assert world.run_dir == str(runs_root(db_path) / world.id)
    got = store.get_run(train.id)
    assert (got.experiment, got.submission, got.stage, got.variant, got.generator, got.seed) == (
        "quick", "s-1", "train", "synvita", "procedural", 3)
    assert got.depends_on == [world.id]
    assert store.get_run(world.id).config == {"world": {"preset": "quickstart"}, "x": [1, 2]}
    assert got.to_dict()["duration"] is None
    # depending on an existing run by id
    (later,) = store.create_runs([NewRun("quick", "s-2", "evaluate", depends_on=[train.id])])
    assert store.get_run(later.id).depends_on == [train.id]
    assert store.dependants(train.id) == [later.id]


def test_bad_dependencies_are_rejected_and_nothing_is_written(store):
    with pytest.raises(UserInputError):
        store.create_runs([NewRun("e", "s", "debug.noop", depends_on=[0])])
    with pytest.raises(NotFoundError):
        store.create_runs([NewRun("e", "s", "debug.noop"), NewRun("e", "s", "debug.noop", depends_on=["r-nope00"])])
    assert store.count_runs() == 0


def test_status_check_constraint_rejects_unknown_status(store, db_path):
    (run,) = store.create_runs(_runs(1))
    con = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        con.execute("UPDATE runs SET status = 'exploded' WHERE id = ?", (run.id,))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        con.execute(
            "INSERT INTO runs (id, experiment, submission, stage, status, created_at) VALUES ('r-x', 'e', 's', 'st', 'done', 0)"
        )
    con.close()
    assert store.get_run(run.id).status == "queued"


def test_unknown_run_id_is_not_found(store):
    for call in (store.get_run, store.cancel, store.retry, store.events, store.metrics, store.weights,
                 store.artifacts, store.events_cursor):
        with pytest.raises(NotFoundError, match="no run 'r-zzzzzz'"):
            call("r-zzzzzz")
    with pytest.raises(NotFoundError):
        store.heartbeat("r-zzzzzz", "w")
    with pytest.raises(NotFoundError):
        store.finish("r-zzzzzz", "failed")


def test_list_filters_order_and_pagination(store):
    a = store.create_runs(_runs(5, experiment="a", submission="s-a"))
    b = store.create_runs(_runs(3, experiment="b", submission="s-b", stage="debug.sleep"))
    assert store.count_runs() == 8
    assert store.count_runs(experiment="a") == 5
    assert store.count_runs(stage="debug.sleep") == 3
    newest_first = store.list_runs()
    assert [r.id for r in newest_first] == [r.id for r in (a + b)][::-1]
    oldest_first = store.list_runs(descending=False, limit=3, offset=2)
    assert [r.id for r in oldest_first] == [r.id for r in a[2:5]]
    assert [r.id for r in store.list_runs(descending=False, offset=6)] == [r.id for r in b[1:]]
    assert {r.id for r in store.list_runs(text=b[0].id[2:])} == {b[0].id}
    assert store.count_runs(text="sleep") == 3
    store.cancel(a[0].id)
    assert store.count_runs(status="cancelled") == 1
    assert store.count_runs(status=["cancelled", "queued"]) == 8
    assert store.status_counts() == {"cancelled": 1, "queued": 7}
    with pytest.raises(UserInputError, match="unknown run status"):
        store.list_runs(status="done")
    with pytest.raises(UserInputError, match="cannot order"):
        store.list_runs(order_by="config_json; DROP TABLE runs")


def test_listing_is_index_backed(store, db_path):
    """Paginated listing and counting must not scan+sort the table (time-to-first-paint with 10k runs)."""
    store.create_runs(_runs(50))
    con = sqlite3.connect(db_path)
    plans = {
        "list": "SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET 0",
        "list_status": "SELECT * FROM runs WHERE status = 'queued' ORDER BY created_at DESC, id DESC LIMIT 50",
        "list_experiment": "SELECT * FROM runs WHERE experiment = 'exp' ORDER BY created_at DESC, id DESC LIMIT 50",
        "count_status": "SELECT count(*) FROM runs WHERE status = 'queued'",
        "metrics": "SELECT name, step, value FROM metrics WHERE run_id = 'r' AND name = 'loss' ORDER BY name, step",
    }
    for what, sql in plans.items():
        plan = " | ".join(row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql))
        assert "TEMP B-TREE" not in plan, (what, plan)
        assert "USING" in plan or "COVERING" in plan or "PRIMARY KEY" in plan, (what, plan)
    con.close()


def test_claim_respects_dependencies_and_is_exclusive(store):
    first, second = store.create_runs([NewRun("e", "s", "debug.noop"), NewRun("e", "s", "debug.noop", depends_on=[0])])
    claimed = store.claim_next("w1")
    assert claimed.id == first.id and claimed.status == "running" and claimed.worker == "w1"
    assert store.claim_next("w2") is None  # second waits for first
    store.finish(first.id, "succeeded")
    assert store.claim_next("w2").id == second.id
    assert store.claim_next("w3") is None


def test_claim_by_threads_is_exactly_once(db_path):
    Store.open(db_path).create_runs(_runs(40))
    claims: list[str] = []
    lock = threading.Lock()

    def grab(name):
        s = Store.open(db_path, busy_timeout_s=30)
        while (run := s.claim_next(name)) is not None:
            with lock:
                claims.append(run.id)
        s.close()

    threads = [threading.Thread(target=grab, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claims) == 40 and len(set(claims)) == 40


def test_terminal_states_are_never_overwritten_and_failures_keep_error(store):
    ok, bad = store.create_runs(_runs(2))
    store.claim_next("w")
    store.claim_next("w")
    assert store.finish(ok.id, "succeeded").status == "succeeded"
    failed = store.finish(bad.id, "failed", "ValueError: boom")
    assert failed.status == "failed" and failed.error == "ValueError: boom" and failed.finished_at
    assert store.finish(ok.id, "failed", "late").status == "succeeded"
    again = store.finish(bad.id, "succeeded")
    assert again.status == "failed" and again.error == "ValueError: boom"
    assert store.finish(bad.id, "cancelled").status == "failed"
    with pytest.raises(UserInputError, match="already succeeded"):
        store.cancel(ok.id)
    with pytest.raises(UserInputError):
        store.finish(ok.id, "queued")
    (queued,) = store.create_runs(_runs(1))
    with pytest.raises(StoreError, match="queued"):
        store.finish(queued.id, "succeeded")


def test_finish_by_a_worker_that_no_longer_owns_the_run_changes_nothing(store):
    (run,) = store.create_runs(_runs(1))
    store.claim_next("w-old")
    store.finish(run.id, "lost", "no heartbeat")
    store.retry(run.id)
    store.claim_next("w-new")
    assert store.finish(run.id, "failed", "stale", worker_id="w-old").status == "running"
    assert store.heartbeat(run.id, "w-old") == "lost"
    assert store.heartbeat(run.id, "w-new") == "running"


def test_failure_cancels_dependants_and_retry_requeues_them(store):
    a, b, c, other = store.create_runs(
        [NewRun("e", "s", "world"), NewRun("e", "s", "train", depends_on=[0]),
         NewRun("e", "s", "evaluate", depends_on=[1]), NewRun("e", "s", "debug.noop")]
    )
    store.claim_next("w")
    store.finish(a.id, "failed", "RuntimeError: x")
    b2, c2 = store.get_run(b.id), store.get_run(c.id)
    assert (b2.status, b2.error) == ("cancelled", f"dependency {a.id} failed")
    assert (c2.status, c2.error) == ("cancelled", f"dependency {a.id} failed")
    assert store.get_run(other.id).status == "queued"
    with pytest.raises(UserInputError) as info:
        store.retry(c.id)
    assert f"retry {a.id} first" in info.value.one_line()
    retried = store.retry(a.id)
    assert (retried.id, retried.status, retried.attempt, retried.error) == (a.id, "queued", 2, None)
    assert store.get_run(b.id).status == "queued" and store.get_run(c.id).status == "queued"
    assert store.get_run(b.id).error is None


def test_retry_requeue_stays_blocked_by_another_failed_dependency(store):
    a, b, c = store.create_runs(
        [NewRun("e", "s", "x"), NewRun("e", "s", "y"), NewRun("e", "s", "z", depends_on=[0, 1])]
    )
    store.claim_next("w"), store.claim_next("w")
    store.finish(a.id, "failed", "A")
    store.finish(b.id, "failed", "B")
    store.retry(a.id)
    c2 = store.get_run(c.id)
    assert c2.status == "cancelled" and c2.error == f"dependency {b.id} failed"
    store.retry(b.id)
    assert store.get_run(c.id).status == "queued"


def test_cancel_queued_and_running(store):
    q, r, dep = store.create_runs([NewRun("e", "s", "a"), NewRun("e", "s", "b"), NewRun("e", "s", "c", depends_on=[1])])
    cancelled = store.cancel(q.id)
    assert cancelled.status == "cancelled" and cancelled.error == "cancelled by user"
    assert store.cancel(q.id).status == "cancelled"  # idempotent
    running = store.claim_next("w")
    assert running.id == r.id
    store.cancel(r.id)
    assert store.heartbeat(r.id, "w") == "cancelled"  # the worker learns it must stop the job
    assert store.get_run(dep.id).status == "cancelled"
    assert store.finish(r.id, "succeeded").status == "cancelled"
    assert store.claim_next("w") is None


def test_retry_rules(store):
    (run,) = store.create_runs(_runs(1))
    with pytest.raises(UserInputError, match="is queued"):
        store.retry(run.id)
    store.claim_next("w")
    with pytest.raises(UserInputError, match="is running"):
        store.retry(run.id)
    store.finish(run.id, "preempted", "slurm")
    assert store.retry(run.id).status == "queued"
    store.claim_next("w")
    store.finish(run.id, "succeeded")
    with pytest.raises(UserInputError, match="is succeeded"):
        store.retry(run.id)


def test_reaper_marks_silent_runs_lost(store):
    stale, fresh = store.create_runs(_runs(2))
    store.claim_next("w-dead")
    store.claim_next("w-alive")
    con = sqlite3.connect(store.path)
    con.execute("UPDATE runs SET heartbeat_at = heartbeat_at - 100 WHERE id = ?", (stale.id,))
    con.commit()
    con.close()
    lost = store.reap_lost(30)
    assert [r.id for r in lost] == [stale.id]
    assert lost[0].status == "lost" and "w-dead" in lost[0].error
    assert store.get_run(fresh.id).status == "running"
    assert store.retry(stale.id).attempt == 2


def _ingest(store, run, events):
    """Ingest event lines the way the worker does: parsed into typed rows next to the run directory."""
    return store.ingest_events(run.id, parse_events(events, run.run_dir))


def _write_weights(run_dir, rows):
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "weights.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_ingestion_records_everything_and_is_idempotent(store, tmp_path):
    from pathlib import Path

    (run,) = store.create_runs([NewRun("e", "s", "score")])
    _write_weights(Path(run.run_dir), [
        {"sample_id": "v1", "generator": "procedural", "misalignment": "flip", "f_target": 0.9, "f_other": 0.2,
         "weight": 0.7, "faithful": True},
        {"sample_id": "v2", "generator": "procedural", "misalignment": "count", "f_target": 0.3, "f_other": 0.6,
         "weight": 0.0, "faithful": False},
    ])
    events = [
        {"seq": 0, "ts": 1.0, "kind": "log", "level": "info", "msg": "hello"},
        {"seq": 1, "ts": 2.0, "kind": "progress", "done": 1, "total": 4, "msg": "step"},
        {"seq": 2, "ts": 3.0, "kind": "metric", "name": "loss", "value": 2.0, "step": 0},
        {"seq": 3, "ts": 4.0, "kind": "metric", "name": "loss", "value": 1.5, "step": 1},
        {"seq": 4, "ts": 5.0, "kind": "weights", "path": "weights.jsonl"},
        {"seq": 5, "ts": 6.0, "kind": "result", "benchmark": "ssv2-temporal", "metric": "acc", "value": 60.0,
         "subset": None, "control": None},
        {"seq": 6, "ts": 7.0, "kind": "result", "benchmark": "videocon", "metric": "auc", "value": 70.0,
         "subset": None, "control": None},
        {"seq": 7, "ts": 8.0, "kind": "result", "benchmark": "videocon", "metric": "auc", "value": 55.0,
         "subset": "type=flip", "control": None},
        {"seq": 8, "ts": 9.0, "kind": "artifact", "name": "model", "path": "model.pt"},
    ]
    assert _ingest(store, run, events) == 9
    assert _ingest(store, run, events) == 0
    assert _ingest(store, run, events[3:]) == 0
    assert store.events_cursor(run.id) == 9
    got = store.get_run(run.id)
    assert got.progress == pytest.approx(0.25) and got.progress_msg == "step"
    assert got.key_metric == pytest.approx(65.0)  # mean over benchmarks of the headline results
    assert [e.seq for e in store.events(run.id)] == list(range(9))
    assert [e.data["msg"] for e in store.events(run.id, kinds=["log"])] == ["hello"]
    assert [e.seq for e in store.events(run.id, tail=2)] == [7, 8]
    assert [e.seq for e in store.events(run.id, since_seq=6, limit=2)] == [6, 7]
    assert [(m.step, m.value) for m in store.metrics(run.id, "loss")] == [(0, 2.0), (1, 1.5)]
    assert store.metric_names(run.id) == ["loss"]
    assert store.latest_metrics([run.id])[run.id]["loss"].value == 1.5
    results = store.results([run.id])
    assert [(r.benchmark, r.subset, r.value) for r in results] == [
        ("ssv2-temporal", None, 60.0), ("videocon", None, 70.0), ("videocon", "type=flip", 55.0)]
    weights = store.weights(run.id)
    assert [(w.sample_id, w.weight, w.faithful) for w in weights] == [("v1", 0.7, True), ("v2", 0.0, False)]
    assert [(a.name, a.path) for a in store.artifacts(run.id)] == [("model", "model.pt")]
    # later events continue from the cursor; a metric at an older step does not move the latest value
    more = [{"seq": 9, "ts": 10.0, "kind": "metric", "name": "loss", "value": 9.0, "step": 0}]
    assert _ingest(store, run, more) == 1
    assert store.latest_metrics(run.id)[run.id]["loss"].value == 1.5
    assert store.metrics(run.id, "loss")[0].value == 9.0


def test_metrics_thinning_keeps_the_last_point(store):
    (run,) = store.create_runs(_runs(1))
    _ingest(store, run, [{"seq": i, "ts": 0.0, "kind": "metric", "name": "loss", "value": float(i), "step": i}
                         for i in range(1000)])
    thin = store.metrics(run.id, "loss", max_points=100)
    assert 80 <= len(thin) <= 100 and thin[0].step == 0 and thin[-1].step == 999


def test_read_only_store_reads_but_never_writes(db_path):
    writer = Store.open(db_path)
    (run,) = writer.create_runs(_runs(1))
    reader = Store.open(db_path, read_only=True)
    assert reader.get_run(run.id).id == run.id
    writer.create_runs(_runs(2))
    assert reader.count_runs() == 3  # sees the other process's commits
    with pytest.raises(StoreError, match="read-only"):
        reader.cancel(run.id)
    reader.close(), writer.close()


def test_missing_database_read_only_or_without_create(tmp_path):
    with pytest.raises(StoreError, match="no synvita database"):
        Store.open(tmp_path / "none.db", read_only=True)
    with pytest.raises(StoreError, match="no synvita database"):
        Store.open(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


def test_unwritable_location_is_a_one_line_store_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError) as info:
        Store.open(blocker / "sub" / "synvita.db")
    assert "cannot create the database directory" in info.value.one_line()
    assert "\n" not in info.value.one_line()


def test_database_locked_longer_than_timeout(db_path):
    store = Store.open(db_path, busy_timeout_s=0.2)
    (run,) = store.create_runs(_runs(1))
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError) as info:
            store.create_runs(_runs(1))
        assert "locked by another writer for more than 0.2s" in info.value.one_line()
        with pytest.raises(StoreError, match="locked"):
            store.claim_next("w")
        assert store.get_run(run.id).status == "queued"  # reads still work under WAL
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.count_runs() == 1 and store.claim_next("w").id == run.id
    store.close()


def test_db_location_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("SYNVITA_DB", raising=False)
    monkeypatch.setenv("SYNVITA_HOME", str(tmp_path / "home"))
    assert resolve_db_path() == tmp_path / "home" / "synvita.db"
    monkeypatch.setenv("SYNVITA_DB", str(tmp_path / "env.db"))
    assert resolve_db_path() == tmp_path / "env.db"
    assert resolve_db_path(tmp_path / "flag.db") == tmp_path / "flag.db"
    (tmp_path / "dir").mkdir()
    assert resolve_db_path(tmp_path / "dir") == tmp_path / "dir" / "synvita.db"
    monkeypatch.delenv("SYNVITA_DB")
    monkeypatch.delenv("SYNVITA_HOME")
    project = tmp_path / "proj"
    (project / ".synvita").mkdir(parents=True)
    (project / "sub" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(project / "sub" / "deeper")
    assert resolve_db_path() == project / ".synvita" / "synvita.db"
    monkeypatch.chdir(tmp_path)
    assert resolve_db_path() == tmp_path / ".synvita" / "synvita.db"


def test_store_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, synvita.store, synvita.runs.worker; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_metrics_thinning_is_even_and_bounded(store):
    (run,) = store.create_runs(_runs(1))
    events = [{"seq": i, "ts": 0.0, "kind": "metric", "name": "loss", "value": float(i), "step": i} for i in range(1001)]
    events += [{"seq": 1001 + i, "ts": 0.0, "kind": "metric", "name": "lr", "value": 0.1, "step": i} for i in range(5)]
    _ingest(store, run, events)
    thin = store.metrics(run.id, max_points=50)
    loss = [p.step for p in thin if p.name == "loss"]
    assert 40 <= len(loss) <= 51 and loss[0] == 0 and loss[-1] == 1000
    gaps = {b - a for a, b in zip(loss, loss[1:-1])}
    assert len(gaps) == 1  # evenly spaced (the last point may close a shorter gap)
    assert [p.step for p in thin if p.name == "lr"] == [0, 1, 2, 3, 4]  # short series untouched
    assert [p.step for p in store.metrics(run.id, "loss", since_step=998)] == [998, 999, 1000]


def test_trigger_maintained_counts_agree_with_a_scan(store):
    runs = store.create_runs(_runs(6, experiment="x"))
    store.cancel(runs[0].id)
    for _ in range(3):
        store.claim_next("w")
    store.finish(runs[1].id, "succeeded")
    store.finish(runs[2].id, "failed", "boom")
    store.retry(runs[2].id)
    store.reap_lost(-1)  # every running run is "silent" for a negative timeout
    scanned = store.status_counts(experiment="x")  # GROUP BY over runs
    assert store.status_counts() == scanned == {"cancelled": 1, "succeeded": 1, "queued": 3, "lost": 1}
    assert store.count_runs() == 6 and store.count_runs(status=["queued", "lost"]) == 4


def test_a_forked_child_opens_its_own_connections(store):
    import os

    (run,) = store.create_runs(_runs(1))
    store.get_run(run.id)  # the parent's pool now holds a connection
    pid = os.fork()
    if pid == 0:  # child: must not reuse the parent's connection
        try:
            store.claim_next("w-child")
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert store.get_run(run.id).worker == "w-child"


def test_reaper_retry_budget_requeues_lost_local_runs_but_not_slurm_ones(store):
    local, slurm = store.create_runs(_runs(2))
    store.claim_next("w", executor="local")
    store.claim_next("w", executor="slurm")
    first = {r.id: r for r in store.reap_lost(-1, retry_budget=1)}
    assert first[local.id].status == "queued" and first[local.id].attempt == 2
    assert first[local.id].error.startswith("re-queued after: no heartbeat")
    assert first[slurm.id].status == "lost"  # its job may still run: a Slurm worker adopts it instead
    store.claim_next("w", executor="local")
    second = store.reap_lost(-1, retry_budget=1)
    assert [(r.id, r.status) for r in second] == [(local.id, "lost")]  # budget spent


def test_malformed_events_become_error_lines_and_never_stall_ingestion(store):
    (run,) = store.create_runs(_runs(1))
    events = [
        {"seq": 0, "ts": 0.0, "kind": "metric", "name": "loss"},  # no value
        {"seq": 1, "ts": 0.0, "kind": "weights", "path": "missing.jsonl"},
        {"seq": 2, "ts": 0.0, "kind": "result", "benchmark": "b", "metric": "m", "value": "high"},
        {"seq": 3, "ts": 0.0, "kind": "metric", "name": "loss", "value": 0.5, "step": 1},
    ]
    assert _ingest(store, run, events) == 4
    assert store.events_cursor(run.id) == 4
    errors = store.events(run.id, kinds=["log"])
    assert [e.seq for e in errors] == [0, 1, 2]
    assert "malformed metric event: KeyError" in errors[0].data["msg"]
    assert "weights file 'missing.jsonl' unreadable" in errors[1].data["msg"]
    assert errors[2].data["event"]["value"] == "high"
    assert [(m.step, m.value) for m in store.metrics(run.id)] == [(1, 0.5)]
    assert store.results(run.id) == [] and store.weights(run.id) == []
    with pytest.raises(UserInputError, match="integer seq"):
        parse_events([{"kind": "log", "msg": "no seq"}], run.run_dir)


def test_has_pending_is_false_once_only_intervention_can_help(store):
    a, b, c = store.create_runs([NewRun("e", "s", "x"), NewRun("e", "s", "y", depends_on=[0]),
                                 NewRun("e", "s", "z", depends_on=[1])])
    assert store.has_pending(submission="s")
    store.claim_next("w")
    assert store.has_pending(submission="s")  # a is running
    store.finish(a.id, "lost", "worker died")
    assert not store.has_pending(submission="s")  # b and c wait on a lost run: nothing moves until a retry
    assert not store.has_pending(submission="other")
    store.retry(a.id)
    assert store.has_pending()


def test_the_store_records_typed_rows_and_reads_no_run_directory(store):
    (run,) = store.create_runs(_runs(1))
    line = SampleWeightLine(sample_id="v1", generator="g", misalignment="flip", f_target=0.9, f_other=0.2,
                            weight=0.7, faithful=True)
    rows = [
        MetricEvent(seq=0, ts=1.0, data={"name": "loss", "value": 2, "step": 0}, name="loss", step=0, value=2.0),
        WeightsEvent(seq=1, ts=2.0, data={"path": "nowhere/weights.jsonl"}, weights=(line,)),
        StageEvent(seq=2, ts=3.0, kind="custom", data={"x": 1}),
    ]
    assert store.ingest_events(run.id, rows) == 3
    assert [(w.sample_id, w.weight, w.faithful) for w in store.weights(run.id)] == [("v1", 0.7, True)]
    assert [(e.kind, e.data) for e in store.events(run.id)] == [
        ("metric", {"name": "loss", "value": 2, "step": 0}), ("weights", {"path": "nowhere/weights.jsonl"}),
        ("custom", {"x": 1})]  # each line's fields as written
    assert store.get_run(run.id).key_metric == 2.0
    with pytest.raises(UserInputError, match="not an event row"):
        store.ingest_events(run.id, [{"seq": 3, "ts": 0.0, "kind": "log", "msg": "a dict"}])


@pytest.mark.parametrize("name", ["", "x" * 201, "evil\x1b]0;pwned\x07", "two\nlines"])
def test_create_runs_refuses_a_run_name_the_specs_refuse_whichever_front_end_sent_it(store, name):
    with pytest.raises(UserInputError) as info:
        store.create_runs([NewRun("fine", "s-1", "debug.noop"), NewRun(name, "s-1", "debug.noop")])
    assert info.value.one_line().startswith("run #1 (debug.noop): the name")
    assert store.count_runs() == 0  # all or nothing
