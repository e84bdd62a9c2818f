"""`benchmarks.poll_breakdown`: the pages a worker-style poll writes, by b-tree, and the report that splits a poll's
cost (no timing asserted)."""

import sqlite3

from benchmarks.bench_ingest import POLL_POINTS
from benchmarks.poll_breakdown import LAYOUTS, POLL_SIZES, layout_cost, report, statement_name, wal_frames


def test_a_metric_poll_writes_only_the_metric_b_trees_the_run_row_and_the_latest_values(tmp_path):
    """One commit per poll, touching `metrics`, its seq index, `latest_metrics` and the run's row (and the header
    page when the file grows): no other index or table is written per poll."""
    commits, pages = wal_frames(tmp_path, "wal", 20 * POLL_POINTS)
    assert commits == 20
    assert set(pages) <= {"metrics", "ix_metrics_seq", "latest_metrics", "runs", "database header (page 1)"}
    assert pages["runs"] == pages["latest_metrics"] == commits
    assert pages["metrics"] >= 2 * commits  # two series, each appended at its own leaf


def test_every_points_table_layout_stores_each_point_and_the_index_free_floor_writes_the_fewest_pages(tmp_path):
    points = 20 * POLL_POINTS
    pages = {}
    for i, (label, schema) in enumerate(LAYOUTS.items()):
        _, pages[label] = layout_cost(tmp_path, f"layout{i}", schema, points, POLL_POINTS, checkpoints=False)
        with sqlite3.connect(tmp_path / f"layout{i}.db") as con:
            assert con.execute("SELECT count(*), count(DISTINCT seq) FROM points").fetchone() == (points, points)
            assert con.execute("SELECT next_seq FROM cursor").fetchone() == (points,)
    floor = pages.pop(next(label for label in LAYOUTS if label.startswith("floor")))
    assert floor >= 2  # the points' leaf and the cursor's row, every commit
    assert all(n > floor for n in pages.values()), pages


def test_statements_are_named_by_verb_and_table():
    assert statement_name("INSERT OR IGNORE INTO run_events (run_id) VALUES (?)") == "INSERT run_events"
    assert statement_name("INSERT INTO latest_metrics (run_id, name) VALUES (?, ?)") == "INSERT latest_metrics"
    assert statement_name("SELECT status, events_cursor FROM runs WHERE id = ?") == "SELECT … FROM runs"
    assert statement_name("UPDATE runs SET progress = ? WHERE id = ?") == "UPDATE runs"
    assert statement_name("BEGIN IMMEDIATE") == "BEGIN IMMEDIATE"


def test_the_report_splits_a_poll_into_statements_python_and_pages():
    text = report(4 * POLL_POINTS)
    for part in ("COMMIT", "INSERT metrics", "Python outside SQL", "whole poll", "SQLite alone",
                 "the checkpoints cost", "WAL pages written per commit (4 commits", "Points table layouts",
                 *LAYOUTS, *(f"every {every:4d} points" for every in POLL_SIZES)):
        assert part in text
