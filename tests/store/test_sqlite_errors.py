"""SQLite's I/O errors read as what they are: the extended code named, a full disk blamed only when a write failed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synvita.errors import StoreError
from synvita.store import NewRun, RunReader, Store
from synvita.store.sqlite_errors import store_error

DB = Path("/data/synvita.db")


def test_a_read_io_error_names_its_code_and_does_not_blame_the_disk_space():
    error = store_error(DB, "disk I/O error", busy_timeout_s=5, code_name="SQLITE_IOERR_SHORT_READ")
    assert error.what == f"database {DB}: disk I/O error (SQLITE_IOERR_SHORT_READ)"
    assert "space" not in error.hint and "synvita doctor" in error.hint


def test_a_write_io_error_may_be_a_quota():
    error = store_error(DB, "disk I/O error", busy_timeout_s=5, code_name="SQLITE_IOERR_WRITE")
    assert "(SQLITE_IOERR_WRITE)" in error.what and "quota" in error.hint


def test_an_io_error_without_a_code_name_keeps_sqlites_words():
    error = store_error(DB, "disk I/O error", busy_timeout_s=5)
    assert error.what == f"database {DB}: disk I/O error" and "space" not in error.hint


def test_a_full_disk_asks_for_space():
    error = store_error(DB, "database or disk is full", busy_timeout_s=5, code_name="SQLITE_FULL")
    assert error.what == f"database {DB}: database or disk is full" and error.hint == "free disk space or move the database"


def test_a_reader_meeting_an_io_error_says_so(db_path):
    """SQLite rolls the read transaction back itself on an I/O error: the reader reports that error (not a failed
    COMMIT after it). The error is provoked as the fault that found it: a plain open()/close() of the file drops
    this process's locks, another process's close then deletes the WAL under it."""
    with Store.open(db_path) as store:
        store.create_runs([NewRun(experiment="exp", submission="s-1", stage="debug.noop", seed=0)])
        open(db_path, "rb").close()
        code = f"import sqlite3; c = sqlite3.connect({str(db_path)!r}); c.execute('SELECT count(*) FROM runs'); c.close()"
        subprocess.run([sys.executable, "-c", code], check=True)
        store.create_runs([NewRun(experiment="exp", submission="s-1", stage="debug.noop", seed=1)])
        reader = RunReader(db_path, read_only=False, busy_timeout_s=5)  # a new connection, without the header check
        try:
            with pytest.raises(StoreError) as raised:
                reader.list_runs()
        finally:
            reader.close()
    assert "disk I/O error" in raised.value.what and "space" not in raised.value.hint
    if sys.version_info >= (3, 11):  # sqlite3 errors carry their extended code name
        assert "(SQLITE_IOERR_SHORT_READ)" in raised.value.what
