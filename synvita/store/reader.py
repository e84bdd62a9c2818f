"""`RunReader`: the reads of the commands that only look (`runs ls`, `runs show`, `table`, the TUI's lists) over the
standard library's `sqlite3`, so that they start without importing SQLAlchemy and SQLModel.

It reads the same tables as the store and returns the same entities; it never writes (`PRAGMA query_only`) and
never migrates: `RunReader.open` refuses a file that is no synvita database it can read (empty, foreign, corrupt,
newer) with one line, and gives None for an older schema, which the caller's `Store` upgrades. The listing SQL is shared with the store
(`run_queries`); the reads of events, latest metrics, results and artifacts mirror `reads.py`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from synvita.entities import Artifact, Attempt, BenchmarkResult, MetricPoint, Run, RunEvent, RunSummaries
from synvita.errors import NotFoundError, StoreError
from synvita.store import held_files, run_queries
from synvita.store.dbfile import check_database_file, check_migrations, empty_database, foreign_database
from synvita.store.migrations import MIGRATIONS
from synvita.store.sqlite_errors import sqlite_error_name, store_error

CHUNK = run_queries.CHUNK


class RunReader:
    """Read-only queries on one database file. Safe to share between threads (one connection, used under a lock;
    a forked child opens its own)."""

    def __init__(self, path: Path, *, read_only: bool, busy_timeout_s: float) -> None:
        self.path = path
        self.read_only = read_only
        self.busy_timeout_s = float(busy_timeout_s)
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._conn = self._connect()
        self._held = held_files.hold(path)
        """The file, held (`held_files`) while the connection is open."""

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False, busy_timeout_s: float = 5.0) -> RunReader | None:
        """A reader on the existing database at `path`, or None when its schema is older than this build's (the
        `Store` upgrades it) or SQLite cannot open the file here (the `Store` says why).

        A file that is empty, not a synvita database, corrupt, or from a newer or different build is refused with
        the StoreError that says so (`synvita.store.dbfile`); nothing is written to it."""
        if not path.exists():
            return None
        check_database_file(path, may_initialize=False)
        try:
            reader = cls(path, read_only=read_only, busy_timeout_s=busy_timeout_s)
        except sqlite3.Error:
            return None
        try:
            applied, n_tables = reader._applied_migrations()
            if applied is None:
                raise foreign_database(path) if n_tables else empty_database(path)
            check_migrations(path, applied)
        except sqlite3.Error:  # nothing SQLite said has a meaning for synvita: the store opens it and says why
            reader.close()
            return None
        except BaseException:
            reader.close()
            raise
        if applied != [(version, migration.__name__) for version, migration in enumerate(MIGRATIONS, start=1)]:
            reader.close()
            return None
        return reader

    def _applied_migrations(self) -> tuple[list[tuple[int, str]] | None, int]:
        """The applied (version, name) migrations, None without a schema_migrations table; and the table count."""
        with self._snapshot() as execute:
            tables = {name for (name,) in execute("SELECT name FROM sqlite_master WHERE type = 'table'", [])}
            if "schema_migrations" not in tables:
                return None, len(tables)
            rows = execute("SELECT version, name FROM schema_migrations ORDER BY version", [])
            return [(int(version), name) for version, name in rows], len(tables)

    def _connect(self) -> sqlite3.Connection:
        mode = "ro" if self.read_only else "rw"  # rw: never creates a missing file
        conn = sqlite3.connect(
            f"file:{quote(str(self.path))}?mode={mode}", uri=True, timeout=self.busy_timeout_s,
            isolation_level=None, check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
        conn.execute("PRAGMA query_only = ON")
        return conn

    def close(self) -> None:
        with self._lock:
            if os.getpid() == self._pid:
                self._conn.close()
                held_files.release(self._held)
                self._held = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, read_only={self.read_only})"

    @contextmanager
    def _snapshot(self) -> Iterator[run_queries.Execute]:
        """One read transaction (a consistent WAL snapshot); SQLite errors leave as one-line StoreErrors."""
        with self._lock:
            if os.getpid() != self._pid:  # never use the parent's connection in a forked child
                self._conn = self._connect()
                self._held = held_files.hold(self.path)
                self._pid = os.getpid()
            conn = self._conn
            try:
                conn.execute("BEGIN")
                try:
                    yield conn.execute
                except BaseException:
                    if conn.in_transaction:  # SQLite ends the transaction itself on some errors (an I/O error)
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:  # locked, corrupt ("file is not a database" is no OperationalError)
                translated = store_error(self.path, str(exc), busy_timeout_s=self.busy_timeout_s,
                                         code_name=sqlite_error_name(exc))
                if translated is None:
                    raise
                raise translated from None

    def _require_run(self, execute: run_queries.Execute, run_id: str) -> None:
        if not list(execute("SELECT 1 FROM runs WHERE id = ?", [run_id])):
            raise NotFoundError(f"no run '{run_id}' in {self.path}", hint="see `synvita runs ls`")

    #### runs ####

    def list_runs(
        self, *, order_by: str = "created_at", descending: bool = True, limit: int | None = None, offset: int = 0,
        config_without: Sequence[str] = (), **filters: Any,
    ) -> list[Run]:
        """As `Store.list_runs`; `config_without`: the runs' configs without those top-level keys, one dict shared
        by the runs that agree on the rest (`run_queries.config_column`)."""
        with self._snapshot() as execute:
            return run_queries.list_runs(
                execute, filters, order_by=order_by, descending=descending, limit=limit, offset=offset,
                config_without=config_without,
            )

    def run_summaries(
        self, *, order_by: str = "created_at", descending: bool = True, limit: int | None = None, offset: int = 0,
        **filters: Any,
    ) -> RunSummaries:
        """As `list_runs`, as the rows of a listing (see `run_queries.run_summaries`)."""
        with self._snapshot() as execute:
            return run_queries.run_summaries(
                execute, filters, order_by=order_by, descending=descending, limit=limit, offset=offset
            )

    def count_runs(self, **filters: Any) -> int:
        with self._snapshot() as execute:
            return run_queries.count_runs(execute, filters)

    def get_run(self, run_id: str) -> Run:
        """The run; NotFoundError for an unknown id."""
        return self.get_runs([run_id])[0]

    def get_runs(self, run_ids: Sequence[str], *, config_without: Sequence[str] = ()) -> list[Run]:
        """Several runs in the given order; NotFoundError names the first unknown id. `config_without` as in
        `list_runs`."""
        with self._snapshot() as execute:
            runs = run_queries.get_runs(execute, run_ids, config_without=config_without)
        missing = [r for r in run_ids if r not in runs]
        if missing:
            raise NotFoundError(f"no run '{missing[0]}' in {self.path}", hint="see `synvita runs ls`")
        return [runs[r] for r in run_ids]

    def dependants(self, run_id: str) -> list[str]:
        """Ids of the runs that depend directly on `run_id`; NotFoundError for an unknown run."""
        with self._snapshot() as execute:
            self._require_run(execute, run_id)
            return run_queries.dependants(execute, run_id)

    def has_silent_runs(self, cutoff: float) -> bool:
        """Whether a running run has not beaten its heartbeat (or, before its first beat, started) since `cutoff`:
        what `Store.reap_lost` would mark lost, asked without taking the write lock."""
        with self._snapshot() as execute:
            sql = "SELECT 1 FROM runs WHERE status = 'running' AND coalesce(heartbeat_at, started_at, 0) < ? LIMIT 1"
            return bool(list(execute(sql, [cutoff])))

    #### what runs recorded ####

    def results(self, run_ids: str | Sequence[str]) -> list[BenchmarkResult]:
        """Benchmark results of the given runs, in run order, then in the order they were reported."""
        ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        with self._snapshot() as execute:
            return self._results(execute, ids, "")

    def headline_results(self, run_ids: Sequence[str]) -> list[BenchmarkResult]:
        """The results a table without controls shows, as `results` orders them: no subset, no control, and for each
        benchmark only its headline metric, the first one reported for it (by run order, then seq). The other rows
        stay in SQLite."""
        ids = list(dict.fromkeys(run_ids))
        plain = " AND subset = '' AND control = ''"
        with self._snapshot() as execute:
            benchmarks: set[str] = set()
            for i in range(0, len(ids), CHUNK):
                chunk = ids[i : i + CHUNK]
                sql = f"SELECT DISTINCT benchmark FROM results WHERE run_id IN ({', '.join('?' * len(chunk))}){plain}"
                benchmarks.update(b for (b,) in execute(sql, chunk))
            headline: dict[str, str] = {}
            for rid in ids:  # usually the first run reports every benchmark
                if len(headline) == len(benchmarks):
                    break
                for benchmark, metric in execute(f"SELECT benchmark, metric FROM results WHERE run_id = ?{plain} ORDER BY seq", [rid]):
                    headline.setdefault(benchmark, metric)
            if not headline:
                return []
            # every column of the primary key bound: index lookups, no scan (the pairs are then picked out here)
            names, metrics = list(headline), sorted(set(headline.values()))
            where = f" AND benchmark IN ({', '.join('?' * len(names))}) AND metric IN ({', '.join('?' * len(metrics))}){plain}"
            results = self._results(execute, ids, where, [*names, *metrics])
        return [r for r in results if headline[r.benchmark] == r.metric]

    def _results(
        self, execute: run_queries.Execute, ids: list[str], where: str, params: Sequence[Any] = ()
    ) -> list[BenchmarkResult]:
        by_run: dict[str, list[BenchmarkResult]] = {}
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            rows = execute(
                "SELECT run_id, benchmark, metric, value, subset, control FROM results"
                f" WHERE run_id IN ({', '.join('?' * len(chunk))}){where} ORDER BY run_id, seq", [*chunk, *params],
            )
            for rid, benchmark, metric, value, subset, control in rows:
                by_run.setdefault(rid, []).append(
                    BenchmarkResult(rid, benchmark, metric, value, subset or None, control or None)
                )
        return [result for rid in dict.fromkeys(ids) for result in by_run.get(rid, ())]

    def runs_with_results(self, run_ids: Sequence[str]) -> set[str]:
        """Those of `run_ids` that reported any benchmark result."""
        ids = list(run_ids)
        found: set[str] = set()
        with self._snapshot() as execute:
            for i in range(0, len(ids), CHUNK):
                chunk = ids[i : i + CHUNK]
                sql = f"SELECT DISTINCT run_id FROM results WHERE run_id IN ({', '.join('?' * len(chunk))})"
                found.update(row[0] for row in execute(sql, chunk))
        return found

    def latest_metrics(self, run_ids: str | Sequence[str]) -> dict[str, dict[str, MetricPoint]]:
        """{run_id: {metric name: latest point}} without scanning the points."""
        ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        out: dict[str, dict[str, MetricPoint]] = {rid: {} for rid in ids}
        with self._snapshot() as execute:
            for i in range(0, len(ids), CHUNK):
                chunk = ids[i : i + CHUNK]
                sql = f"SELECT run_id, name, step, value FROM latest_metrics WHERE run_id IN ({', '.join('?' * len(chunk))})"
                for rid, name, step, value in execute(sql, chunk):
                    out[rid][name] = MetricPoint(run_id=rid, name=name, step=step, value=value)
        return out

    def events(
        self,
        run_id: str,
        *,
        kinds: Sequence[str] | None = None,
        since_seq: int = 0,
        limit: int | None = None,
        tail: int | None = None,
    ) -> list[RunEvent]:
        """Ingested events in seq order (`run_queries.events`)."""
        with self._snapshot() as execute:
            self._require_run(execute, run_id)
            return run_queries.events(execute, run_id, kinds=kinds, since_seq=since_seq, limit=limit, tail=tail)

    def attempts(self, run_id: str) -> list[Attempt]:
        """A run's attempts, first first (`run_queries.attempts`)."""
        with self._snapshot() as execute:
            self._require_run(execute, run_id)
            return run_queries.attempts(execute, run_id)

    def artifacts(self, run_id: str) -> list[Artifact]:
        with self._snapshot() as execute:
            self._require_run(execute, run_id)
            rows = list(execute("SELECT run_id, name, path FROM artifacts WHERE run_id = ? ORDER BY name", [run_id]))
        return [Artifact(run_id=r, name=name, path=path) for r, name, path in rows]
