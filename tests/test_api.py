"""synvita.api on a real SQLite file: submit, tables, weight summaries, diff, doctor (no ML: results are ingested events)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synvita import report
from synvita.api import Api
from synvita.api.tables import chance_levels
from synvita.entities import Run
from synvita.errors import NotFoundError, UserInputError
from synvita.runs.ingest import parse_events
from synvita.store import NewRun

BENCHMARKS = report.default_benchmarks()

SMALL = """
name = "small"
seeds = [0, 1]
[world]
preset = "tiny"
[train]
variants = ["none", "naive", "synvita"]
[evaluate]
benchmarks = []
"""


def finish_run(api: Api, submission: str, stage: str, *, events=(), weights=None, status="succeeded", **fields) -> str:
    """Create one run, claim it, ingest its events (and weights file), and finish it."""
    store = api.store
    [run] = store.create_runs([NewRun(experiment=fields.pop("experiment", "exp"), submission=submission, stage=stage, **fields)])
    claimed = store.claim_next("w-test", submission=submission)
    assert claimed is not None and claimed.id == run.id
    payload = list(events)
    if weights is not None:
        Path(run.run_dir).mkdir(parents=True, exist_ok=True)
        (Path(run.run_dir) / "weights.jsonl").write_text("".join(json.dumps(w) + "\n" for w in weights))
        payload.append({"kind": "weights", "path": "weights.jsonl"})
    lines = [{"seq": i, "ts": 0.0, **e} for i, e in enumerate(payload)]
    store.ingest_events(run.id, parse_events(lines, run.run_dir))
    store.finish(run.id, status, error=None if status == "succeeded" else "boom")
    return run.id


def result(benchmark, value, metric="auc", subset=None, control=None):
    return {"kind": "result", "benchmark": benchmark, "metric": metric, "value": value, "subset": subset, "control": control}


def headline(values: dict[str, float]) -> list[dict]:
    return [result(b, v) for b, v in values.items()]


@pytest.fixture
def api(tmp_path):
    with Api(db=tmp_path / "db" / "synvita.db") as api:
        yield api


def seed_table_runs(api: Api, submission: str = "s-table") -> dict[str, list[str]]:
    """none/naive/synvita × seeds 0, 1 with known values: base 50 + offset + seed."""
    offsets = {"none": 0.0, "naive": -2.0, "synvita": 3.0}
    ids: dict[str, list[str]] = {}
    for variant, offset in offsets.items():
        for seed in (0, 1):
            values = {b: 50.0 + offset + seed + i for i, b in enumerate(BENCHMARKS)}
            events = headline(values) + [
                result("entail-llm", 60.0 + seed, subset="type=flip"),
                result("retrieval-temporal", 5.0, control="shuffled"),
                result("retrieval-temporal", 7.0, metric="R@1", control="shuffled"),  # a secondary metric
            ]
            rid = finish_run(
                api, submission, "evaluate", events=events, variant=variant, seed=seed,
                generator=None if variant == "none" else "procedural",
            )
            ids.setdefault(variant, []).append(rid)
    return ids


#### submit ####


def test_submit_stores_the_planned_pipeline(api, tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    spec = api.load_experiment(path)
    plan = api.plan(spec)
    submission = api.submit(spec)
    assert len(submission.runs) == len(plan) and submission.experiment == "small"
    assert all(r.status == "queued" and r.submission == submission.id for r in submission.runs)
    for planned, run in zip(plan, submission.runs):
        assert run.stage == planned.stage and run.variant == planned.variant and run.seed == planned.seed
        assert run.depends_on == [submission.runs[i].id for i in planned.depends_on] or sorted(run.depends_on) == sorted(
            submission.runs[i].id for i in planned.depends_on
        )
        assert run.config["stage"] == planned.stage
    assert api.count_runs(submission=submission.id) == len(plan)
    assert {r.id for r in api.list_runs(stage="train")} == {r.id for r in submission.runs if r.stage == "train"}


def test_bad_spec_leaves_the_database_untouched(api, tmp_path):
    api.submit(api.load_experiment(_write(tmp_path, SMALL)))
    before = api.count_runs()
    with pytest.raises(UserInputError):
        api.load_experiment(_write(tmp_path, SMALL.replace("[train]", "[train]\nlamda = 1"), "bad.toml"))
    assert api.count_runs() == before


def _write(tmp_path: Path, text: str, name: str = "small.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_unknown_run_id_is_not_found(api):
    with pytest.raises(NotFoundError, match="no run 'r-nope'"):
        api.get_run("r-nope")
    api.store  # create the database
    with pytest.raises(NotFoundError):
        api.get_run("r-nope")


def test_listing_without_a_database_is_empty_and_creates_nothing(tmp_path):
    api = Api(db=tmp_path / "none" / "synvita.db")
    assert api.list_runs() == [] and api.count_runs() == 0
    assert not (tmp_path / "none").exists()


#### tables ####


def test_table_rows_are_variants_with_mean_std_n_and_deltas(api):
    seed_table_runs(api)
    table = api.table(submission="s-table")
    assert [r.label for r in table.rows] == ["none", "naive", "synvita"]
    assert [c.key for c in table.columns] == BENCHMARKS + ["mean"]
    none, naive, synvita = table.rows
    for i, bench in enumerate(BENCHMARKS):
        cell = synvita.cells[bench]
        assert cell.n == 2 and cell.mean == pytest.approx(53.0 + i + 0.5)
        assert cell.std == pytest.approx(math.sqrt(0.5))  # sample std of (x, x + 1)
        assert cell.delta == pytest.approx(3.0) and cell.best
        assert naive.cells[bench].delta == pytest.approx(-2.0) and not naive.cells[bench].best
        assert none.cells[bench].delta is None
    # with two seeds each entailment row's t-interval (±6.35 around 50.5 + i) contains chance (50): those three are
    # at chance and the mean averages the other three
    assert table.at_chance == ["entail-llm", "entail-human", "entail-human-hard"]
    assert table.chance == {"entail-llm": 50.0, "entail-human": 50.0, "entail-human-hard": 50.0, "qa-hard": 20.0}
    mean_of_informative = sum(50.0 + i for i in range(3, len(BENCHMARKS))) / 3 + 0.5
    assert none.cells["mean"].mean == pytest.approx(mean_of_informative)
    assert table.baseline == "none"


def test_table_json_gives_mean_std_n_per_variant_and_benchmark(api):
    seed_table_runs(api)
    data = json.loads(api.format_table(api.table(submission="s-table"), "json"))
    rows = {r["variant"]: r for r in data["rows"]}
    assert set(rows) == {"none", "naive", "synvita"}
    cell = rows["naive"]["cells"]["qa-hard"]
    assert cell["n"] == 2 and cell["mean"] == pytest.approx(48.0 + 5 + 0.5) and cell["std"] == pytest.approx(math.sqrt(0.5))
    assert cell["delta"] == pytest.approx(-2.0) and rows["naive"]["seeds"] == [0, 1]


def test_table_baseline_choice_and_missing_baseline(api):
    seed_table_runs(api)
    table = api.table(submission="s-table", baseline="naive")
    assert table.rows[0].label == "naive"
    assert table.rows[1].cells["entail-llm"].delta == pytest.approx(2.0)
    table = api.table(submission="s-table", baseline="weighting")
    assert table.baseline is None and all(c.delta is None for r in table.rows for c in r.cells.values())
    assert "no 'weighting' row" in api.format_table(table, "text")


def test_table_controls_and_per_type_columns(api):
    seed_table_runs(api)
    plain = api.table(submission="s-table")
    assert all(c.subset is None and c.control is None for c in plain.columns)
    table = api.table(submission="s-table", include_controls=True)
    extra = {c.key: c for c in table.columns if c.group != "benchmarks"}
    flip = next(c for c in extra.values() if c.subset == "type=flip")
    shuffled = next(c for c in extra.values() if c.control == "shuffled")
    assert flip.group == "entail-llm by type" and flip.label == "flip"
    assert not any(c.metric == "R@1" for c in table.columns)  # secondary metrics only with include_other_metrics
    groups = list(dict.fromkeys(c.group for c in table.columns))
    assert groups == ["benchmarks", "entail-llm by type", "control: shuffled"]
    assert table.rows[0].cells[flip.key].mean == pytest.approx(60.5)
    assert table.rows[2].cells[shuffled.key].mean == pytest.approx(5.0)
    text = api.format_table(table, "text")
    assert "[control: shuffled]" in text and "[entail-llm by type]" in text


def test_table_formats_carry_the_numbers(api):
    seed_table_runs(api)
    table = api.table(submission="s-table")
    md = api.format_table(table, "md")
    # every seed of synvita is 3 above none's: the paired differences (3, 3) have a zero-width interval, so † marks it
    assert "| variant | n | entail-llm |" in md and "**53.50** ± 0.71 [47.15,59.85] (↑3.00±0.00†)" in md
    assert "_↑/↓: difference to the 'none' row, paired by seed" in md
    latex = api.format_table(table, "latex")
    assert r"\textbf{53.50}$\pm$0.71 {\scriptsize [47.15,59.85]}" in latex and r"$\downarrow$2.00$\pm$0.00$^\dagger$" in latex
    assert r"\bottomrule" in latex and "% chance: entail-llm 50.00" in latex
    csv_text = api.format_table(table, "csv").splitlines()
    assert csv_text[0].startswith(
        "row,variant,generator,experiment,n,entail-llm:mean,entail-llm:std,entail-llm:n,entail-llm:low,entail-llm:high,"
        "entail-llm:delta,entail-llm:delta_low,entail-llm:delta_high,entail-llm:delta_n,entail-llm:significant"
    )
    assert csv_text[3].startswith("synvita,synvita,procedural,exp,2,53.5000,0.7071,2,47.1470,59.8530,3.0000,3.0000,3.0000,2,1")
    text = api.format_table(table, "text")
    assert "53.50±0.71" in text and "[47.15,59.85]" in text and "↑3.00±0.00†" in text and "↓2.00±0.00†" in text
    assert "at chance (every row's interval contains chance): entail-llm" in text and "\x1b[" not in text
    assert "\x1b[1m" in api.format_table(table, "text", color=True)
    with pytest.raises(UserInputError, match="unknown table format"):
        api.format_table(table, "html")


def test_table_defaults_to_the_latest_submission_and_accepts_train_runs(api):
    seed_table_runs(api, "s-old")
    newest = finish_run(api, "s-new", "evaluate", events=headline({b: 10.0 for b in BENCHMARKS}), variant="none", seed=0)
    table = api.table()
    assert [r.runs for r in table.rows] == [[newest]]
    train = finish_run(api, "s-x", "train", variant="synvita", seed=3)
    [evaluate] = api.store.create_runs(
        [NewRun(experiment="exp", submission="s-x", stage="evaluate", variant="synvita", seed=3, depends_on=[train])]
    )
    api.store.claim_next("w", submission="s-x")
    api.store.ingest_events(evaluate.id, parse_events([{"seq": 0, "ts": 0, **result("qa-hard", 40.0)}], evaluate.run_dir))
    api.store.finish(evaluate.id, "succeeded")
    assert api.table_runs(run_ids=[train]) == [api.get_run(evaluate.id)]
    assert api.table(run_ids=[train]).rows[0].runs == [evaluate.id]


def test_table_separates_generators_and_sweep_points(api):
    for profile in ("clean", "lavie-like"):
        for generator in ("procedural", "folder"):
            finish_run(
                api, "s-g", "evaluate", events=headline({"qa-hard": 30.0}), variant="naive", seed=0,
                generator=generator, config={"sweep": {"generation.profile": profile}},
            )
    labels = [r.label for r in api.table(submission="s-g").rows]
    assert labels == sorted(labels) and len(labels) == 4
    assert "naive · procedural · profile=clean" in labels


#### weights ####


def weight(sample, kind, f_target, f_other, faithful=None, generator="procedural"):
    return {
        "sample_id": sample, "generator": generator, "misalignment": kind, "f_target": f_target, "f_other": f_other,
        "weight": max(0.0, f_target - f_other), "faithful": faithful,
    }


def test_weights_summary_per_type_generator_and_faithful(api):
    rows = [weight(f"a{i}", "action", 0.9, 0.1, faithful=True) for i in range(6)]
    rows += [weight(f"f{i}", "flip", 0.2, 0.6, faithful=False) for i in range(4)]
    rows += [weight("f-ok", "flip", 0.7, 0.2, faithful=True, generator="folder")]
    score = finish_run(api, "s-w", "score", weights=rows, generator="procedural")
    summary = api.weights_summary(score, bins=10)
    assert summary.count == 11 and set(summary.by_type) == {"action", "flip"}
    action, flip = summary.by_type["action"], summary.by_type["flip"]
    assert action.count == 6 and action.mean == pytest.approx(0.8) and action.frac_zero == 0.0
    assert flip.count == 5 and flip.frac_zero == pytest.approx(0.8)
    assert flip.diff_mean == pytest.approx((4 * -0.4 + 0.5) / 5)
    assert sum(flip.diff_hist.counts) == 5 and sum(flip.omega_hist.counts) == 5 and len(flip.omega_hist.edges) == 11
    assert flip.quantiles["q50"] == 0.0 and action.quantiles["q90"] == pytest.approx(0.8)
    assert set(summary.by_generator) == {"procedural", "folder"}
    assert summary.by_faithful["flip"]["faithful"].count == 1 and summary.by_faithful["flip"]["unfaithful"].count == 4
    assert summary.faithful_auroc["all"] == pytest.approx(1.0)  # ω separates faithful from unfaithful perfectly here
    text = report.format_weights(summary)
    assert "action" in text and "flip" in text and "AUROC" in text and "faithful" in text
    assert any(ch in text for ch in report.BLOCKS[1:])
    assert json.loads(json.dumps(summary.to_dict()))["by_type"]["flip"]["count"] == 5


def test_weights_of_a_train_run_come_from_its_score_run(api):
    score = finish_run(api, "s-w", "score", weights=[weight("x", "count", 0.6, 0.1)])
    train = finish_run(api, "s-w", "train", variant="synvita", seed=0, depends_on=[score])
    assert [w.sample_id for w in api.weights(train)] == ["x"]
    none = finish_run(api, "s-w", "train", variant="none", seed=0)
    assert api.weights_summary(none).count == 0
    assert "no sample weights" in report.format_weights(api.weights_summary(none))


def test_weights_source_follows_lineage_to_the_nearest_score_run(api):
    score = finish_run(api, "s-w", "score", weights=[weight("x", "count", 0.6, 0.1)])
    train = finish_run(api, "s-w", "train", variant="synvita", seed=0, depends_on=[score])
    evaluate = finish_run(api, "s-w", "evaluate", variant="synvita", seed=0, depends_on=[train])
    none = finish_run(api, "s-w", "train", variant="none", seed=0)
    assert api.weights_source(score).id == score
    assert api.weights_source(train).id == score and api.weights_source(evaluate).id == score
    assert api.weights_source(none) is None


#### diff, progress, doctor, db ####


def test_diff_lists_changed_config_and_result_deltas(api):
    a = finish_run(api, "s-d", "evaluate", events=headline({"qa-hard": 30.0}), variant="naive", seed=0,
                   config={"train": {"lambda_scr": 1.0, "margin": 0.2}})
    b = finish_run(api, "s-d", "evaluate", events=headline({"qa-hard": 32.5}) + [result("entail-llm", 70.0)],
                   variant="synvita", seed=0, config={"train": {"lambda_scr": 0.5, "margin": 0.2}})
    d = api.diff(a, b)
    assert ("variant", "naive", "synvita") in d.fields
    assert d.config == [("train.lambda_scr", 1.0, 0.5)]
    by_key = {k: (x, y, delta) for k, x, y, delta in d.results}
    assert by_key["qa-hard auc"] == (30.0, 32.5, 2.5)
    assert by_key["entail-llm auc"] == (None, 70.0, None)
    assert json.loads(json.dumps(d.to_dict()))["config"][0]["key"] == "train.lambda_scr"


def test_progress_names_failed_runs_but_not_blocked_ones(api):
    store = api.store
    runs = store.create_runs([
        NewRun(experiment="e", submission="s-p", stage="debug.fail"),
        NewRun(experiment="e", submission="s-p", stage="debug.noop", depends_on=[0]),
    ])
    store.claim_next("w", submission="s-p")
    store.finish(runs[0].id, "failed", error="boom")
    progress = api.progress("s-p")
    assert progress.finished and progress.total == 2
    assert [r.id for r in progress.failed] == [runs[0].id]
    assert progress.counts == {"failed": 1, "cancelled": 1}


def test_doctor_reports_sqlite_database_and_packages_without_importing_torch(tmp_path):
    code = (
        "import sys, json; from synvita.api import Api; "
        f"checks = Api(db={str(tmp_path / 'd' / 'x.db')!r}).doctor(); "
        "print(json.dumps([[c.name, c.ok, c.required] for c in checks])); "
        "print('torch' in sys.modules, 'transformers' in sys.modules, 'diffusers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    checks = {name: (ok, required) for name, ok, required in json.loads(out[0])}
    assert out[1] == "False False False"
    for name in ("sqlite", "sqlite RETURNING", "sqlite JSON", "sqlite WAL", "database", "filesystem", "disk", "torch", "gpu"):
        assert name in checks
    assert checks["sqlite RETURNING"][0] and checks["sqlite JSON"][0] and checks["sqlite WAL"][0]
    assert checks["gpu"][1] is False  # optional
    assert not (tmp_path / "d").exists()  # doctor creates no database


def test_upgrade_db_creates_a_fresh_database(tmp_path):
    api = Api(db=tmp_path / "fresh.db")
    before, after = api.upgrade_db()
    assert before == 0 and after >= 1
    assert api.upgrade_db() == (after, after)


def test_table_keeps_runs_with_different_settings_apart(api):
    """The same experiment submitted twice with different λ: two rows per variant, never one average."""
    for lam, value in ((1.0, 40.0), (0.5, 44.0)):
        for seed in (0, 1):
            finish_run(api, f"s-{lam}", "evaluate", events=headline({"qa-hard": value + seed}), variant="synvita", seed=seed,
                       experiment="quickstart", config={"seed": seed, "train": {"lambda_scr": lam, "variants": ["synvita"]}})
    table = api.table(experiment="quickstart")
    assert sorted(r.label for r in table.rows) == ["synvita · lambda_scr=0.5", "synvita · lambda_scr=1.0"]
    assert sorted(r.cells["qa-hard"].mean for r in table.rows) == [40.5, 44.5]


def test_secondary_metrics_only_on_request_and_wide_blocks_are_split(api):
    events = headline({b: 50.0 for b in BENCHMARKS}) + [result("retrieval-temporal", 30.0, metric="R@1")]
    events += [result("entail-llm", 55.0, subset=f"type={t}", control="shuffled") for t in "abcdefghij"]
    finish_run(api, "s-m", "evaluate", events=events, variant="none", seed=0)
    with_controls = api.table(submission="s-m", include_controls=True)
    assert not any(c.metric == "R@1" for c in with_controls.columns)
    everything = api.table(submission="s-m", include_other_metrics=True)
    r1 = next(c for c in everything.columns if c.metric == "R@1")
    assert everything.rows[0].cells[r1.key].mean == 30.0
    text = api.format_table(with_controls, "text")
    assert "[entail-llm by type · shuffled (1/2)]" in text and "[entail-llm by type · shuffled (2/2)]" in text
    assert max(len(line) for line in text.splitlines()) < 120


def test_a_database_we_cannot_write_is_opened_read_only(tmp_path, monkeypatch):
    db = tmp_path / "shared.db"
    with Api(db=db) as writer:
        rid = finish_run(writer, "s-ro", "evaluate", events=headline({"qa-hard": 1.0}), variant="none", seed=0)
    import os

    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    from synvita.errors import StoreError

    with Api(db=db) as reader:
        assert [r.id for r in reader.list_runs()] == [rid] and reader.store.read_only
        with pytest.raises(StoreError, match="read-only"):
            reader.cancel(rid)


#### artifacts, several experiments, threads, reaping ####


def test_artifacts_come_from_the_store_one_per_name(api):
    rid = finish_run(api, "s-a", "train", variant="naive", seed=0, events=[
        {"kind": "artifact", "name": "checkpoint", "path": "model-1.pt"},
        {"kind": "artifact", "name": "samples", "path": "samples.mp4"},
        {"kind": "artifact", "name": "checkpoint", "path": "model-2.pt"},  # a later file under the same name wins
    ])
    assert [(a.run_id, a.name, a.path) for a in api.artifacts(rid)] == [
        (rid, "checkpoint", "model-2.pt"), (rid, "samples", "samples.mp4")]
    assert api.artifacts(finish_run(api, "s-a", "world")) == []
    with pytest.raises(NotFoundError, match="no run 'r-nope'"):
        api.artifacts("r-nope")


def test_table_over_several_experiments_adds_their_runs_up(api):
    a = finish_run(api, "s-1", "evaluate", experiment="alpha", events=headline({"qa-hard": 10.0}), variant="none", seed=0)
    b = finish_run(api, "s-2", "evaluate", experiment="beta", events=headline({"qa-hard": 20.0}), variant="none", seed=0)
    c = finish_run(api, "s-3", "evaluate", experiment="gamma", events=headline({"qa-hard": 30.0}), variant="naive", seed=0)
    finish_run(api, "s-2", "evaluate", experiment="beta", events=headline({"qa-hard": 99.0}), variant="none", seed=1,
               status="failed")  # only succeeded runs count
    assert [r.id for r in api.table_runs(experiments=["alpha", "beta"])] == [a, b]
    table = api.table(experiments=["alpha", "beta"])
    assert [(row.label, row.experiment, row.runs) for row in table.rows] == [
        ("alpha · none", "alpha", [a]), ("beta · none", "beta", [b])]  # one row per experiment and variant
    assert [row.cells["qa-hard"].mean for row in table.rows] == pytest.approx([10.0, 20.0])
    # run ids and experiments add up, each run once; `experiment` joins `experiments`
    assert [r.id for r in api.table_runs(run_ids=[c, a], experiments=["alpha"])] == [c, a]
    assert [r.id for r in api.table_runs(experiment="gamma", experiments=["alpha", "gamma"])] == [c, a]
    assert [r.id for r in api.table_runs(experiments=["alpha", "beta"], submission="s-2")] == [b]
    with pytest.raises(NotFoundError, match="no runs of experiment 'alfa'"):
        api.table(experiments=["alpha", "alfa"])


def test_the_store_opens_once_when_threads_race_for_it(api, monkeypatch):
    import threading

    from synvita.store import Store

    real_open = Store.open.__func__
    opened = []

    def slow_open(cls, *args, **kwargs):
        time.sleep(0.05)  # wide window: without the lock every thread would open its own store
        store = real_open(cls, *args, **kwargs)
        opened.append(store)
        return store

    monkeypatch.setattr(Store, "open", classmethod(slow_open))
    barrier = threading.Barrier(8)
    seen = []

    def use() -> None:
        barrier.wait()
        seen.append(api.store)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(opened) == 1 and len(seen) == 8 and all(s is opened[0] for s in seen)
    api.close()
    assert api._store is None and api.list_runs() == [] and api._store is None  # a listing reads without the store
    assert api.store is not opened[0] and len(opened) == 2  # reopens after close


def running_run(api: Api, *, beat_age_s: float, submission: str = "s-live") -> str:
    """A run claimed by a worker that last beat `beat_age_s` seconds ago."""
    [run] = api.store.create_runs([NewRun(experiment="exp", submission=submission, stage="train", variant="naive")])
    assert api.store.claim_next("w-gone", submission=submission).id == run.id
    import sqlite3

    with sqlite3.connect(api.db_path) as conn:
        conn.execute("UPDATE runs SET heartbeat_at = ?, started_at = ? WHERE id = ?",
                     (time.time() - beat_age_s, time.time() - beat_age_s - 1, run.id))
    return run.id


def test_reap_lost_marks_runs_of_a_dead_worker(api):
    assert api.lost_after_s == 30.0
    dead, alive = running_run(api, beat_age_s=120, submission="s-dead"), running_run(api, beat_age_s=1)
    [reaped] = api.reap_lost()
    assert reaped.id == dead and reaped.status == "lost" and "no heartbeat from worker w-gone" in reaped.error
    assert api.get_run(dead).status == "lost" and api.get_run(alive).status == "running"
    assert api.reap_lost() == []
    assert api.retry(dead).status == "queued"  # lost runs re-queue as before


def test_reap_lost_honours_the_timeout_and_can_be_turned_off(tmp_path, monkeypatch):
    db = tmp_path / "r.db"
    with Api(db=db) as writer:
        rid = running_run(writer, beat_age_s=120)
    with Api(db=db, lost_after_s=600) as patient:
        assert patient.reap_lost() == []
    with Api(db=db, lost_after_s=0) as off:
        assert off.reap_lost() == []
    monkeypatch.setenv("SYNVITA_LOST_AFTER", "60")
    with Api(db=db) as from_env:
        assert from_env.lost_after_s == 60.0 and [r.id for r in from_env.reap_lost()] == [rid]
    monkeypatch.setenv("SYNVITA_LOST_AFTER", "soon")
    with pytest.raises(UserInputError, match="SYNVITA_LOST_AFTER"):
        Api(db=db)


def test_reap_lost_never_writes_where_it_may_not(tmp_path, monkeypatch):
    import sqlite3

    missing = tmp_path / "none" / "synvita.db"
    with Api(db=missing) as nothing_yet:
        assert nothing_yet.reap_lost() == [] and not missing.exists()
    db = tmp_path / "r.db"
    with Api(db=db) as writer:
        rid = running_run(writer, beat_age_s=120)
    with Api(db=db, read_only=True) as reader:
        assert reader.reap_lost() == [] and reader.get_run(rid).status == "running"
    # another process holds the write lock: reaping gives up after the busy timeout instead of failing the caller
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with Api(db=db, busy_timeout_s=0.2) as busy:
            assert busy.reap_lost() == [] and busy.get_run(rid).status == "running"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with Api(db=db) as writer:
        assert [r.id for r in writer.reap_lost()] == [rid]


#### workers ####


def test_run_worker_executes_a_submission_and_says_what_it_did(api):
    ok, bad = api.store.create_runs([NewRun("exp", "s-w", "debug.noop"), NewRun("exp", "s-w", "debug.fail")])
    [other] = api.store.create_runs([NewRun("exp", "s-other", "debug.noop")])
    calls: list[tuple] = []
    summary = api.run_worker(
        submission="s-w", until_idle=True,
        on_start=lambda worker_id: calls.append(("start", worker_id)),
        on_event=lambda run, event: calls.append((run.id, event.get("status"))) if event["kind"] == "status" else None,
    )
    assert calls[0] == ("start", summary.worker_id)
    assert (ok.id, "succeeded") in calls and (bad.id, "failed") in calls
    assert summary.runs == [ok.id, bad.id] and summary.statuses == {"succeeded": 1, "failed": 1}
    assert api.get_run(other.id).status == "queued"  # another submission's run stays for another worker


def test_run_worker_stops_when_its_stop_event_is_set(api):
    import threading

    [run] = api.store.create_runs([NewRun("exp", "s-stop", "debug.sleep", config={"seconds": 60})])
    stop = threading.Event()
    summaries = []
    thread = threading.Thread(target=lambda: summaries.append(api.run_worker(stop=stop)))
    thread.start()
    deadline = time.time() + 30
    while api.get_run(run.id).status != "running" and time.time() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    assert summaries[0].runs == [run.id] and summaries[0].statuses == {"cancelled": 1}


def test_run_worker_refuses_an_unknown_executor_before_it_starts(api):
    started = []
    with pytest.raises(UserInputError, match="unknown executor 'cloud'"):
        api.run_worker(executor="cloud", on_start=started.append)
    assert started == []


def test_a_table_reads_only_what_it_shows_yet_equals_one_built_from_every_result(api):
    """Without controls the table fetches the headline rows only; rows, cells and columns stay those of the table
    built from every result — a run whose only results are controls or secondary metrics still gets its row."""
    seeds = {"none": (50.0, 52.0), "synvita": (55.0, 57.0)}
    ids = []
    for variant, values in seeds.items():
        for seed, value in enumerate(values):
            events = [result("retrieval-events", 1.0, metric="R@1"), result("retrieval-events", value + 1, metric="score")]
            events += headline({b: value for b in BENCHMARKS}) + [result("qa-hard", value - 9, control="shuffled")]
            events.append(result("entail-llm", value - 3, subset="type=flip"))
            ids.append(finish_run(api, "s-1", "evaluate", variant=variant, seed=seed, events=events))
    ids.append(finish_run(api, "s-1", "evaluate", variant="naive", seed=0, events=[result("qa-hard", 3.0, control="shuffled")]))
    ids.append(finish_run(api, "s-1", "evaluate", variant="weighting", seed=0, events=[result("qa-hard", 3.0, metric="R@5")]))
    runs = api.store.get_runs(ids)
    for controls, other in ((False, False), (True, False), (True, True)):
        expected = report.build_table(runs, api.store.results(ids), include_controls=controls,
                                      include_other_metrics=other, variant_order=api.variant_names(),
                                      chance=chance_levels(set(BENCHMARKS)))
        got = api.table(submission="s-1", include_controls=controls, include_other_metrics=other)
        assert got.to_dict() == expected.to_dict()
        assert {row.label for row in got.rows} == {"none", "synvita", "naive", "weighting"}


@pytest.mark.parametrize("values, differ", [
    ([1, 1, 1], False),
    ([1, 1.0], True),
    ([1, True], True),
    ([0, False], True),
    ([float("nan"), float("nan")], False),
    ([[1, "a"], [1, "a"]], False),
    ([[1], [1.0]], True),
    ([[{"a": 1, "b": 2}], [{"b": 2, "a": 1}]], False),
    ([[{"a": 1}], [{"a": 1.0}]], True),
    ([None, None], False),
    ([None, "x"], True),
    (["x", "x", "y"], True),
])
def test_rows_split_where_config_values_differ_as_json(values, differ):
    """Runs of one variant land in separate rows when a config value's JSON text differs (1, 1.0 and true do)."""
    runs = [Run(id=f"r-{i}", experiment="e", submission="s", stage="evaluate", status="succeeded",
                             config={"train": {"knob": v}}) for i, v in enumerate(values)]
    assert report.table.differing_config_keys(runs) == (["train.knob"] if differ else [])


