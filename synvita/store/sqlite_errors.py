"""What SQLite's operational errors mean for a synvita user: one-line `StoreError`s with a hint.

Shared by the store's session (errors raised through SQLAlchemy) and the `RunReader` (plain `sqlite3`), so a locked,
read-only, missing, outdated, corrupt or full database reads the same whichever path met it.
"""

from __future__ import annotations

from pathlib import Path

from synvita.errors import StoreError
from synvita.store.dbfile import corrupt_database


class DatabaseLocked(StoreError):
    """Another writer held the write lock for longer than the busy timeout. Nothing was written: the transaction
    never began, so the same call can simply be made again (the worker does, with backoff)."""


def store_error(path: Path, message: str, *, busy_timeout_s: float) -> StoreError | None:
    """The StoreError for SQLite's error `message` on the database at `path`; None when it has no special meaning
    (the caller re-raises the original)."""
    low = message.lower()
    if "locked" in low or "busy" in low:
        return DatabaseLocked(
            f"database {path} is locked by another writer for more than {busy_timeout_s:g}s",
            hint="wait for the other synvita process to finish, or raise the timeout (SYNVITA_BUSY_TIMEOUT)",
        )
    if "readonly" in low or "read-only" in low:
        return StoreError(
            f"database {path} cannot be written ({message})",
            hint="check the file's permissions, or pass --db / set SYNVITA_DB to a writable location",
        )
    if "unable to open" in low:
        return StoreError(
            f"cannot open database {path}",
            hint="check that the path exists and is writable, or pass --db / set SYNVITA_DB",
        )
    if "no such table" in low or "no such column" in low:
        return StoreError(
            f"database {path} has an unexpected schema ({message})", hint=f"run `{upgrade_command(path)}`"
        )
    if "malformed" in low or "not a database" in low:
        return corrupt_database(path, message)
    if "disk" in low and ("full" in low or "i/o" in low):
        return StoreError(f"database {path}: {message}", hint="free disk space or move the database")
    return None


def upgrade_command(path: Path) -> str:
    return f"synvita --db {path} db upgrade"
