"""Which database files this process has open through SQLite, so that nothing else in it opens and closes them.

SQLite guards a database with POSIX advisory locks, and POSIX releases every lock a process holds on a file as soon
as the process closes *any* descriptor of that file, even one SQLite never saw ("How To Corrupt An SQLite Database
File", §2.2). A plain `open()`/`close()` of a database this process already uses would strip its WAL connections
of their shared lock: the next other process to close its last connection then takes itself for the only user,
checkpoints, and deletes the -wal and -shm files under this process, whose later connections miss the writes of
the others or fail with SQLITE_IOERR_SHORT_READ ("disk I/O error"). A `Session` and a `RunReader` hold their file
here while they have connections on it; `dbfile.check_database_file` reads the header only of a file nobody in
this process holds. Standard library only.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

FileId = tuple[int, int]
"""(st_dev, st_ino): one file, whichever path names it."""

_holders: dict[FileId, int] = {}
"""How many holders of this process have SQLite connections on each file."""
_holders_pid = os.getpid()
_holders_lock = threading.Lock()


def file_id(path: Path) -> FileId | None:
    """The file at `path`, None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def hold(path: Path) -> FileId | None:
    """Count one more holder of the file at `path` (None when it does not exist); give the result to `release`."""
    held = file_id(path)
    if held is not None:
        with _holders_lock:
            _forget_parent_holders()
            _holders[held] = _holders.get(held, 0) + 1
    return held


def release(held: FileId | None) -> None:
    """Count one holder less of a file `hold` returned."""
    if held is None:
        return
    with _holders_lock:
        _forget_parent_holders()
        remaining = _holders.pop(held, 0) - 1
        if remaining > 0:
            _holders[held] = remaining


def held_here(path: Path) -> bool:
    """Whether this process has SQLite connections on the file at `path`."""
    held = file_id(path)
    with _holders_lock:
        _forget_parent_holders()
        return held in _holders


def _forget_parent_holders() -> None:
    """A forked child holds no lock of its parent's (POSIX locks are not inherited): it starts with no holders."""
    global _holders_pid
    if os.getpid() != _holders_pid:
        _holders.clear()
        _holders_pid = os.getpid()
