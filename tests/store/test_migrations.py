"""Versioned migrations: fresh database, upgrading an m001 database, newer/unknown schemas, models == schema."""

import sqlite3
import time

import pytest
from sqlmodel import SQLModel

from synvita.errors import StoreError
from synvita.store import LATEST_VERSION, MIGRATIONS, NewRun, Store
from synvita.store import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from synvita.store.migrations import SCHEMA_TABLE_SQL, m001_initial


def _make_v1_database(path):
    """A database as the first release (only m001_initial) left it, with data in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    con.execute(SCHEMA_TABLE_SQL)
    cur = con.cursor()
    m001_initial(cur)
    con.execute("INSERT INTO schema_migrations VALUES (1, 'm001_initial', ?)", (time.time(),))
    con.execute(
        "INSERT INTO runs (id, experiment, submission, stage, status, created_at) "
        "VALUES ('r-old001', 'quick', 's-old', 'train', 'succeeded', 1.0)"
    )
    for step, value in [(0, 3.0), (1, 2.0), (2, 1.0)]:
        con.execute("INSERT INTO metrics VALUES ('r-old001', 'loss', ?, ?, 0)", (step, value))
    con.execute("COMMIT")
    con.close()


def test_fresh_database_gets_every_migration(tmp_path):
    store = Store.open(tmp_path / "fresh.db")
    assert store.schema_version() == LATEST_VERSION == len(MIGRATIONS) >= 2
    con = sqlite3.connect(tmp_path / "fresh.db")
    names = [n for (n,) in con.execute("SELECT name FROM schema_migrations ORDER BY version")]
    assert names == [m.__name__ for m in MIGRATIONS] == ["m001_initial", "m002_latest_metrics", "m003_run_status_counts",
                                                       "m004_events_by_offset_metrics_once", "m005_run_attempts",
                                                       "m006_attempt_tokens"]
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    # opening again applies nothing
    assert Store.open(tmp_path / "fresh.db").upgrade() == []


def test_models_match_the_migrated_schema(tmp_path):
    Store.open(tmp_path / "s.db").close()
    con = sqlite3.connect(tmp_path / "s.db")
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in {"runs", "run_deps", "run_events", "metrics", "latest_metrics", "results",
                              "sample_weights", "artifacts", "schema_migrations", "run_status_counts",
                              "run_attempts"}:
            continue
        db_cols = {row[1]: (row[3], row[5]) for row in con.execute(f"PRAGMA table_info({table.name})")}
        model_cols = {c.name: c.primary_key for c in table.columns}
        assert set(db_cols) == set(model_cols), table.name
        assert {n for n, (_, pk) in db_cols.items() if pk} == {n for n, pk in model_cols.items() if pk}, table.name
    con.close()


def test_old_database_is_upgraded_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.db"
    _make_v1_database(path)
    with pytest.raises(StoreError) as info:
        Store.open(path, upgrade=False)
    assert "schema version 1" in info.value.one_line() and "synvita --db" in info.value.one_line() and "db upgrade" in info.value.one_line()
    with pytest.raises(StoreError, match="schema version 1"):
        Store.open(path, read_only=True)
    store = Store.open(path)
    assert store.schema_version() == LATEST_VERSION
    run = store.get_run("r-old001")
    assert run.status == "succeeded" and run.experiment == "quick"
    latest = store.latest_metrics("r-old001")["r-old001"]
    assert (latest["loss"].step, latest["loss"].value) == (2, 1.0)  # m002 backfilled the latest values
    assert store.metric_names("r-old001") == ["loss"]
    assert store.status_counts() == {"succeeded": 1} and store.count_runs() == 1  # m003 counted the old run
    store.create_runs([NewRun("quick", "s-new", "train")])
    assert store.status_counts() == {"succeeded": 1, "queued": 1}
    store.close()


def test_explicit_upgrade_reports_what_it_applied(tmp_path):
    path = tmp_path / "old.db"
    _make_v1_database(path)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = WAL")
    con.close()
    # a store opened without auto-upgrade cannot exist on an old schema, so upgrade through a fresh object:
    store = Store(path, read_only=False, busy_timeout_s=5)
    assert store.upgrade() == ["m002_latest_metrics", "m003_run_status_counts", "m004_events_by_offset_metrics_once", "m005_run_attempts",
                                                       "m006_attempt_tokens"]
    assert store.schema_version() == LATEST_VERSION
    store.close()


def test_newer_schema_is_refused_with_advice(tmp_path):
    path = tmp_path / "new.db"
    Store.open(path).close()
    con = sqlite3.connect(path)
    con.execute("INSERT INTO schema_migrations VALUES (?, 'm999_future', 0)", (LATEST_VERSION + 1,))
    con.commit()
    con.close()
    with pytest.raises(StoreError) as info:
        Store.open(path)
    assert "newer than this synvita" in info.value.one_line() and "pip install -U synvita" in info.value.one_line()
    with pytest.raises(StoreError, match="newer"):
        Store.open(path, read_only=True)


def test_unknown_migration_name_is_refused(tmp_path):
    path = tmp_path / "fork.db"
    Store.open(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE schema_migrations SET name = 'm002_something_else' WHERE version = 2")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="unknown schema migration 2"):
        Store.open(path)


def test_foreign_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE stuff (x)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="not a synvita database"):
        Store.open(path)


def test_points_recorded_before_m004_keep_their_single_event(tmp_path):
    path = tmp_path / "old.db"
    _make_v1_database(path)
    con = sqlite3.connect(path)
    for step, value in [(0, 3.0), (1, 2.0), (2, 1.0)]:
        con.execute("INSERT INTO run_events VALUES ('r-old001', ?, 0, 'metric', ?)",
                    (step, f'{{"name": "loss", "step": {step}, "value": {value}}}'))
    con.commit()
    con.close()
    store = Store.open(path)
    assert [(e.seq, e.data["value"]) for e in store.events("r-old001")] == [(0, 3.0), (1, 2.0), (2, 1.0)]
    assert [(m.step, m.value) for m in store.metrics("r-old001", "loss", max_points=2)] == [(0, 3.0), (2, 1.0)]
    store.close()


def test_a_listing_through_the_api_upgrades_an_old_database_first(tmp_path):
    """The API reads runs without the store; a database of an older schema still goes through the store first,
    which upgrades it (or, read-only, says why it cannot)."""
    from synvita.api import Api

    path = tmp_path / "old.db"
    _make_v1_database(path)
    with pytest.raises(StoreError, match="schema version 1"):
        Api(db=path, read_only=True).list_runs()
    with Api(db=path) as api:
        assert [r.id for r in api.list_runs()] == ["r-old001"] and api.count_runs() == 1
    assert Store.open(path, upgrade=False).schema_version() == LATEST_VERSION


def test_a_listing_through_the_api_refuses_a_newer_database(tmp_path):
    from synvita.api import Api

    path = tmp_path / "new.db"
    Store.open(path).close()
    con = sqlite3.connect(path)
    con.execute("INSERT INTO schema_migrations VALUES (?, 'm999_future', 0)", (LATEST_VERSION + 1,))
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="newer than this synvita"):
        Api(db=path).list_runs()
