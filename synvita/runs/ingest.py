"""Ingest a run directory's events.jsonl into the store, idempotently (by seq, from the run's cursor).

Used by the worker for local runs and by the host-side process that watches Slurm jobs: the job only appends
to its run directory; this is the single place that reads it into the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synvita.events import EVENTS_FILE, read_events
from synvita.store import Store


def terminate_partial_line(run_dir: str | Path) -> None:
    """Before a new attempt appends events: end a line left incomplete by a killed job."""
    path = Path(run_dir) / EVENTS_FILE
    if path.exists() and path.stat().st_size:
        with open(path, "rb+") as fh:
            fh.seek(-1, 2)
            if fh.read(1) != b"\n":
                fh.write(b"\n")


def ingest_run_dir(store: Store, run_id: str, run_dir: str | Path | None = None, *, batch: int = 5000) -> list[dict[str, Any]]:
    """Read complete events after the run's cursor and record them; returns the newly ingested events."""
    if run_dir is None:
        run_dir = store.get_run(run_id).run_dir
    start = store.events_cursor(run_id)
    new: list[dict[str, Any]] = []
    chunk: list[dict[str, Any]] = []
    for ev in read_events(run_dir, start):
        chunk.append(ev)
        if len(chunk) >= batch:
            store.ingest_events(run_id, chunk)
            new.extend(chunk)
            chunk = []
    if chunk:
        store.ingest_events(run_id, chunk)
        new.extend(chunk)
    return new
