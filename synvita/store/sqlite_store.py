"""The run store: one SQLite file (WAL) holding runs, their dependencies, events, metrics, results and weights.

Guarantees (DESIGN.md §5): every write is one `BEGIN IMMEDIATE` transaction (so read-modify-write sequences such
as claiming never race), `busy_timeout` waits for other writers and turns a lock held past the timeout into a
one-line `StoreError`, the schema is versioned by explicit migrations (`migrations.py`), and table rows never
leave this module: callers get `synvita.entities`. Torch-free.

Dependency policy: a run is claimable when it is `queued` and every run it depends on `succeeded`. When a run
ends `failed` or `cancelled`, its queued dependants (transitively) become `cancelled` with the error
"dependency r-x failed" and remember r-x in `blocked_by`; `retry(r-x)` re-queues r-x *and* those dependants.
`lost`/`preempted` runs are not terminal: their dependants stay queued until the run is retried or cancelled.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence
from urllib.parse import quote

from sqlalchemy import Connection, create_engine, event, func, or_, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from synvita.entities import (
    RUN_STATUSES,
    TERMINAL_STATUSES,
    Artifact,
    BenchmarkResult,
    MetricPoint,
    Run,
    RunEvent,
    SampleWeight,
)
from synvita.errors import NotFoundError, StoreError, UserInputError
from synvita.paths import resolve_db_path, runs_root
from synvita.store.migrations import LATEST_VERSION, MIGRATIONS, SCHEMA_TABLE_SQL
from synvita.store.models import (
    ArtifactRow,
    LatestMetricRow,
    MetricRow,
    ResultRow,
    RunDepRow,
    RunEventRow,
    RunRow,
    RunStatusCountRow,
    SampleWeightRow,
)


RUNS = RunRow.__table__
DEPS = RunDepRow.__table__
EVENTS = RunEventRow.__table__
METRICS = MetricRow.__table__
LATEST = LatestMetricRow.__table__
RESULTS = ResultRow.__table__
WEIGHTS = SampleWeightRow.__table__
ARTIFACTS = ArtifactRow.__table__
STATUS_COUNTS = RunStatusCountRow.__table__

ORDERABLE = ("created_at", "started_at", "finished_at", "status", "stage", "experiment", "id", "key_metric", "progress")
FAILED_LIKE = ("failed", "cancelled")
RETRYABLE = ("failed", "lost", "cancelled", "preempted")


@dataclass
class NewRun:
    """A run to enqueue. `depends_on`: an int is an index into the same `create_runs` list, a str an existing run id."""

    experiment: str
    submission: str
    stage: str
    variant: str | None = None
    generator: str | None = None
    seed: int | None = None
    depends_on: list[int | str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)


def new_submission_id() -> str:
    """A fresh submission id, e.g. "s-3f9a1c0d"."""
    return "s-" + secrets.token_hex(4)


def _new_run_id() -> str:
    return "r-" + secrets.token_hex(3)


def _json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, allow_nan=True, default=str)


class Store:
    """A synvita database. Open with `Store.open(...)`; use as a context manager or call `close()`."""

    def __init__(self, path: Path, *, read_only: bool, busy_timeout_s: float) -> None:
        self.path = path
        self.read_only = read_only
        self.busy_timeout_s = float(busy_timeout_s)
        if read_only:
            url = f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true"
        else:
            url = f"sqlite:///{path}"
        # A small pool of open connections: closing the last connection of a WAL database checkpoints and
        # removes the -wal file, which made a connection per call ~10x slower. Idle connections hold no lock.
        self._engine = create_engine(
            url,
            pool_size=2,
            max_overflow=8,
            connect_args={"timeout": self.busy_timeout_s, "check_same_thread": False},
        )
        self._pid = os.getpid()
        timeout_ms = int(self.busy_timeout_s * 1000)

        @event.listens_for(self._engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN / BEGIN IMMEDIATE ourselves (see _on_begin)
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {timeout_ms}")
            cur.execute("PRAGMA foreign_keys = ON")
            if not read_only:
                cur.execute("PRAGMA synchronous = NORMAL")
            cur.close()

        @event.listens_for(self._engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql(conn.get_execution_options().get("synvita_begin", "BEGIN"))

    # ------------------------------------------------------------------ opening, schema

    @classmethod
    def open(
        cls,
        db: str | Path | None = None,
        *,
        read_only: bool = False,
        busy_timeout_s: float = 5.0,
        create: bool = True,
        upgrade: bool = True,
    ) -> "Store":
        """Open (and, unless read-only, create and migrate) the database resolved from `db` (see `synvita.paths`).

        `create=False` or `read_only=True` on a missing file → StoreError. An older schema is migrated when
        `upgrade` (the default, writable only); otherwise StoreError naming `synvita db upgrade`. A newer or
        unknown schema → StoreError.
        """
        path = resolve_db_path(db)
        if not path.exists():
            if read_only or not create:
                raise StoreError(
                    f"no synvita database at {path}",
                    hint="run `synvita run` to create one, or pass --db / set SYNVITA_DB to an existing database",
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the database directory {path.parent}: {exc.strerror or exc}",
                    hint="pass --db or set SYNVITA_DB / SYNVITA_HOME to a writable location",
                ) from None
        if not read_only:
            writable_target = path if path.exists() else path.parent
            if not os.access(writable_target, os.W_OK) or not os.access(path.parent, os.W_OK):
                raise StoreError(
                    f"database location {path} is not writable",
                    hint="pass --db or set SYNVITA_DB / SYNVITA_HOME to a writable location (or open read-only)",
                )
        store = cls(path, read_only=read_only, busy_timeout_s=busy_timeout_s)
        try:
            store._check_schema(upgrade=upgrade and not read_only)
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}, read_only={self.read_only})"

    def _applied_migrations(self, conn: Connection) -> list[tuple[int, str]] | None:
        """(version, name) rows, or None when the database has no schema_migrations table."""
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).first()
        if not has_table:
            return None
        return [(int(v), n) for v, n in conn.exec_driver_sql("SELECT version, name FROM schema_migrations ORDER BY version")]

    def _verify_known(self, applied: list[tuple[int, str]]) -> None:
        for version, name in applied:
            if version > LATEST_VERSION:
                raise StoreError(
                    f"database {self.path} has schema version {max(v for v, _ in applied)}, newer than this synvita "
                    f"understands (up to {LATEST_VERSION})",
                    hint="upgrade synvita (`pip install -U synvita`) or use another --db",
                )
            if MIGRATIONS[version - 1].__name__ != name:
                raise StoreError(
                    f"database {self.path} has an unknown schema migration {version} {name!r}",
                    hint="it was written by a different synvita build; use that build or another --db",
                )

    def _check_schema(self, *, upgrade: bool) -> None:
        with self._connect() as conn:
            with conn.begin():
                applied = self._applied_migrations(conn)
                n_tables = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type = 'table'").scalar()
        if applied is None and n_tables:
            raise StoreError(
                f"{self.path} is not a synvita database (it has tables but no schema_migrations)",
                hint="pass --db or set SYNVITA_DB to a synvita database or a new file",
            )
        applied = applied or []
        self._verify_known(applied)
        if len(applied) == LATEST_VERSION:
            return
        if not upgrade:
            raise StoreError(
                f"database {self.path} has schema version {len(applied)}; this synvita needs {LATEST_VERSION}",
                hint=f"run `{self._upgrade_cmd()}`",
            )
        self.upgrade()

    def _upgrade_cmd(self) -> str:
        return f"synvita --db {self.path} db upgrade"

    def schema_version(self) -> int:
        with self._connect() as conn, conn.begin():
            applied = self._applied_migrations(conn) or []
        return max((v for v, _ in applied), default=0)

    def upgrade(self) -> list[str]:
        """Apply pending migrations (each in its own BEGIN IMMEDIATE transaction); returns the names applied."""
        self._require_writable()
        done: list[str] = []
        with self._translate_errors():
            raw = self._engine.raw_connection()  # outside any transaction: journal_mode cannot change inside one
            try:
                cur = raw.cursor()
                if cur.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    cur.execute("PRAGMA journal_mode = WAL")
                cur.close()
            finally:
                raw.close()
            for version, migration in enumerate(MIGRATIONS, start=1):
                with self._write() as conn:
                    conn.exec_driver_sql(SCHEMA_TABLE_SQL)
                    applied = self._applied_migrations(conn) or []
                    self._verify_known(applied)
                    if any(v == version for v, _ in applied):
                        continue
                    raw = conn.connection.dbapi_connection
                    cur = raw.cursor()
                    migration(cur)
                    cur.close()
                    conn.exec_driver_sql(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                        (version, migration.__name__, time.time()),
                    )
                    done.append(migration.__name__)
        return done

    # ------------------------------------------------------------------ connections and transactions

    def _fork_guard(self) -> None:
        """In a forked child, never reuse the parent's pooled SQLite connections (that corrupts locking)."""
        if os.getpid() != self._pid:
            self._engine.dispose(close=False)
            self._pid = os.getpid()

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        self._fork_guard()
        with self._translate_errors():
            with self._engine.connect() as conn:
                yield conn

    def _require_writable(self) -> None:
        if self.read_only:
            raise StoreError(
                f"database {self.path} is open read-only", hint="open it without read_only to change runs"
            )

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction: BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error)."""
        self._require_writable()
        self._fork_guard()
        with self._translate_errors():
            with self._engine.connect() as conn:
                conn.execution_options(synvita_begin="BEGIN IMMEDIATE")
                with conn.begin():
                    yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """One read transaction (a consistent WAL snapshot)."""
        self._fork_guard()
        with self._translate_errors():
            with self._engine.connect() as conn:
                with conn.begin():
                    yield conn

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError:
            raise
        except (OperationalError, DBAPIError) as exc:
            msg = str(getattr(exc, "orig", exc))
            low = msg.lower()
            if "locked" in low or "busy" in low:
                raise StoreError(
                    f"database {self.path} is locked by another writer for more than {self.busy_timeout_s:g}s",
                    hint="wait for the other synvita process to finish, or raise the timeout (SYNVITA_BUSY_TIMEOUT)",
                ) from None
            if "readonly" in low or "read-only" in low:
                raise StoreError(
                    f"database {self.path} cannot be written ({msg})",
                    hint="check the file's permissions, or pass --db / set SYNVITA_DB to a writable location",
                ) from None
            if "unable to open" in low:
                raise StoreError(
                    f"cannot open database {self.path}",
                    hint="check that the path exists and is writable, or pass --db / set SYNVITA_DB",
                ) from None
            if "no such table" in low or "no such column" in low:
                raise StoreError(
                    f"database {self.path} has an unexpected schema ({msg})", hint=f"run `{self._upgrade_cmd()}`"
                ) from None
            if "disk" in low and ("full" in low or "i/o" in low):
                raise StoreError(f"database {self.path}: {msg}", hint="free disk space or move the database") from None
            raise

    # ------------------------------------------------------------------ helpers

    def _deps_of(self, conn: Connection, run_ids: Sequence[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {rid: [] for rid in run_ids}
        ids = list(run_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = conn.execute(
                select(DEPS.c.run_id, DEPS.c.depends_on).where(DEPS.c.run_id.in_(chunk)).order_by(DEPS.c.run_id)
            )
            for rid, dep in rows:
                out[rid].append(dep)
        return out

    def _to_runs(self, conn: Connection, rows: Iterable[Any]) -> list[Run]:
        """Core rows of `runs` → entities (`RunRow.to_entity` reads attributes only; building ORM objects per
        row cost ~80 µs, which made a 50-run page 4x slower than a 10-run one)."""
        rows = list(rows)
        deps = self._deps_of(conn, [r.id for r in rows])
        return [RunRow.to_entity(r, deps.get(r.id)) for r in rows]

    def _fetch_run(self, conn: Connection, run_id: str) -> Run:
        row = conn.execute(select(RUNS).where(RUNS.c.id == run_id)).first()
        if row is None:
            raise NotFoundError(f"no run '{run_id}' in {self.path}", hint="see `synvita runs ls`")
        return self._to_runs(conn, [row])[0]

    def _status_of(self, conn: Connection, run_id: str) -> str:
        status = conn.execute(select(RUNS.c.status).where(RUNS.c.id == run_id)).scalar()
        if status is None:
            raise NotFoundError(f"no run '{run_id}' in {self.path}", hint="see `synvita runs ls`")
        return status

    def _descendants(self, conn: Connection, roots: Sequence[str]) -> list[str]:
        if not roots:
            return []
        placeholders = ", ".join(f":r{i}" for i in range(len(roots)))
        rows = conn.execute(
            text(
                f"WITH RECURSIVE down(id) AS ("
                f" SELECT run_id FROM run_deps WHERE depends_on IN ({placeholders})"
                f" UNION SELECT d.run_id FROM run_deps AS d JOIN down ON d.depends_on = down.id)"
                f" SELECT id FROM down"
            ),
            {f"r{i}": r for i, r in enumerate(roots)},
        )
        return [r[0] for r in rows]

    def _block_dependants(self, conn: Connection, roots: Sequence[str], now: float) -> None:
        """Cancel queued (transitive) dependants of failed/cancelled runs, recording the root in blocked_by."""
        candidates = self._descendants(conn, roots)
        if not candidates:
            return
        changed = True
        while changed:
            changed = False
            for i in range(0, len(candidates), 500):
                chunk = candidates[i : i + 500]
                rows = conn.execute(
                    text(
                        "SELECT r.id, p.id, p.status, p.blocked_by FROM runs AS r"
                        " JOIN run_deps AS d ON d.run_id = r.id JOIN runs AS p ON p.id = d.depends_on"
                        f" WHERE r.status = 'queued' AND p.status IN ('failed', 'cancelled')"
                        f" AND r.id IN ({', '.join(f':c{j}' for j in range(len(chunk)))})"
                    ),
                    {f"c{j}": c for j, c in enumerate(chunk)},
                ).all()
                seen: set[str] = set()
                for run_id, dep_id, dep_status, dep_blocked_by in rows:
                    if run_id in seen:
                        continue
                    seen.add(run_id)
                    root = dep_blocked_by or dep_id
                    root_status = dep_status if root == dep_id else self._status_of(conn, root)
                    conn.execute(
                        RUNS.update()
                        .where(RUNS.c.id == run_id, RUNS.c.status == "queued")
                        .values(
                            status="cancelled",
                            error=f"dependency {root} {root_status}",
                            blocked_by=root,
                            finished_at=now,
                        )
                    )
                    changed = True

    # ------------------------------------------------------------------ creating and reading runs

    def create_runs(self, new_runs: Sequence[NewRun]) -> list[Run]:
        """Enqueue runs (one transaction; all or nothing). Each is `queued` with a fresh id like "r-1a2b3c"."""
        new_runs = list(new_runs)
        for i, nr in enumerate(new_runs):
            for dep in nr.depends_on:
                if isinstance(dep, int) and not 0 <= dep < i:
                    raise UserInputError(
                        f"run #{i} ({nr.stage}) depends on #{dep}",
                        hint="an int dependency must be the index of an earlier run in the same list",
                    )
        now = time.time()
        root = runs_root(self.path)
        with self._write() as conn:
            ids: list[str] = []
            taken: set[str] = set()
            for _ in new_runs:
                while True:
                    rid = _new_run_id()
                    if rid in taken:
                        continue
                    if conn.execute(select(RUNS.c.id).where(RUNS.c.id == rid)).first() is None:
                        break
                ids.append(rid)
                taken.add(rid)
            existing_deps = {d for nr in new_runs for d in nr.depends_on if isinstance(d, str)}
            if existing_deps:
                found = {r[0] for r in conn.execute(select(RUNS.c.id).where(RUNS.c.id.in_(existing_deps)))}
                missing = sorted(existing_deps - found)
                if missing:
                    raise NotFoundError(f"no run '{missing[0]}' to depend on", hint="see `synvita runs ls`")
            run_rows = []
            dep_rows = []
            for i, (rid, nr) in enumerate(zip(ids, new_runs)):
                run_rows.append(
                    dict(
                        id=rid,
                        experiment=nr.experiment,
                        submission=nr.submission,
                        stage=nr.stage,
                        status="queued",
                        variant=nr.variant,
                        generator=nr.generator,
                        seed=nr.seed,
                        config_json=_json(nr.config),
                        run_dir=str(root / rid),
                        progress_msg="",
                        attempt=1,
                        created_at=now + i * 1e-6,  # keeps creation order stable within one submission
                        events_cursor=0,
                    )
                )
                for dep in dict.fromkeys(nr.depends_on):
                    dep_rows.append(dict(run_id=rid, depends_on=ids[dep] if isinstance(dep, int) else dep))
            if run_rows:
                conn.execute(RUNS.insert(), run_rows)
            if dep_rows:
                conn.execute(DEPS.insert(), dep_rows)
            # a new run depending on an already failed/cancelled one is cancelled right away
            str_deps = [d for d in existing_deps]
            if str_deps:
                self._block_dependants(conn, str_deps, now)
            rows = conn.execute(select(RUNS).where(RUNS.c.id.in_(ids))).all()
            by_id = {r.id: r for r in rows}
            return self._to_runs(conn, [by_id[i] for i in ids])

    def get_run(self, run_id: str) -> Run:
        """The run; NotFoundError for an unknown id."""
        with self._read() as conn:
            return self._fetch_run(conn, run_id)

    def get_runs(self, run_ids: Sequence[str]) -> list[Run]:
        """Several runs in the given order; NotFoundError names the first unknown id."""
        with self._read() as conn:
            rows = {r.id: r for r in conn.execute(select(RUNS).where(RUNS.c.id.in_(list(run_ids))))}
            missing = [r for r in run_ids if r not in rows]
            if missing:
                raise NotFoundError(f"no run '{missing[0]}' in {self.path}", hint="see `synvita runs ls`")
            return self._to_runs(conn, [rows[r] for r in run_ids])

    def _filters(
        self,
        *,
        status: str | Sequence[str] | None = None,
        experiment: str | None = None,
        stage: str | None = None,
        generator: str | None = None,
        submission: str | None = None,
        variant: str | None = None,
        text: str | None = None,
    ) -> list[Any]:
        conds: list[Any] = []
        if status:
            statuses = [status] if isinstance(status, str) else list(status)
            unknown = [s for s in statuses if s not in RUN_STATUSES]
            if unknown:
                raise UserInputError(f"unknown run status '{unknown[0]}'", hint=f"one of: {', '.join(RUN_STATUSES)}")
            conds.append(RUNS.c.status == statuses[0] if len(statuses) == 1 else RUNS.c.status.in_(statuses))
        equal = {"experiment": experiment, "stage": stage, "generator": generator, "submission": submission,
                 "variant": variant}
        conds.extend(RUNS.c[column] == value for column, value in equal.items() if value)
        if text:
            pattern = f"%{text}%"
            conds.append(
                or_(
                    RUNS.c.id.like(pattern),
                    RUNS.c.experiment.like(pattern),
                    RUNS.c.stage.like(pattern),
                    RUNS.c.variant.like(pattern),
                    RUNS.c.generator.like(pattern),
                    RUNS.c.submission.like(pattern),
                    RUNS.c.status.like(pattern),
                )
            )
        return conds

    def list_runs(
        self,
        *,
        status: str | Sequence[str] | None = None,
        experiment: str | None = None,
        stage: str | None = None,
        generator: str | None = None,
        submission: str | None = None,
        variant: str | None = None,
        text: str | None = None,
        order_by: str = "created_at",
        descending: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Run]:
        """Runs matching all given filters (`text`: substring of id/experiment/stage/variant/generator/status).

        Ordered by `order_by` (ties broken by id); paginate with `limit`/`offset` (index-backed for created_at).
        """
        if order_by not in ORDERABLE:
            raise UserInputError(f"cannot order runs by '{order_by}'", hint=f"one of: {', '.join(ORDERABLE)}")
        conds = self._filters(
            status=status, experiment=experiment, stage=stage, generator=generator,
            submission=submission, variant=variant, text=text,
        )
        col, tie = RUNS.c[order_by], RUNS.c.id
        query = select(RUNS).where(*conds).order_by(col.desc() if descending else col.asc(), tie.desc() if descending else tie.asc())
        if limit is not None:
            query = query.limit(int(limit))
        if offset:
            query = query.offset(int(offset)) if limit is not None else query.limit(-1).offset(int(offset))
        with self._read() as conn:
            return self._to_runs(conn, conn.execute(query))

    def count_runs(
        self,
        *,
        status: str | Sequence[str] | None = None,
        experiment: str | None = None,
        stage: str | None = None,
        generator: str | None = None,
        submission: str | None = None,
        variant: str | None = None,
        text: str | None = None,
    ) -> int:
        conds = self._filters(
            status=status, experiment=experiment, stage=stage, generator=generator,
            submission=submission, variant=variant, text=text,
        )
        with self._read() as conn:
            if not conds:  # O(1): the trigger-maintained counts
                return int(conn.execute(select(func.coalesce(func.sum(STATUS_COUNTS.c.n), 0))).scalar() or 0)
            if len(conds) == 1 and status:  # only the status filter: still O(1)
                statuses = [status] if isinstance(status, str) else list(status)
                return int(conn.execute(
                    select(func.coalesce(func.sum(STATUS_COUNTS.c.n), 0)).where(STATUS_COUNTS.c.status.in_(statuses))
                ).scalar() or 0)
            return int(conn.execute(select(func.count()).select_from(RUNS).where(*conds)).scalar() or 0)

    def status_counts(self, **filters: Any) -> dict[str, int]:
        """{status: count} for the runs matching `filters` (same keywords as count_runs)."""
        conds = self._filters(**filters)
        with self._read() as conn:
            if not conds:  # O(1): the trigger-maintained counts
                rows = conn.execute(select(STATUS_COUNTS.c.status, STATUS_COUNTS.c.n).where(STATUS_COUNTS.c.n > 0))
            else:
                rows = conn.execute(select(RUNS.c.status, func.count()).where(*conds).group_by(RUNS.c.status))
            return {s: int(n) for s, n in rows}

    def dependants(self, run_id: str) -> list[str]:
        """Ids of runs that depend directly on `run_id`."""
        with self._read() as conn:
            self._status_of(conn, run_id)
            return [r[0] for r in conn.execute(select(DEPS.c.run_id).where(DEPS.c.depends_on == run_id))]

    # ------------------------------------------------------------------ lifecycle

    def claim_next(self, worker_id: str, *, submission: str | None = None, executor: str | None = None) -> Run | None:
        """Atomically move the oldest claimable run (queued, all dependencies succeeded) to `running` for
        `worker_id`; None when there is none. Exactly once: two workers never get the same run."""
        now = time.time()
        sub_clause = "AND r.submission = :submission" if submission else ""
        candidate_sql = (
            "SELECT r.id FROM runs AS r WHERE r.status = 'queued' " + sub_clause +
            " AND NOT EXISTS (SELECT 1 FROM run_deps AS d JOIN runs AS p ON p.id = d.depends_on"
            "                 WHERE d.run_id = r.id AND p.status != 'succeeded')"
            " ORDER BY r.created_at, r.id LIMIT 1"
        )
        # an idle worker polls often: look without the write lock first, take it only when there is work
        with self._read() as conn:
            if conn.execute(text(candidate_sql), {"submission": submission}).first() is None:
                return None
        with self._write() as conn:
            row = conn.execute(
                text(
                    "UPDATE runs SET status = 'running', worker = :worker, executor = :executor, started_at = :now,"
                    " heartbeat_at = :now, finished_at = NULL, error = NULL, blocked_by = NULL,"
                    " progress = NULL, progress_msg = '', job_id = NULL"
                    " WHERE status = 'queued' AND id = (" + candidate_sql + ") RETURNING id"
                ),
                {"worker": worker_id, "executor": executor, "now": now, "submission": submission},
            ).first()
            if row is None:
                return None
            return self._fetch_run(conn, row[0])

    def has_pending(self, *, submission: str | None = None) -> bool:
        """True while some run (of `submission`) is running or claimable. False means nothing will happen
        without someone's action (everything ended, or the rest waits on lost/preempted runs to be retried)."""
        sub_clause = "AND r.submission = :submission" if submission else ""
        with self._read() as conn:
            row = conn.execute(
                text(
                    "SELECT 1 FROM runs AS r WHERE r.status = 'running' " + sub_clause + " UNION ALL "
                    "SELECT 1 FROM runs AS r WHERE r.status = 'queued' " + sub_clause +
                    " AND NOT EXISTS (SELECT 1 FROM run_deps AS d JOIN runs AS p ON p.id = d.depends_on"
                    " WHERE d.run_id = r.id AND p.status != 'succeeded') LIMIT 1"
                ),
                {"submission": submission},
            ).first()
            return row is not None

    def orphaned_jobs(self, executor: str, stale_after_s: float) -> list[tuple[Run, str]]:
        """(run, job id) of `executor` runs whose worker went away while their job may still exist: `lost`, or
        `running` without a heartbeat for `stale_after_s`. A new worker can `adopt` them (Slurm jobs outlive
        the host process that submitted them)."""
        cutoff = time.time() - float(stale_after_s)
        with self._read() as conn:
            rows = conn.execute(
                select(RUNS).where(
                    RUNS.c.executor == executor,
                    RUNS.c.job_id.is_not(None),
                    or_(RUNS.c.status == "lost",
                        (RUNS.c.status == "running") & (func.coalesce(RUNS.c.heartbeat_at, 0) < cutoff)),
                )
            ).all()
            runs = self._to_runs(conn, rows)
            return [(run, row.job_id) for run, row in zip(runs, rows)]

    def adopt(self, run_id: str, worker_id: str, *, stale_after_s: float) -> Run | None:
        """Take over a run whose worker went away (see `orphaned_jobs`): it becomes `running` under `worker_id`
        (error cleared). None when another worker was faster or the run moved on."""
        now = time.time()
        with self._write() as conn:
            row = conn.execute(
                text(
                    "UPDATE runs SET status = 'running', worker = :worker, heartbeat_at = :now, error = NULL,"
                    " finished_at = NULL WHERE id = :rid AND (status = 'lost' OR"
                    " (status = 'running' AND coalesce(heartbeat_at, 0) < :cutoff)) RETURNING id"
                ),
                {"worker": worker_id, "now": now, "rid": run_id, "cutoff": now - float(stale_after_s)},
            ).first()
            return None if row is None else self._fetch_run(conn, run_id)

    def set_job(self, run_id: str, job_id: str | None, *, worker_id: str | None = None) -> None:
        """Record the executor's handle (pid or Slurm job id) of a running run."""
        with self._write() as conn:
            conds = [RUNS.c.id == run_id]
            if worker_id is not None:
                conds.append(RUNS.c.worker == worker_id)
            conn.execute(RUNS.update().where(*conds).values(job_id=job_id))

    def job_id(self, run_id: str) -> str | None:
        with self._read() as conn:
            self._status_of(conn, run_id)
            return conn.execute(select(RUNS.c.job_id).where(RUNS.c.id == run_id)).scalar()

    def heartbeat(self, run_id: str, worker_id: str, *, progress_msg: str | None = None) -> str:
        """Refresh a running run's heartbeat. Returns the run's status as this worker should see it: its status,
        or "lost" when another worker owns the run now. The worker stops the job unless it gets "running"."""
        now = time.time()
        with self._write() as conn:
            row = conn.execute(select(RUNS.c.status, RUNS.c.worker).where(RUNS.c.id == run_id)).first()
            if row is None:
                raise NotFoundError(f"no run '{run_id}' in {self.path}", hint="see `synvita runs ls`")
            status, owner = row
            if owner != worker_id:
                return "lost"
            if status == "running":
                values: dict[str, Any] = {"heartbeat_at": now}
                if progress_msg is not None:
                    values["progress_msg"] = progress_msg
                conn.execute(RUNS.update().where(RUNS.c.id == run_id).values(**values))
            return status

    def finish(self, run_id: str, status: str, error: str | None = None, *, worker_id: str | None = None) -> Run:
        """Guarded end of a run: running|lost|preempted → succeeded|failed|cancelled|lost|preempted.

        A terminal run (succeeded/failed/cancelled) is never overwritten: the call returns it unchanged. With
        `worker_id`, a run now owned by another worker is left alone too. `failed`/`cancelled` cancel the queued
        dependants ("dependency r-x failed").
        """
        if status not in RUN_STATUSES or status in ("queued", "running"):
            raise UserInputError(
                f"cannot finish run {run_id} as '{status}'",
                hint="one of: succeeded, failed, cancelled, lost, preempted",
            )
        now = time.time()
        with self._write() as conn:
            row = conn.execute(select(RUNS.c.status, RUNS.c.worker).where(RUNS.c.id == run_id)).first()
            if row is None:
                raise NotFoundError(f"no run '{run_id}' in {self.path}", hint="see `synvita runs ls`")
            current, owner = row
            if current in TERMINAL_STATUSES or current == status:
                return self._fetch_run(conn, run_id)
            if worker_id is not None and owner != worker_id:
                return self._fetch_run(conn, run_id)
            if current == "queued":
                raise StoreError(
                    f"run {run_id} is queued, not running; it cannot become {status}",
                    hint="use cancel for a queued run",
                )
            values: dict[str, Any] = {"status": status, "finished_at": now}
            if status == "succeeded":
                values["error"] = None
                values["progress"] = 1.0
            elif error is not None:
                values["error"] = error
            conn.execute(RUNS.update().where(RUNS.c.id == run_id, RUNS.c.status == current).values(**values))
            if status in FAILED_LIKE:
                self._block_dependants(conn, [run_id], now)
            return self._fetch_run(conn, run_id)

    def cancel(self, run_id: str, reason: str = "cancelled by user") -> Run:
        """queued|running|lost|preempted → cancelled (a worker running it sees this at its next heartbeat and
        kills the job); queued dependants are cancelled too. Cancelling a cancelled run is a no-op;
        a succeeded or failed run → UserInputError."""
        now = time.time()
        with self._write() as conn:
            current = self._status_of(conn, run_id)
            if current == "cancelled":
                return self._fetch_run(conn, run_id)
            if current in TERMINAL_STATUSES:
                raise UserInputError(f"run {run_id} already {current}; nothing to cancel", hint="see `synvita runs show`")
            conn.execute(
                RUNS.update()
                .where(RUNS.c.id == run_id, RUNS.c.status == current)
                .values(status="cancelled", error=reason, finished_at=now)
            )
            self._block_dependants(conn, [run_id], now)
            return self._fetch_run(conn, run_id)

    def retry(self, run_id: str) -> Run:
        """failed|lost|cancelled|preempted → queued under the same id (attempt += 1, error cleared). The runs that
        were cancelled because of this one are re-queued with it. UserInputError for queued/running/succeeded
        runs, or while one of its own dependencies is failed/cancelled (retry that one first)."""
        now = time.time()
        with self._write() as conn:
            current = self._status_of(conn, run_id)
            if current not in RETRYABLE:
                raise UserInputError(
                    f"run {run_id} is {current}; only failed, lost, cancelled or preempted runs can be retried",
                    hint="see `synvita runs show " + run_id + "`",
                )
            bad = conn.execute(
                text(
                    "SELECT p.id, p.status, p.blocked_by FROM run_deps AS d JOIN runs AS p ON p.id = d.depends_on"
                    " WHERE d.run_id = :rid AND p.status IN ('failed', 'cancelled', 'lost', 'preempted') LIMIT 1"
                ),
                {"rid": run_id},
            ).first()
            if bad is not None:
                root = bad.blocked_by or bad.id
                raise UserInputError(
                    f"run {run_id} depends on {bad.id}, which is {bad.status}",
                    hint=f"retry {root} first (`synvita runs retry {root}`); its dependants are re-queued with it",
                )
            conn.execute(
                RUNS.update()
                .where(RUNS.c.id == run_id)
                .values(
                    status="queued", attempt=RUNS.c.attempt + 1, error=None, blocked_by=None, worker=None,
                    started_at=None, finished_at=None, heartbeat_at=None, progress=None, progress_msg="", job_id=None,
                )
            )
            # re-queue what this run's failure cancelled, then re-block anything with another failed dependency
            conn.execute(
                RUNS.update()
                .where(RUNS.c.blocked_by == run_id, RUNS.c.status == "cancelled")
                .values(status="queued", error=None, blocked_by=None, finished_at=None)
            )
            failed_deps = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT DISTINCT d.depends_on FROM run_deps AS d JOIN runs AS p ON p.id = d.depends_on"
                        " WHERE p.status IN ('failed', 'cancelled')"
                        " AND d.run_id IN (SELECT id FROM runs WHERE status = 'queued')"
                    )
                )
            ]
            self._block_dependants(conn, failed_deps, now)
            return self._fetch_run(conn, run_id)

    def reap_lost(self, heartbeat_timeout_s: float, *, retry_budget: int = 0) -> list[Run]:
        """Running runs without a heartbeat for `heartbeat_timeout_s` become `lost` (their worker died).

        `retry_budget` > 0: a lost run that has had at most that many retries (attempt <= retry_budget) is
        re-queued right away instead (attempt += 1; the error keeps why) — except Slurm runs, whose job may
        still be running: a new Slurm worker adopts those (see `orphaned_jobs`)."""
        now = time.time()
        cutoff = now - float(heartbeat_timeout_s)
        with self._write() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    text(
                        "UPDATE runs SET status = 'lost', finished_at = :now,"
                        " error = 'no heartbeat from worker ' || coalesce(worker, '?') || ' for "
                        + f"{float(heartbeat_timeout_s):g}"
                        + "s (worker died?)' WHERE status = 'running' AND coalesce(heartbeat_at, started_at, 0) < :cutoff"
                        " RETURNING id"
                    ),
                    {"now": now, "cutoff": cutoff},
                )
            ]
            if not ids:
                return []
            if retry_budget > 0:
                conn.execute(
                    RUNS.update()
                    .where(RUNS.c.id.in_(ids), RUNS.c.attempt <= int(retry_budget),
                           func.coalesce(RUNS.c.executor, "local") != "slurm")
                    .values(status="queued", attempt=RUNS.c.attempt + 1, worker=None, started_at=None,
                            finished_at=None, heartbeat_at=None, job_id=None, progress=None, progress_msg="",
                            error="re-queued after: " + RUNS.c.error)
                )
            rows = conn.execute(select(RUNS).where(RUNS.c.id.in_(ids))).all()
            return self._to_runs(conn, rows)

    # ------------------------------------------------------------------ events and what they carry

    def events_cursor(self, run_id: str) -> int:
        """The next events.jsonl line (seq) that `ingest_events` expects for this run."""
        with self._read() as conn:
            self._status_of(conn, run_id)
            return int(conn.execute(select(RUNS.c.events_cursor).where(RUNS.c.id == run_id)).scalar() or 0)

    def ingest_events(self, run_id: str, events: Sequence[dict[str, Any]]) -> int:
        """Record events read from the run's events.jsonl (see `synvita.events`); returns how many were new.

        Idempotent by `seq`: events below the run's cursor were already ingested and are skipped. Updates the
        run's progress, metrics (+ latest values), benchmark results, per-sample weights (read from the run-dir
        JSONL a `weights` event names) and artifacts, and the run's key metric.
        """
        with self._read() as conn:
            self._status_of(conn, run_id)
            cursor = int(conn.execute(select(RUNS.c.events_cursor).where(RUNS.c.id == run_id)).scalar() or 0)
            run_dir = conn.execute(select(RUNS.c.run_dir).where(RUNS.c.id == run_id)).scalar() or ""
        for ev in events:
            if not isinstance(ev, dict) or not isinstance(ev.get("seq"), int):
                raise UserInputError(
                    f"event without an integer seq for run {run_id}: {str(ev)[:200]}",
                    hint="events are the lines of events.jsonl; seq is the 0-based line number",
                )
        fresh = sorted((e for e in events if e["seq"] >= cursor), key=lambda e: e["seq"])
        if not fresh:
            return 0
        # parse weights files before taking the write lock; a bad file turns its event into an error log line
        weight_rows: list[dict[str, Any]] = []
        problems: dict[int, str] = {}
        for ev in fresh:
            if ev.get("kind") == "weights":
                try:
                    weight_rows.extend(self._read_weights_file(run_id, run_dir, ev))
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    problems[ev["seq"]] = f"weights file {ev.get('path')!r} unreadable: {type(exc).__name__}: {exc}"
        now = time.time()
        with self._write() as conn:
            cursor = int(conn.execute(select(RUNS.c.events_cursor).where(RUNS.c.id == run_id)).scalar() or 0)
            fresh = [e for e in fresh if int(e["seq"]) >= cursor]
            if not fresh:
                return 0
            event_rows, metric_rows, result_rows, artifact_rows = [], [], [], []
            latest: dict[str, tuple[int, float]] = {}
            progress: tuple[float | None, str] | None = None
            for ev in fresh:
                seq, kind = int(ev["seq"]), str(ev.get("kind", "log"))
                data = {k: v for k, v in ev.items() if k not in ("seq", "ts", "kind")}
                try:
                    ts = float(ev.get("ts", now))
                    if seq in problems:
                        raise ValueError(problems[seq])
                    if kind == "metric":
                        name, step, value = str(data["name"]), int(data.get("step", 0)), float(data["value"])
                        metric_rows.append(dict(run_id=run_id, name=name, step=step, value=value, ts=ts))
                        if name not in latest or step >= latest[name][0]:
                            latest[name] = (step, value)
                    elif kind == "progress":
                        total = data.get("total") or 0
                        frac = min(1.0, float(data.get("done", 0)) / float(total)) if total else None
                        progress = (frac, str(data.get("msg", "")))
                    elif kind == "result":
                        result_rows.append(
                            dict(
                                run_id=run_id, benchmark=str(data["benchmark"]), metric=str(data["metric"]),
                                subset=data.get("subset") or "", control=data.get("control") or "",
                                value=float(data["value"]), seq=seq,
                            )
                        )
                    elif kind == "artifact":
                        artifact_rows.append(dict(run_id=run_id, name=str(data["name"]), path=str(data["path"])))
                except (KeyError, TypeError, ValueError) as exc:
                    # keep the line (as an error log event) and go on: one bad line must not stall ingestion
                    reason = str(exc) if seq in problems else f"{type(exc).__name__}: {exc}"
                    data = {"level": "error", "msg": f"malformed {kind} event: {reason}", "event": data}
                    kind, ts = "log", now
                event_rows.append(dict(run_id=run_id, seq=seq, ts=ts, kind=kind, data_json=_json(data)))
            conn.execute(EVENTS.insert().prefix_with("OR IGNORE"), event_rows)
            if metric_rows:
                conn.execute(METRICS.insert().prefix_with("OR REPLACE"), metric_rows)
                conn.execute(
                    text(
                        "INSERT INTO latest_metrics (run_id, name, step, value) VALUES (:run_id, :name, :step, :value)"
                        " ON CONFLICT (run_id, name) DO UPDATE SET step = excluded.step, value = excluded.value"
                        " WHERE excluded.step >= latest_metrics.step"
                    ),
                    [dict(run_id=run_id, name=n, step=s, value=v) for n, (s, v) in latest.items()],
                )
            if result_rows:
                conn.execute(RESULTS.insert().prefix_with("OR REPLACE"), result_rows)
            if weight_rows:
                for i in range(0, len(weight_rows), 5000):
                    conn.execute(WEIGHTS.insert().prefix_with("OR REPLACE"), weight_rows[i : i + 5000])
            if artifact_rows:
                conn.execute(ARTIFACTS.insert().prefix_with("OR REPLACE"), artifact_rows)
            values: dict[str, Any] = {"events_cursor": int(fresh[-1]["seq"]) + 1}
            if progress is not None:
                values["progress"], values["progress_msg"] = progress
            if result_rows or metric_rows:
                key = self._key_metric(conn, run_id)
                if key is not None:
                    values["key_metric"] = key
            conn.execute(RUNS.update().where(RUNS.c.id == run_id).values(**values))
            return len(fresh)

    def _read_weights_file(self, run_id: str, run_dir: str, ev: dict[str, Any]) -> list[dict[str, Any]]:
        """Rows of the per-sample weights JSONL a `weights` event names (OSError/ValueError/KeyError if bad)."""
        rel = str(ev.get("path", ""))
        path = Path(rel) if os.path.isabs(rel) else Path(run_dir) / rel
        rows: list[dict[str, Any]] = []
        with open(path) as fh:
            for line in fh:
                if not line.strip():
                    continue
                w = json.loads(line)
                faithful = w.get("faithful")
                rows.append(
                    dict(
                        run_id=run_id, sample_id=str(w["sample_id"]), generator=str(w.get("generator", "")),
                        misalignment=str(w.get("misalignment", "")), f_target=float(w["f_target"]),
                        f_other=float(w["f_other"]), weight=float(w["weight"]),
                        faithful=None if faithful is None else bool(faithful),
                    )
                )
        return rows

    def _key_metric(self, conn: Connection, run_id: str) -> float | None:
        """Mean over benchmarks of each benchmark's first headline result (no subset/control); else the latest
        `loss` (or first loss_* metric)."""
        rows = conn.execute(
            text(
                "SELECT benchmark, value FROM results WHERE run_id = :rid AND subset = '' AND control = ''"
                " ORDER BY benchmark, seq"
            ),
            {"rid": run_id},
        ).all()
        if rows:
            first: dict[str, float] = {}
            for bench, value in rows:
                first.setdefault(bench, value)
            return sum(first.values()) / len(first)
        rows = conn.execute(
            text("SELECT name, value FROM latest_metrics WHERE run_id = :rid AND name LIKE 'loss%' ORDER BY name"),
            {"rid": run_id},
        ).all()
        by_name = dict(rows)
        if "loss" in by_name:
            return by_name["loss"]
        return rows[0][1] if rows else None

    def events(
        self,
        run_id: str,
        *,
        kinds: Sequence[str] | None = None,
        since_seq: int = 0,
        limit: int | None = None,
        tail: int | None = None,
    ) -> list[RunEvent]:
        """Ingested events in seq order: those with seq >= since_seq, of `kinds`; `tail`: only the last N."""
        conds = [EVENTS.c.run_id == run_id, EVENTS.c.seq >= int(since_seq)]
        if kinds:
            conds.append(EVENTS.c.kind.in_(list(kinds)))
        with self._read() as conn:
            self._status_of(conn, run_id)
            if tail is not None:
                query = select(EVENTS).where(*conds).order_by(EVENTS.c.seq.desc()).limit(int(tail))
                rows = list(conn.execute(query))[::-1]
                if limit is not None:
                    rows = rows[: int(limit)]
            else:
                query = select(EVENTS).where(*conds).order_by(EVENTS.c.seq)
                if limit is not None:
                    query = query.limit(int(limit))
                rows = list(conn.execute(query))
            return [RunEvent(run_id=r.run_id, seq=r.seq, ts=r.ts, kind=r.kind, data=json.loads(r.data_json)) for r in rows]

    def metrics(
        self, run_id: str, name: str | None = None, *, since_step: int | None = None, max_points: int | None = None
    ) -> list[MetricPoint]:
        """Metric points ordered by (name, step). `max_points`: each series thinned in SQL to about that many
        evenly spaced points (the first and last kept), so a chart of a long run stays cheap."""
        where = "run_id = :rid"
        params: dict[str, Any] = {"rid": run_id}
        if name is not None:
            where += " AND name = :name"
            params["name"] = name
        if since_step is not None:
            where += " AND step >= :since"
            params["since"] = int(since_step)
        with self._read() as conn:
            self._status_of(conn, run_id)
            if max_points is None:
                sql = f"SELECT name, step, value FROM metrics WHERE {where} ORDER BY name, step"
            else:
                params["maxp"] = max(2, int(max_points))
                sql = (
                    "SELECT name, step, value FROM ("
                    " SELECT name, step, value, row_number() OVER (PARTITION BY name ORDER BY step) - 1 AS i,"
                    f" count(*) OVER (PARTITION BY name) AS n FROM metrics WHERE {where})"
                    " WHERE n <= :maxp OR i = n - 1"
                    " OR i % ((n + :maxp - 2) / (:maxp - 1)) = 0"
                    " ORDER BY name, step"
                )
            rows = conn.execute(text(sql), params).all()
        return [MetricPoint(run_id=run_id, name=n, step=s, value=v) for n, s, v in rows]

    def metric_names(self, run_id: str) -> list[str]:
        with self._read() as conn:
            self._status_of(conn, run_id)
            return [r[0] for r in conn.execute(select(LATEST.c.name).where(LATEST.c.run_id == run_id).order_by(LATEST.c.name))]

    def latest_metrics(self, run_ids: str | Sequence[str]) -> dict[str, dict[str, MetricPoint]]:
        """{run_id: {metric name: latest point}} without scanning the points."""
        ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        out: dict[str, dict[str, MetricPoint]] = {rid: {} for rid in ids}
        with self._read() as conn:
            for i in range(0, len(ids), 500):
                for r in conn.execute(select(LATEST).where(LATEST.c.run_id.in_(ids[i : i + 500]))):
                    out[r.run_id][r.name] = MetricPoint(run_id=r.run_id, name=r.name, step=r.step, value=r.value)
        return out

    def results(self, run_ids: str | Sequence[str]) -> list[BenchmarkResult]:
        """Benchmark results of the given runs, in run order, then in the order they were reported."""
        ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        order = {rid: i for i, rid in enumerate(ids)}
        out: list[Any] = []
        with self._read() as conn:
            for i in range(0, len(ids), 500):
                out.extend(conn.execute(select(RESULTS).where(RESULTS.c.run_id.in_(ids[i : i + 500]))))
        out.sort(key=lambda r: (order[r.run_id], r.seq))
        return [ResultRow.to_entity(r) for r in out]

    def weights(self, run_id: str) -> list[SampleWeight]:
        with self._read() as conn:
            self._status_of(conn, run_id)
            rows = conn.execute(select(WEIGHTS).where(WEIGHTS.c.run_id == run_id).order_by(WEIGHTS.c.sample_id)).all()
        return [
            SampleWeight(
                run_id=r.run_id, sample_id=r.sample_id, generator=r.generator, misalignment=r.misalignment,
                f_target=r.f_target, f_other=r.f_other, weight=r.weight,
                faithful=None if r.faithful is None else bool(r.faithful),
            )
            for r in rows
        ]

    def artifacts(self, run_id: str) -> list[Artifact]:
        with self._read() as conn:
            self._status_of(conn, run_id)
            rows = conn.execute(select(ARTIFACTS).where(ARTIFACTS.c.run_id == run_id).order_by(ARTIFACTS.c.name)).all()
        return [ArtifactRow.to_entity(r) for r in rows]
