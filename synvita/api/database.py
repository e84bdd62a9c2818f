"""The database an `Api` works on: where it is, opening the store once (thread-safe, lazily), read-only fallback,
schema upgrades. Every noun of the API (`experiments`, `runs`, `tables`, ...) builds on this class."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, TypeVar

from synvita.errors import StoreError, UserInputError
from synvita.paths import resolve_db_path

BUSY_TIMEOUT_ENV = "SYNVITA_BUSY_TIMEOUT"
"""Seconds a write waits for another writer before giving up (default 5)."""

LOST_AFTER_ENV = "SYNVITA_LOST_AFTER"
"""Seconds without a heartbeat after which `Api.reap_lost` marks a running run `lost` (default 30, as
`synvita worker --lost-after`; 0 turns reaping by readers off)."""
DEFAULT_LOST_AFTER_S = 30.0

_Self = TypeVar("_Self", bound="Database")


class Database:
    """One synvita database. Opens the store lazily (on first use).

    Safe to share between threads (the TUI calls it from thread workers): the store opens once under a lock,
    and the store itself gives each call its own pooled connection."""

    def __init__(
        self,
        db: str | Path | None = None,
        read_only: bool = False,
        busy_timeout_s: float | None = None,
        lost_after_s: float | None = None,
    ) -> None:
        self.db_path = resolve_db_path(db)
        self.read_only = read_only
        if busy_timeout_s is None:
            busy_timeout_s = _env_float(BUSY_TIMEOUT_ENV, 5.0)
        self.busy_timeout_s = busy_timeout_s
        if lost_after_s is None:
            lost_after_s = _env_float(LOST_AFTER_ENV, DEFAULT_LOST_AFTER_S)
        self.lost_after_s = lost_after_s
        """Heartbeat age (s) after which `reap_lost` marks a running run lost; ≤ 0: never."""
        self._store: Any = None
        self._reader: Any = None
        self._store_lock = threading.Lock()
        self._reader_lock = threading.Lock()

    @property
    def store(self) -> Any:
        """The open `synvita.store.Store` (created and migrated on first use unless read-only).

        Opened at most once even when several threads ask at the same time (double-checked under a lock)."""
        store = self._store
        if store is not None:
            return store
        with self._store_lock:
            if self._store is None:
                from synvita.store import Store

                read_only = self.read_only or _readable_only(self.db_path)  # e.g. a colleague's database: browse it
                self._store = Store.open(self.db_path, read_only=read_only, busy_timeout_s=self.busy_timeout_s)
            return self._store

    @property
    def reader(self) -> Any:
        """A `synvita.store.RunReader` on the database: what the commands that only read use, so that they do not
        import SQLAlchemy. The database must exist (callers check `_exists()`).

        A database whose schema is not the latest first goes through the store (which upgrades it, or raises the
        StoreError that says why it cannot); opened at most once, as `store`."""
        reader = self._reader
        if reader is not None:
            return reader
        from synvita.store.reader import RunReader

        with self._reader_lock:
            if self._reader is None:
                read_only = self.read_only or _readable_only(self.db_path)
                reader = RunReader.open(self.db_path, read_only=read_only, busy_timeout_s=self.busy_timeout_s)
                if reader is None:
                    _ = self.store  # upgrades an older schema, or raises why this database cannot be used
                    reader = RunReader.open(self.db_path, read_only=read_only, busy_timeout_s=self.busy_timeout_s)
                    if reader is None:
                        raise StoreError(f"cannot read the database {self.db_path}", hint="see `synvita doctor`")
                self._reader = reader
            return self._reader

    def filesystem_note(self) -> str | None:
        """One line when the database is on a network filesystem (the journal mode the store uses there), else
        None. The mount table is read once per folder per process."""
        from synvita.store.filesystems import network_note

        return network_note(self.db_path)

    def check_readable(self) -> None:
        """Open the database as a read would, when it exists: a file that is not a synvita database, is corrupt or
        is newer than this build is refused now with its one-line StoreError (a front end calls this before it
        starts, rather than meet the error on every poll). A missing database is fine: it is created on first
        write."""
        if self._exists():
            _ = self.reader

    def close(self) -> None:
        with self._reader_lock:
            reader, self._reader = self._reader, None
        with self._store_lock:
            store, self._store = self._store, None
        if reader is not None:
            reader.close()
        if store is not None:
            store.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _exists(self) -> bool:
        return self._store is not None or self.db_path.exists()

    def upgrade_db(self) -> tuple[int, int]:
        """Create the database or apply its pending schema migrations; returns (version before, version after)."""
        before = _schema_version_of(self.db_path)
        self.close()
        self.read_only = False
        return before, self.store.schema_version()


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise UserInputError(f"${name}={value!r} is not a number of seconds") from None


def _readable_only(path: Path) -> bool:
    """True for an existing database we may read but not write (the store then opens it read-only)."""
    return path.exists() and os.access(path, os.R_OK) and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def _schema_version_of(path: Path) -> int:
    """Schema version recorded in a database file without opening it through the store (0: none yet)."""
    if not path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return int(row[0] or 0)
