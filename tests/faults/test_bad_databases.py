"""A `--db` that is not a usable synvita database (random bytes, an empty file, another program's SQLite database, a
corrupt one, one from a newer synvita) is refused by every command with one line and exit 4, without a traceback,
and a command that only reads leaves the file byte for byte as it was. The TUI refuses it the same way before its
screen opens (it neither spins nor shows an empty list)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys

import pytest
from faults_helpers import assert_one_line_error, synvita_cli

from synvita.errors import StoreError
from synvita.store import Store

READ_COMMANDS = (("runs", "ls"), ("runs", "ls", "--json"), ("runs", "show", "r-000000"), ("table",),
                 ("tui", "--read-only"))


def random_file(path):
    path.write_bytes(os.urandom(1 << 20))


def empty_file(path):
    path.write_bytes(b"")


def foreign_sqlite(path):
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.close()


def corrupt_synvita(path):
    Store.open(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xab" * (4096 - 100)  # page 1 after the header: the schema table
    path.write_bytes(bytes(data))


def newer_synvita(path):
    Store.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'm099_from_the_future', 0)")
    conn.close()


BAD_FILES = {
    "random": (random_file, "is not a synvita database: it is not an SQLite file"),
    "empty": (empty_file, "is empty, not a synvita database yet"),
    "foreign": (foreign_sqlite, "is not a synvita database (an SQLite database with other tables"),
    "corrupt": (corrupt_synvita, "is corrupt (SQLite: "),
    "newer": (newer_synvita, "has schema version 99, newer than this synvita understands"),
}


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_runs_ls_on_a_random_1_mib_file_is_one_line_and_leaves_it_unchanged(tmp_path):
    db = tmp_path / "random.db"
    random_file(db)
    before = sha256(db)
    result = synvita_cli("--db", db, "runs", "ls", timeout=30)
    assert_one_line_error(result, StoreError.exit_code, str(db), "not an SQLite file")
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert sha256(db) == before


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_every_read_command_refuses_a_bad_database_with_one_line_and_writes_nothing(tmp_path, kind):
    make, words = BAD_FILES[kind]
    db = tmp_path / f"{kind}.db"
    make(db)
    before = sha256(db)
    for command in READ_COMMANDS:
        result = synvita_cli("--db", db, *command, timeout=30)
        assert_one_line_error(result, StoreError.exit_code, words)
        assert "Traceback" not in result.stderr, (command, result.stderr)
        assert sha256(db) == before, command
    if kind in ("random", "empty", "foreign"):  # (a synvita file in WAL mode gets SQLite's -wal and -shm files)
        assert sorted(p.name for p in tmp_path.iterdir()) == [db.name]


@pytest.mark.parametrize("kind", ["random", "foreign", "corrupt", "newer"])
def test_writing_commands_refuse_a_bad_database_too(tmp_path, kind):
    make, words = BAD_FILES[kind]
    db = tmp_path / f"{kind}.db"
    make(db)
    before = sha256(db)
    for command in (("db", "upgrade"), ("worker", "--until-idle"), ("runs", "cancel", "r-000000")):
        assert_one_line_error(synvita_cli("--db", db, *command, timeout=30), StoreError.exit_code, words)
    assert sha256(db) == before


def test_an_empty_file_becomes_a_database_only_by_a_writer(tmp_path):
    db = tmp_path / "empty.db"
    empty_file(db)
    with pytest.raises(StoreError, match="is empty"):
        Store.open(db, create=False)
    with pytest.raises(StoreError, match="is empty"):
        Store.open(db, read_only=True)
    assert db.stat().st_size == 0
    result = synvita_cli("--db", db, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert synvita_cli("--db", db, "runs", "ls").returncode == 0


def test_the_tui_exits_with_the_line_instead_of_opening(tmp_path):
    """`python -m tui` (the app without the CLI) on a bad file: the same line and exit code, in a subprocess that
    would hang (or spin) if the app started."""
    db = tmp_path / "random.db"
    random_file(db)
    before = sha256(db)
    result = subprocess.run([sys.executable, "-m", "tui", "--db", str(db), "--read-only"], capture_output=True,
                            text=True, timeout=30, env={**os.environ, "NO_COLOR": "1"}, check=False)
    assert_one_line_error(result, StoreError.exit_code, "not an SQLite file")
    assert sha256(db) == before
