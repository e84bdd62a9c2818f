"""`RunReader` answers every read it serves exactly as the `Store` does, opens only databases of this build's
schema, and never writes."""

from __future__ import annotations

import math
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from synvita.errors import NotFoundError, StoreError, UserInputError
from synvita.store import NewRun, RunReader, Store, run_queries

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tui"))
from seed import seed_demo


@pytest.fixture
def demo(db_path):
    """The TUI's demo database: two experiments, every stage and status, metrics, results, artifacts."""
    store = Store.open(db_path)
    roles = seed_demo(store)
    reader = RunReader.open(db_path)
    yield store, reader, roles
    reader.close()
    store.close()


LISTINGS = [
    {},
    {"status": "succeeded"},
    {"status": ["failed", "running"]},
    {"experiment": "quickstart", "stage": "evaluate"},
    {"variant": "synvita", "generator": "procedural"},
    {"submission": "s-0000lav1"},
    {"text": "lavie"},
    {"text": "r-00000"},
    {"order_by": "key_metric", "descending": False},
    {"order_by": "stage", "limit": 5, "offset": 3},
    {"limit": 4},
    {"offset": 18},
]


@pytest.mark.parametrize("query", LISTINGS)
def test_listings_and_counts_match_the_store(demo, query):
    store, reader, _ = demo
    assert reader.list_runs(**query) == store.list_runs(**query)
    filters = {k: v for k, v in query.items() if k not in ("order_by", "descending", "limit", "offset")}
    assert reader.count_runs(**filters) == store.count_runs(**filters)


@pytest.mark.parametrize("query", LISTINGS)
def test_summaries_are_the_runs_as_dicts_without_their_config(demo, monkeypatch, query):
    store, reader, _ = demo
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.0)  # a running run's duration counts to now
    expected = [{k: v for k, v in run.to_dict().items() if k != "config"} for run in store.list_runs(**query)]
    summaries = reader.run_summaries(**query).dicts()
    if not query:
        assert any(s["status"] == "running" and s["duration"] for s in summaries)
        assert any(s["depends_on"] for s in summaries)
    assert [list(s) for s in summaries] == [list(e) for e in expected]  # keys in the same order: the same JSON text
    assert summaries == expected


def test_a_listing_of_most_runs_reads_their_dependencies_in_one_pass_with_the_same_result(demo, monkeypatch):
    store, reader, roles = demo
    store.create_runs([NewRun("quickstart", "s-deps", "train", depends_on=[roles["score"], roles["world"]])])
    expected = reader.list_runs()  # fewer runs than fit in one `IN (...)` list: looked up by id
    assert any(run.depends_on == sorted([roles["score"], roles["world"]]) for run in expected)
    monkeypatch.setattr(run_queries, "CHUNK", 2)
    assert reader.list_runs() == expected  # most runs, more than a chunk: one pass over all dependencies
    assert reader.list_runs(limit=5) == expected[:5]  # a few runs, in chunks of ids
    assert [s["depends_on"] for s in reader.run_summaries().dicts()] == [run.depends_on for run in expected]


def test_single_runs_graph_and_what_runs_recorded_match_the_store(demo):
    store, reader, roles = demo
    ids = list(roles.values())
    assert reader.get_runs(ids[::-1]) == store.get_runs(ids[::-1])
    for run_id in ids:
        assert reader.get_run(run_id) == store.get_run(run_id)
        assert reader.dependants(run_id) == store.dependants(run_id)
        assert reader.events(run_id) == store.events(run_id)
        assert reader.events(run_id, kinds=["log"], tail=2) == store.events(run_id, kinds=["log"], tail=2)
        assert reader.events(run_id, since_seq=3, limit=5) == store.events(run_id, since_seq=3, limit=5)
        assert reader.artifacts(run_id) == store.artifacts(run_id)
    assert reader.results(ids) == store.results(ids)
    assert reader.latest_metrics(ids) == store.latest_metrics(ids)


