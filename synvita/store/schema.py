"""The schema version of a database: check it on opening, apply pending migrations, report the version; and its
journal mode, WAL or (on a network filesystem) DELETE.

The migrations themselves are in `migrations.py`; this module records which ran (`schema_migrations`) and
refuses a database written by a newer or different synvita build.
"""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy import Connection

from synvita.errors import StoreError
from synvita.store.dbfile import check_migrations, empty_database, foreign_database
from synvita.store.filesystems import journal_mode_for
from synvita.store.migrations import LATEST_VERSION, MIGRATIONS, SCHEMA_TABLE_SQL
from synvita.store.session import Session


class Schema(Session):
    """Schema check, upgrade and version."""

    def _applied_migrations(self, conn: Connection) -> list[tuple[int, str]] | None:
        """(version, name) rows, or None when the database has no schema_migrations table."""
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).first()
        if not has_table:
            return None
        return [(int(v), n) for v, n in conn.exec_driver_sql("SELECT version, name FROM schema_migrations ORDER BY version")]

    def _verify_known(self, applied: list[tuple[int, str]]) -> None:
        check_migrations(self.path, applied)

    def _check_schema(self, *, upgrade: bool, initialize: bool = True) -> None:
        """Accept the latest schema; migrate an older one when `upgrade`, else StoreError naming `db upgrade`. A
        database without synvita's tables is made one only when `initialize` (a writer's open), and only when it
        has no tables of its own."""
        with self._connect() as conn:
            with conn.begin():
                applied = self._applied_migrations(conn)
                n_tables = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type = 'table'").scalar()
        if applied is None and n_tables:
            raise foreign_database(self.path)
        if applied is None and not initialize:
            raise empty_database(self.path)
        applied = applied or []
        self._verify_known(applied)
        if len(applied) == LATEST_VERSION:
            if not self.read_only:
                with self._translate_errors():
                    self._settle_journal_mode()
            return
        if not upgrade:
            raise StoreError(
                f"database {self.path} has schema version {len(applied)}; this synvita needs {LATEST_VERSION}",
                hint=f"run `{self._upgrade_cmd()}`",
            )
        self.upgrade()

    def _settle_journal_mode(self) -> None:
        """Put the database in the journal mode that is safe on its filesystem: WAL on a local disk, DELETE on a
        network filesystem (`synvita.store.filesystems`). Only a writable open calls this, after the schema check
        (a file that is not a synvita database is never changed), on a connection of its own outside any
        transaction. Leaving WAL needs the only connection: a switch another process blocks is tried again on
        the next open."""
        target = journal_mode_for(self.path)
        self._engine.dispose()  # an idle pooled connection in WAL mode would block leaving it
        raw = self._engine.raw_connection()
        try:
            cur = raw.cursor()
            if cur.execute("PRAGMA journal_mode").fetchone()[0] != target:
                try:
                    cur.execute(f"PRAGMA journal_mode = {target.upper()}")
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc).lower():
                        raise
            cur.close()
        finally:
            raw.close()

    def schema_version(self) -> int:
        with self._connect() as conn, conn.begin():
            applied = self._applied_migrations(conn) or []
        return max((v for v, _ in applied), default=0)

    def upgrade(self) -> list[str]:
        """Apply pending migrations (each in its own BEGIN IMMEDIATE transaction); returns the names applied."""
        self._require_writable()
        done: list[str] = []
        with self._translate_errors():
            self._settle_journal_mode()
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
