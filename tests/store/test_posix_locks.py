"""A second store or reader opened on a database this process already uses keeps SQLite's locks on it.

SQLite holds POSIX advisory locks on the database file, and POSIX drops every lock a process holds on a file when
that process closes *any* descriptor of it. A plain `open()`/`close()` of the file (the header check before SQLite
opens it) would leave this process's WAL connections unprotected: the next process that closes its own last
connection then believes it is the only user, checkpoints, deletes the -wal and -shm files under this process,
and a connection this process opens afterwards pairs the old WAL index with a new, empty WAL file and fails with
SQLITE_IOERR_SHORT_READ ("disk I/O error"). `synvita run` does exactly this: its worker opens a store of its own,
and the table at the end opens a reader, while another shell runs `synvita runs ls`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synvita.store import NewRun, RunReader, Store


def _another_process_reads(db: Path) -> int:
    """Open, read and close the database in another process (as `synvita runs ls` in another shell): the runs it
    sees."""
    code = f"import sqlite3; c = sqlite3.connect({str(db)!r}); print(c.execute('SELECT count(*) FROM runs').fetchone()[0]); c.close()"
    return int(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def _runs(n: int, seed: int) -> list[NewRun]:
    return [NewRun(experiment="exp", submission="s-1", stage="debug.noop", seed=seed + i) for i in range(n)]


@pytest.mark.parametrize("second", ["store", "reader"])
def test_a_second_open_keeps_the_wal_of_this_process(db_path, second):
    with Store.open(db_path) as first:
        first.create_runs(_runs(3, 0))
        opened = Store.open(db_path) if second == "store" else RunReader.open(db_path)
        assert opened is not None
        assert _another_process_reads(db_path) == 3
        first.create_runs(_runs(3, 3))  # written while the other process's close may have taken the WAL away
        assert _another_process_reads(db_path) == 6
        reader = RunReader.open(db_path)  # a connection opened now, as `synvita run` opens one for its table
        assert reader is not None
        assert len(reader.list_runs()) == 6
        reader.close()
        opened.close()
