"""Explicit, versioned schema migrations (append-only; a released migration is never edited).

Each migration is a small function that receives a DBAPI cursor inside the `BEGIN IMMEDIATE` transaction that
also records it in `schema_migrations`, so a migration is applied completely or not at all, and two processes
opening a fresh database at once apply it exactly once. The DDL is written out here rather than generated from
the SQLModel classes in `models.py`, so that changing a model can never change what an old migration did;
`tests/store/test_migrations.py` checks that the models match the migrated schema.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

from synvita.entities import RUN_STATUSES

Migration = Callable[[sqlite3.Cursor], None]


def _execute_all(cur: sqlite3.Cursor, script: str) -> None:
    """Execute `;`-terminated statements one by one (`executescript` would COMMIT the open transaction first)."""
    for statement in script.split(";\n"):
        if statement.strip():
            cur.execute(statement)

_STATUS_LIST = ", ".join(f"'{s}'" for s in RUN_STATUSES)

SCHEMA_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
)


def m001_initial(cur: sqlite3.Cursor) -> None:
    """Runs (+ dependencies), events, metrics, benchmark results, per-sample weights, artifacts."""
    _execute_all(
        cur,
        f"""
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            experiment TEXT NOT NULL,
            submission TEXT NOT NULL,
            stage TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ({_STATUS_LIST})),
            variant TEXT,
            generator TEXT,
            seed INTEGER,
            config_json TEXT NOT NULL DEFAULT '{{}}',
            run_dir TEXT NOT NULL DEFAULT '',
            progress REAL,
            progress_msg TEXT NOT NULL DEFAULT '',
            error TEXT,
            blocked_by TEXT,
            worker TEXT,
            executor TEXT,
            job_id TEXT,
            attempt INTEGER NOT NULL DEFAULT 1,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            heartbeat_at REAL,
            key_metric REAL,
            events_cursor INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX ix_runs_created ON runs (created_at, id);
        CREATE INDEX ix_runs_status_created ON runs (status, created_at, id);
        CREATE INDEX ix_runs_experiment_created ON runs (experiment, created_at, id);
        CREATE INDEX ix_runs_submission_created ON runs (submission, created_at, id);
        CREATE INDEX ix_runs_stage_created ON runs (stage, created_at, id);
        CREATE INDEX ix_runs_blocked_by ON runs (blocked_by) WHERE blocked_by IS NOT NULL;

        CREATE TABLE run_deps (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            depends_on TEXT NOT NULL REFERENCES runs (id),
            PRIMARY KEY (run_id, depends_on)
        ) WITHOUT ROWID;
        CREATE INDEX ix_run_deps_depends_on ON run_deps (depends_on, run_id);

        CREATE TABLE run_events (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            ts REAL NOT NULL,
            kind TEXT NOT NULL,
            data_json TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX ix_run_events_kind ON run_events (run_id, kind, seq);

        CREATE TABLE metrics (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            step INTEGER NOT NULL,
            value REAL NOT NULL,
            ts REAL NOT NULL,
            PRIMARY KEY (run_id, name, step)
        ) WITHOUT ROWID;

        CREATE TABLE results (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            benchmark TEXT NOT NULL,
            metric TEXT NOT NULL,
            subset TEXT NOT NULL DEFAULT '',
            control TEXT NOT NULL DEFAULT '',
            value REAL NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (run_id, benchmark, metric, subset, control)
        ) WITHOUT ROWID;

        CREATE TABLE sample_weights (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            sample_id TEXT NOT NULL,
            generator TEXT NOT NULL,
            misalignment TEXT NOT NULL,
            f_target REAL NOT NULL,
            f_other REAL NOT NULL,
            weight REAL NOT NULL,
            faithful INTEGER,
            PRIMARY KEY (run_id, sample_id)
        ) WITHOUT ROWID;

        CREATE TABLE artifacts (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            path TEXT NOT NULL,
            PRIMARY KEY (run_id, name)
        ) WITHOUT ROWID;
        """
    )


def m002_latest_metrics(cur: sqlite3.Cursor) -> None:
    """Latest value per (run, metric name): the "current value" the runs list and TUI show without scanning points."""
    _execute_all(
        cur,
        """
        CREATE TABLE latest_metrics (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            step INTEGER NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (run_id, name)
        ) WITHOUT ROWID;
        INSERT INTO latest_metrics (run_id, name, step, value)
            SELECT m.run_id, m.name, m.step, m.value FROM metrics AS m
            WHERE m.step = (SELECT max(step) FROM metrics WHERE run_id = m.run_id AND name = m.name);
        """
    )


def m003_run_status_counts(cur: sqlite3.Cursor) -> None:
    """Run counts per status kept by triggers, so the runs list header costs the same with 10 or 100,000 runs."""
    cur.execute("CREATE TABLE run_status_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
    for status in ("queued", "running", "succeeded", "failed", "cancelled", "lost", "preempted"):
        cur.execute(
            "INSERT INTO run_status_counts (status, n) VALUES (?, (SELECT count(*) FROM runs WHERE status = ?))",
            (status, status),
        )
    cur.execute(
        "CREATE TRIGGER tr_runs_count_insert AFTER INSERT ON runs BEGIN"
        " UPDATE run_status_counts SET n = n + 1 WHERE status = NEW.status; END"
    )
    cur.execute(
        "CREATE TRIGGER tr_runs_count_delete AFTER DELETE ON runs BEGIN"
        " UPDATE run_status_counts SET n = n - 1 WHERE status = OLD.status; END"
    )
    cur.execute(
        "CREATE TRIGGER tr_runs_count_update AFTER UPDATE OF status ON runs WHEN OLD.status != NEW.status BEGIN"
        " UPDATE run_status_counts SET n = n - 1 WHERE status = OLD.status;"
        " UPDATE run_status_counts SET n = n + 1 WHERE status = NEW.status; END"
    )


def m004_events_by_offset_metrics_once(cur: sqlite3.Cursor) -> None:
    """Follow events.jsonl by byte offset, and store each metric point once.

    `runs.events_offset` is the byte where reading the run's events.jsonl resumes and `events_offset_seq` the line
    number found there, so a poll reads only what was appended. A metric line lives only in `metrics` from now on:
    `seq` and `ts` place it among the run's events, `data_json` keeps the line's fields only when they are not
    exactly {name, step, value} (`run_events` no longer repeats it). Points recorded before keep `seq` NULL: their
    event stays in `run_events`. When a later line reports the same (name, step), the trigger moves the replaced
    point's event into `run_events`, so the event log keeps every line.
    """
    _execute_all(
        cur,
        """
        ALTER TABLE runs ADD COLUMN events_offset INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN events_offset_seq INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE metrics ADD COLUMN seq INTEGER;
        ALTER TABLE metrics ADD COLUMN data_json TEXT;
        CREATE INDEX ix_metrics_seq ON metrics (run_id, seq);
        """,
    )
    cur.execute(
        "CREATE TRIGGER tr_metrics_replaced_keeps_its_event BEFORE UPDATE OF seq ON metrics"
        " WHEN OLD.seq IS NOT NULL AND OLD.seq != NEW.seq BEGIN"
        " INSERT OR IGNORE INTO run_events (run_id, seq, ts, kind, data_json) VALUES ("
        " OLD.run_id, OLD.seq, OLD.ts, 'metric',"
        " coalesce(OLD.data_json, json_object('name', OLD.name, 'step', OLD.step, 'value', OLD.value))); END"
    )


def m005_run_attempts(cur: sqlite3.Cursor) -> None:
    """Every execution of a run (first start, each Slurm requeue, each retry): job id, node, times, why it ended,
    and the resources it was submitted with."""
    _execute_all(
        cur,
        """
        CREATE TABLE run_attempts (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            executor TEXT NOT NULL,
            job_id TEXT,
            node TEXT,
            submitted_at REAL NOT NULL,
            started_at REAL,
            ended_at REAL,
            end_reason TEXT,
            resources_json TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (run_id, number)
        ) WITHOUT ROWID;
        """
    )


def m006_attempt_tokens(cur: sqlite3.Cursor) -> None:
    """The token of the execution that owns a run: set when a worker claims or adopts it, cleared when the run is
    re-queued. A worker's events, heartbeats and completion are recorded only while its token is the run's, so a
    worker that stalled past the heartbeat timeout and resumed cannot write into a run another attempt owns."""
    cur.execute("ALTER TABLE runs ADD COLUMN attempt_token TEXT")


MIGRATIONS: list[Migration] = [
    m001_initial, m002_latest_metrics, m003_run_status_counts, m004_events_by_offset_metrics_once, m005_run_attempts,
    m006_attempt_tokens,
]
"""Applied in order; version = position + 1. Append new ones; never edit, reorder or remove one."""

LATEST_VERSION = len(MIGRATIONS)