@pytest.mark.parametrize("configs, keys", [
    ([{"train": {"lr": 1}}, {"train": {"lr": 1}, "model": {"width": 8}}], ["model.width"]),  # missing in one run
    ([{"train": {"lr": 1}}, {"train": {"lr": 1, "wd": None}}], []),  # missing reads as null
    ([{"train": {}}, {"train": {"lr": 1}}], ["train", "train.lr"]),  # an empty table against a filled one
    ([{"train": 3}, {"train": {"lr": 1}}], ["train", "train.lr"]),  # a value against a table
    ([{"train": {"a": {"b": ["x"]}}}, {"train": {"a": {"b": ["y"]}}}], ["train.a.b"]),
    # a dotted key and a nested one flatten to the same name: the one written last counts, as in `flatten`
    ([{"train.lr": 1, "train": {"lr": 1}}, {"train.lr": 1, "train": {"lr": 2}}], ["train.lr"]),
    ([{"train": {"lr": 1}, "train.lr": 1}, {"train": {"lr": 2}, "train.lr": 1}], []),
    ([{"sweep": {"train.lr": 1}, "train": {"lr": 1, "wd": 0}}, {"sweep": {"train.lr": 1}, "train": {"lr": 2, "wd": 1}}],
     ["train.wd"]),  # swept keys are labelled by the sweep
    ([{"seed": 0, "variant": "none", "train": {"variants": ["none"]}}, {"seed": 1, "variant": "naive"}], []),
])
def test_config_keys_that_split_rows_whatever_the_configs_shape(configs, keys):
    """Keys named as `flatten` names them, whether the runs' configs have the same shape or not."""
    runs = [Run(id=f"r-{i}", experiment="e", submission="s", stage="evaluate", status="succeeded", config=config)
            for i, config in enumerate(configs)]
    assert report.table.differing_config_keys(runs) == keys


