"""The store's hold on one SQLite file: engine and pragmas, transactions, the fork guard, error translation.

Every part of the store (schema, runs, queue, ingest, reads) subclasses `Session` and reaches the database only
through `_read()` (one consistent WAL snapshot), `_write()` (one `BEGIN IMMEDIATE` transaction), their bare-sqlite3
twins `_raw_read()` / `_raw_write()` for hot paths, or `_connect()` (a connection outside any transaction). A lock
held past `busy_timeout_s`, a read-only file, a full disk or an unexpected schema leave here as a one-line
`StoreError`.
"""

from __future__ import annotations

import math
import os
import sqlite3
import time
import threading
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from synvita.errors import StoreError
from synvita.store import held_files
from synvita.store.sqlite_errors import DatabaseLocked, sqlite_error_name, store_error, upgrade_command


class Session:
    """Engine, pragmas and transactions of one database file."""

    def __init__(self, path: Path, *, read_only: bool, busy_timeout_s: float) -> None:
        self.path = path
        self.read_only = read_only
        self.busy_timeout_s = float(busy_timeout_s)
        if read_only:
            url = f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true"
        else:
            url = f"sqlite:///{path}"
        # A small pool of open connections: closing the last connection of a WAL database checkpoints and
        # removes the -wal file, which makes opening a connection per call slow. Idle connections hold no lock.
        self._engine = create_engine(
            url,
            pool_size=2,
            max_overflow=8,
            connect_args={"timeout": self.busy_timeout_s, "check_same_thread": False},
        )
        self._pid = os.getpid()
        self.locked_seen_at = -math.inf
        """`time.monotonic()` when a call of this process last found the database locked past the busy timeout (the
        reaper's hint that heartbeats may have been held up too)."""
        self._kept_raw: sqlite3.Connection | None = None
        """The bare connection `_raw_transaction` keeps for this store's hot paths (taken out of the pool once)."""
        self._kept_raw_lock = threading.Lock()
        self._held: held_files.FileId | None = None
        """The file this store's connections are on, held (`held_files`) from the first connection to `close()`."""
        self._held_lock = threading.Lock()
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
            self._hold_file()

        @event.listens_for(self._engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql(conn.get_execution_options().get("synvita_begin", "BEGIN"))

    def close(self) -> None:
        self._fork_guard()
        with self._kept_raw_lock:
            if self._kept_raw is not None:
                self._kept_raw.close()
            self._kept_raw = None
        self._engine.dispose()
        with self._held_lock:
            held_files.release(self._held)
            self._held = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, read_only={self.read_only})"

    def _upgrade_cmd(self) -> str:
        return upgrade_command(self.path)

    def _fork_guard(self) -> None:
        """In a forked child, never reuse the parent's pooled SQLite connections (that corrupts locking)."""
        if os.getpid() != self._pid:
            self._engine.dispose(close=False)
            self._kept_raw, self._kept_raw_lock = None, threading.Lock()  # the parent's: left to it, never closed
            self._held, self._held_lock = None, threading.Lock()  # the child's first connection holds the file again
            self._pid = os.getpid()

    def _hold_file(self) -> None:
        """Record that this process has a connection on the database file (a new file exists from now on), so that
        nothing in it opens and closes the file behind SQLite's back (`held_files`)."""
        with self._held_lock:
            if self._held is None:
                self._held = held_files.hold(self.path)

    def _require_writable(self) -> None:
        if self.read_only:
            raise StoreError(
                f"database {self.path} is open read-only", hint="open it without read_only to change runs"
            )

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """A connection outside any transaction (the caller begins one, or changes what cannot change inside one)."""
        self._fork_guard()
        with self._translate_errors():
            with self._engine.connect() as conn:
                yield conn

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
    def _raw_transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        """One transaction on a bare sqlite3 connection, for hot paths (an ingestion poll) where SQLAlchemy's cost
        per statement would outweigh the statements themselves."""
        self._fork_guard()
        with self._translate_errors(), self._bare_connection() as raw:
            raw.execute(begin)
            try:
                yield raw
            except BaseException:
                if raw.in_transaction:  # SQLite ends the transaction itself on some errors (an I/O error)
                    raw.execute("ROLLBACK")
                raise
            raw.execute("COMMIT")

    @contextmanager
    def _bare_connection(self) -> Iterator[sqlite3.Connection]:
        """The bare sqlite3 connection this store keeps for raw transactions: taken out of the pool (pragmas set)
        on first use and kept until `close()`, so that a poll pays no pool checkout and return. A second thread
        meanwhile, or a raw transaction inside another, gets a pooled connection of its own."""
        if not self._kept_raw_lock.acquire(blocking=False):
            pooled = self._engine.raw_connection()
            try:
                yield pooled.dbapi_connection  # type: ignore[misc]
            finally:
                pooled.close()
            return
        try:
            if self._kept_raw is None:
                pooled = self._engine.raw_connection()
                pooled.detach()
                self._kept_raw = pooled.dbapi_connection  # type: ignore[assignment]
            yield self._kept_raw
        finally:
            self._kept_raw_lock.release()

    def _raw_write(self) -> AbstractContextManager[sqlite3.Connection]:
        """`_write()` on the bare sqlite3 connection (see `_raw_transaction`)."""
        self._require_writable()
        return self._raw_transaction("BEGIN IMMEDIATE")

    def _raw_read(self) -> AbstractContextManager[sqlite3.Connection]:
        """`_read()` on the bare sqlite3 connection (see `_raw_transaction`)."""
        return self._raw_transaction("BEGIN")

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        """SQLite's operational errors → one-line StoreErrors with a hint; integrity errors pass unchanged."""
        try:
            yield
        except (IntegrityError, sqlite3.IntegrityError):
            raise
        except (OperationalError, DBAPIError, sqlite3.OperationalError) as exc:
            cause = getattr(exc, "orig", exc)
            translated = store_error(self.path, str(cause), busy_timeout_s=self.busy_timeout_s,
                                     code_name=sqlite_error_name(cause))
            if isinstance(translated, DatabaseLocked):
                self.locked_seen_at = time.monotonic()
            if translated is not None:
                raise translated from None
            raise
