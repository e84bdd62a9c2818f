"""Whether a file can be a synvita database, asked before and while SQLite opens it.

A path a user passes with `--db` may name anything: random bytes, an empty file, another program's SQLite
database, a corrupt one, or one written by a newer synvita. Each is refused with one `StoreError` line that says
what the file is and what to do, before anything is written to it: a read never turns a file into a database, and
only a writer (`synvita run`, `synvita worker`, `synvita db upgrade`) initializes an empty one. Standard library
only: the `RunReader` (no SQLAlchemy) and the `Store` share these checks.
"""

from __future__ import annotations

from pathlib import Path

from synvita.errors import StoreError
from synvita.store.held_files import held_here
from synvita.store.migrations import LATEST_VERSION, MIGRATIONS

SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""

OTHER_DATABASE_HINT = "pass --db or set SYNVITA_DB to a synvita database, or to a new file"


def check_database_file(path: Path, *, may_initialize: bool) -> None:
    """Raise StoreError when the existing file at `path` is not an SQLite database, or is empty and
    `may_initialize` is false (a reader found it); nothing is written.

    A file this process already has open through SQLite is not read: SQLite has read its header, and closing a
    descriptor of it here would release SQLite's locks on it (`synvita.store.held_files`)."""
    if held_here(path):
        return
    try:
        with open(path, "rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(
            f"cannot read the database {path} ({exc.strerror or exc})",
            hint="check the file's permissions, or pass --db / set SYNVITA_DB to another database",
        ) from None
    if not header:
        if may_initialize:
            return
        raise empty_database(path)
    if header != SQLITE_HEADER:
        raise StoreError(f"{path} is not a synvita database: it is not an SQLite file", hint=OTHER_DATABASE_HINT)


def empty_database(path: Path) -> StoreError:
    """A file (empty, or an SQLite database without tables) that a reader found: it holds no synvita runs yet."""
    return StoreError(
        f"{path} is empty, not a synvita database yet",
        hint=f"run `synvita --db {path} db upgrade` to make it one, or {OTHER_DATABASE_HINT}",
    )


def foreign_database(path: Path) -> StoreError:
    """An SQLite database with tables of its own but no `schema_migrations`: another program's."""
    return StoreError(
        f"{path} is not a synvita database (an SQLite database with other tables and no schema_migrations)",
        hint=OTHER_DATABASE_HINT,
    )


def corrupt_database(path: Path, message: str) -> StoreError:
    """SQLite found the file damaged (`message`: its words, e.g. "database disk image is malformed")."""
    return StoreError(
        f"database {path} is corrupt (SQLite: {message})",
        hint=f"restore it from a backup, or recover what SQLite can read with `sqlite3 {path} .recover`",
    )


def check_migrations(path: Path, applied: list[tuple[int, str]]) -> None:
    """Raise StoreError when the applied migrations (version, name) are not a prefix of this build's: a newer
    schema, or one written by a different build."""
    for version, name in applied:
        if version > LATEST_VERSION:
            raise StoreError(
                f"database {path} has schema version {max(v for v, _ in applied)}, newer than this synvita "
                f"understands (up to {LATEST_VERSION})",
                hint="upgrade synvita (`pip install -U synvita`) or use another --db",
            )
        if version < 1 or MIGRATIONS[version - 1].__name__ != name:
            raise StoreError(
                f"database {path} has an unknown schema migration {version} {name!r}",
                hint="it was written by a different synvita build; use that build or another --db",
            )