def test_headline_results_are_the_plain_results_of_each_benchmarks_first_metric(demo):
    store, reader, roles = demo
    ids = [rid for role, rid in roles.items() if role.startswith(("eval-", "lavie-"))]
    everything = store.results(ids)
    assert any(r.control for r in everything)
    assert reader.headline_results(ids) == [r for r in everything if r.subset is None and r.control is None]
    assert reader.runs_with_results(ids + [roles["world"]]) == set(ids)


def test_configs_read_without_top_level_keys_are_one_dict_per_distinct_rest(db_path):
    """`config_without` leaves out top-level keys holding a plain value and parses each remaining text once; a key
    holding a table, or a config SQLite does not read as JSON (NaN), is kept whole."""
    configs = {
        "a": {"seed": 0, "variant": "none", "train": {"lr": 1, "tags": ["x"]}},
        "b": {"seed": 1, "variant": "naive", "train": {"lr": 1, "tags": ["x"]}},  # the same as "a" but the dropped keys
        "no-keys": {"train": {"lr": 1, "tags": ["x"]}},  # none of the dropped keys: the same rest
        "float": {"seed": 2, "train": {"lr": 1.0, "tags": ["x"]}},  # 1.0 is another text than 1
        "table": {"seed": {"base": 3}, "variant": "none", "train": {"lr": 1, "tags": ["x"]}},
        "nan": {"seed": 4, "train": {"lr": float("nan"), "tags": ["x"]}},
    }
    store = Store.open(db_path)
    made = store.create_runs([NewRun("e", "s-1", "evaluate", seed=i, variant=name, config=config)
                              for i, (name, config) in enumerate(configs.items())])
    store.close()
    reader = RunReader.open(db_path)
    try:
        for runs in (reader.list_runs(config_without=("seed", "variant")),
                     reader.get_runs([r.id for r in made], config_without=("seed", "variant"))):
            got = {run.variant: run.config for run in runs}
            rest = {"train": {"lr": 1, "tags": ["x"]}}
            assert got["a"] == got["b"] == got["no-keys"] == rest
            assert got["a"] is got["b"] is got["no-keys"]
            assert got["float"] == {"train": {"lr": 1.0, "tags": ["x"]}} and got["float"] is not got["a"]
            assert type(got["float"]["train"]["lr"]) is float
            assert got["table"] == configs["table"]
            assert got["nan"]["seed"] == 4 and math.isnan(got["nan"]["train"]["lr"])
        whole = {run.variant: run.config for run in reader.list_runs()}  # without config_without: each run's own
        assert whole == {run.variant: run.config for run in made}
        assert [whole[name] for name in configs if name != "nan"] == [c for name, c in configs.items() if name != "nan"]
        with pytest.raises(ValueError, match="quote"):
            reader.list_runs(config_without=('se"ed',))
    finally:
        reader.close()


def test_unknown_ids_and_bad_filters_fail_as_in_the_store(demo):
    _, reader, _ = demo
    with pytest.raises(NotFoundError):
        reader.get_run("r-nope")
    with pytest.raises(NotFoundError):
        reader.events("r-nope")
    with pytest.raises(UserInputError):
        reader.list_runs(status="sleeping")
    with pytest.raises(UserInputError):
        reader.list_runs(order_by="colour")


def test_only_a_database_of_this_builds_schema_opens(db_path, tmp_path):
    Store.open(db_path).close()
    assert RunReader.open(tmp_path / "missing.db") is None
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="not an SQLite file"):
        RunReader.open(tmp_path / "junk.db")
    with sqlite3.connect(db_path) as conn:  # an older schema: the store must upgrade it first
        conn.execute("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
    conn.close()
    assert RunReader.open(db_path) is None
    assert not (tmp_path / "missing.db").exists()


def test_the_reader_never_writes(db_path):
    Store.open(db_path).close()
    reader = RunReader.open(db_path)
    with pytest.raises(StoreError, match="cannot be written"), reader._snapshot() as execute:
        list(execute("DELETE FROM runs", []))
    reader.close()
