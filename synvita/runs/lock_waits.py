"""The worker's hold on the store: a database locked by another writer is waited out, never a reason to stop.

A write lock held past the busy timeout (another process's long transaction, a slow NFS flush) makes a store call
raise `DatabaseLocked` before it has written anything. A worker that let that error end it would cancel every run
it executes; `PatientStore` instead makes the same call again after a pause that doubles up to `max_pause_s`,
until the lock is gone, so runs go on and their heartbeats land as soon as the database is writable again. The
store's reaper knows about such waits too (`Store.reap_lost`), so the other workers' runs are not marked lost for
heartbeats the lock held up.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from synvita.store import Store
from synvita.store.sqlite_errors import DatabaseLocked

log = logging.getLogger(__name__)

FIRST_PAUSE_S = 0.05
"""The pause before the first retry of a call that met a locked database."""


class PatientStore:
    """A `Store` whose methods retry with backoff while the database is locked (every other error passes).

    `stop`: once set, a locked call raises instead of waiting again, so a worker asked to stop is not held by a
    lock that never goes away."""

    def __init__(self, store: Store, *, max_pause_s: float, stop: threading.Event) -> None:
        self.store = store
        self.max_pause_s = max_pause_s
        self._stop = stop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.store, name)
        if not callable(value):
            return value
        return lambda *args, **kwargs: self.call(value, *args, **kwargs)

    def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        pause = FIRST_PAUSE_S
        warned = False
        while True:
            try:
                return method(*args, **kwargs)
            except DatabaseLocked as exc:
                if self._stop.is_set():
                    raise
                if not warned:
                    log.warning("%s; waiting for it (retrying %s)", exc.what, getattr(method, "__name__", method))
                    warned = True
                self._stop.wait(pause)
                pause = min(2 * pause, self.max_pause_s)
