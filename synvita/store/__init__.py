"""synvita.store: the SQLite run store (SQLModel tables inside, plain `synvita.entities` outside). Torch-free."""

from synvita.paths import resolve_db_path, run_dir_for, runs_root
from synvita.store.event_rows import (
    ArtifactEvent,
    EventsPosition,
    MetricEvent,
    ProgressEvent,
    ResultEvent,
    SampleWeightLine,
    StageEvent,
    WeightsEvent,
)
from synvita.store.migrations import LATEST_VERSION, MIGRATIONS
from synvita.store.sqlite_store import NewRun, Store, new_submission_id

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "ArtifactEvent",
    "EventsPosition",
    "MetricEvent",
    "NewRun",
    "ProgressEvent",
    "ResultEvent",
    "SampleWeightLine",
    "StageEvent",
    "Store",
    "WeightsEvent",
    "new_submission_id",
    "resolve_db_path",
    "run_dir_for",
    "runs_root",
]
