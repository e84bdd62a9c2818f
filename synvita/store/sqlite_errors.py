"""What SQLite's operational errors mean for a synvita user: one-line `StoreError`s with a hint.

Shared by the store's session (errors raised through SQLAlchemy) and the `RunReader` (plain `sqlite3`), so a locked,
read-only, missing, outdated, corrupt or full database reads the same whichever path met it. An I/O error names
SQLite's extended code (SQLITE_IOERR_SHORT_READ, SQLITE_IOERR_FSYNC, ...), which says what failed: only a failed
write can mean a full disk or quota.
"""

from __future__ import annotations

from pathlib import Path

from synvita.errors import StoreError
from synvita.store.dbfile import corrupt_database


WRITE_IO_ERRORS = frozenset({"SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_DIR_FSYNC", "SQLITE_IOERR_TRUNCATE"})
"""The I/O errors of writing a file, which a full disk or quota can cause (SQLite reports ENOSPC itself as
SQLITE_FULL, "database or disk is full", but a quota's EDQUOT as SQLITE_IOERR_WRITE)."""


class DatabaseLocked(StoreError):
    """Another writer held the write lock for longer than the busy timeout. Nothing was written: the transaction
    never began, so the same call can simply be made again (the worker does, with backoff)."""


def sqlite_error_name(exc: BaseException) -> str | None:
    """SQLite's extended result code name of a `sqlite3` error (e.g. SQLITE_IOERR_SHORT_READ); None when unknown."""
    return getattr(exc, "sqlite_errorname", None)


def store_error(path: Path, message: str, *, busy_timeout_s: float, code_name: str | None = None) -> StoreError | None:
    """The StoreError for SQLite's error `message` (extended result code `code_name`, see `sqlite_error_name`) on
    the database at `path`; None when it has no special meaning (the caller re-raises the original)."""
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
    if "disk" in low and "full" in low:
        return StoreError(f"database {path}: {message}", hint="free disk space or move the database")
    if "disk i/o" in low:
        return io_error(path, message, code_name)
    return None


def io_error(path: Path, message: str, code_name: str | None) -> StoreError:
    """SQLite's I/O error (SQLITE_IOERR and its extended codes) on the database at `path`."""
    named = f"{message} ({code_name})" if code_name else message
    if code_name in WRITE_IO_ERRORS:
        hint = "check the free space, quota and health of the disk that holds it, or move the database"
    else:
        hint = "run the command again; if it fails again, `synvita doctor` checks the database's disk and filesystem"
    return StoreError(f"database {path}: {named}", hint=hint)


def upgrade_command(path: Path) -> str:
    return f"synvita --db {path} db upgrade"
