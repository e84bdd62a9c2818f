"""synvita.store: the SQLite run store (SQLModel tables inside, plain `synvita.entities` outside). Torch-free.

`Store` reads and writes through SQLAlchemy; `RunReader` answers the read-only commands (listings, a run's
details, tables) with the standard library's `sqlite3`. The names below load on first use, so that importing the
reader does not import SQLAlchemy and SQLModel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synvita.lazy import lazy_getattr

if TYPE_CHECKING:
    from synvita.paths import resolve_db_path, run_dir_for, runs_root
    from synvita.store.event_rows import (
        ArtifactEvent,
        EventsPosition,
        MetricEvent,
        MetricPoint,
        ProgressEvent,
        ResultEvent,
        SampleWeightLine,
        StageEvent,
        WeightsEvent,
    )
    from synvita.store.migrations import LATEST_VERSION, MIGRATIONS
    from synvita.store.reader import RunReader
    from synvita.store.sqlite_store import NewRun, Store, new_submission_id

_HOMES = {
    "synvita.paths": ("resolve_db_path", "run_dir_for", "runs_root"),
    "synvita.store.event_rows": (
        "ArtifactEvent", "EventsPosition", "MetricEvent", "MetricPoint", "ProgressEvent", "ResultEvent",
        "SampleWeightLine", "StageEvent", "WeightsEvent",
    ),
    "synvita.store.migrations": ("LATEST_VERSION", "MIGRATIONS"),
    "synvita.store.reader": ("RunReader",),
    "synvita.store.sqlite_store": ("NewRun", "Store", "new_submission_id"),
}

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "ArtifactEvent",
    "EventsPosition",
    "MetricEvent",
    "MetricPoint",
    "NewRun",
    "ProgressEvent",
    "ResultEvent",
    "RunReader",
    "SampleWeightLine",
    "StageEvent",
    "Store",
    "WeightsEvent",
    "new_submission_id",
    "resolve_db_path",
    "run_dir_for",
    "runs_root",
]

__getattr__ = lazy_getattr(__name__, _HOMES, globals())
"""A name above, or a submodule, loaded on first use."""