def fuzzed_config(rng, seed: int, variant: str) -> dict:
    """An evaluate run's config with random departures from a common one: a nested value, a key some runs lack, a
    list, 1 against 1.0, a dotted top-level key, and row-independent keys holding a value, a table or NaN."""
    config = {"experiment": "exp", "stage": "evaluate", "seed": seed, "variant": variant,
              "train": {"lr": 0.001, "steps": 10, "variants": ["none", variant]}, "model": {"name": "tiny", "config": {}}}
    departures = [
        lambda: config["train"].update(lr=rng.choice([0.001, 0.01])),
        lambda: config["model"].update(width=8),
        lambda: config["train"].update(tags=rng.choice([["a"], ["a", "b"], []])),
        lambda: config["train"].update(steps=rng.choice([10, 10.0])),
        lambda: config.update({"train.lr": 0.5}),
        lambda: config.update(rerun_of=f"r-{rng.randrange(3)}"),
        lambda: config.update(seed={"base": rng.randrange(2)}),
        lambda: config.update(variant=None),
        lambda: config["model"].update(scale=float("nan")),
        lambda: config.update(generator={}),
        lambda: config.pop("stage"),
    ]
    for departure in rng.sample(departures, rng.randrange(3)):
        departure()
    return config


@pytest.mark.parametrize("fuzz", range(8))
def test_a_table_over_configs_read_without_row_independent_keys_equals_one_over_whole_configs(api, fuzz):
    """`Api.table` reads one config per distinct rest of the configs (`TOP_LEVEL_ROW_INDEPENDENT_KEYS` left out):
    its rows, labels and cells are those of a table built from each run's whole config."""
    import random

    rng = random.Random(fuzz)
    ids = []
    for seed in range(4):
        for variant in ("none", "naive", "synvita"):
            values = {b: rng.uniform(10, 90) for b in BENCHMARKS}
            ids.append(finish_run(api, "s-1", "evaluate", variant=variant, seed=seed,
                                  config=fuzzed_config(rng, seed, variant), events=headline(values)))
    runs = api.store.get_runs(ids)
    expected = report.build_table(runs, api.store.results(ids), variant_order=api.variant_names(),
                                  chance=chance_levels(set(BENCHMARKS)))
    got = api.table(submission="s-1")
    assert got.to_dict() == expected.to_dict()
