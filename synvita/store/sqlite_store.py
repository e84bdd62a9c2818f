"""The run store: one SQLite file (WAL; on a network filesystem journal_mode=DELETE) holding runs, their dependencies, events, metrics, results and weights.

Guarantees (DESIGN.md §5): every write is one `BEGIN IMMEDIATE` transaction (so read-modify-write sequences such
as claiming never race), `busy_timeout` waits for other writers and turns a lock held past the timeout into a
one-line `StoreError`, the schema is versioned by explicit migrations (`migrations.py`), and table rows never
leave `synvita.store`: callers get `synvita.entities`. Torch-free.

Dependency policy: a run is claimable when it is `queued` and every run it depends on `succeeded`. When a run
ends `failed` or `cancelled`, its queued dependants (transitively) become `cancelled` with the error
"dependency r-x failed" and remember r-x in `blocked_by`; `retry(r-x)` re-queues r-x *and* those dependants.
`lost`/`preempted` runs are not terminal: their dependants stay queued until the run is retried or cancelled.

`Store` is a thin facade over one part per concern, each a class over the shared `Session`:

    session.py  engine, pragmas, read/write transactions, fork guard, error translation
    schema.py   schema check, upgrade, schema_version
    runs.py     create / get / list / count runs, the dependency graph            (NewRun, new_submission_id)
    queue.py    claim, adopt, heartbeat, finish, cancel, retry, reap lost runs
    attempts.py every execution of a run (job id, node, times, why it ended, resources)
    ingest.py   the events cursor and the ingestion of typed event rows           (rows: event_rows.py)
    reads.py    events, metrics, results, weights, artifacts
"""

from __future__ import annotations

import os
from pathlib import Path

from synvita.errors import StoreError
from synvita.paths import resolve_db_path
from synvita.store.attempts import RunAttempts
from synvita.store.dbfile import check_database_file
from synvita.store.ingest import EventIngestion
from synvita.store.queue import RunQueue
from synvita.store.reads import RunReads
from synvita.store.runs import NewRun, new_submission_id
from synvita.store.schema import Schema

__all__ = ["NewRun", "Store", "new_submission_id"]


class Store(RunQueue, RunAttempts, EventIngestion, RunReads, Schema):
    """A synvita database. Open with `Store.open(...)`; use as a context manager or call `close()`."""

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

        `create=False` or `read_only=True` on a missing or empty file → StoreError (only a writer makes a file a
        database). An older schema is migrated when `upgrade` (the default, writable only); otherwise StoreError
        naming `synvita db upgrade`. A file that is not an SQLite database, another program's database, a corrupt
        one, or a newer or unknown schema → StoreError (`synvita.store.dbfile`), and the file is left as it was.
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
        initialize = create and not read_only
        if path.exists():
            check_database_file(path, may_initialize=initialize)
        if not read_only:
            writable_target = path if path.exists() else path.parent
            if not os.access(writable_target, os.W_OK) or not os.access(path.parent, os.W_OK):
                raise StoreError(
                    f"database location {path} is not writable",
                    hint="pass --db or set SYNVITA_DB / SYNVITA_HOME to a writable location (or open read-only)",
                )
        store = cls(path, read_only=read_only, busy_timeout_s=busy_timeout_s)
        try:
            store._check_schema(upgrade=upgrade and not read_only, initialize=initialize)
        except BaseException:
            store.close()
            raise
        return store

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
