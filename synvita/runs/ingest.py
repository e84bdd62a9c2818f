"""Ingest a run directory's events.jsonl into the store, idempotently (by seq, from the run's cursor).

Used by the worker for local runs and by the host-side process that watches Slurm jobs: the job only appends
to its run directory; this is the single place that reads it into the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import json
import time

from synvita.events import EVENTS_FILE
from synvita.store import Store


def read_event_lines(run_dir: str | Path, start: int = 0):
    """Like `synvita.events.read_events`, but a complete line that is not valid JSON (a job killed mid-write,
    then resumed) becomes an error log event instead of stopping ingestion."""
    path = Path(run_dir) / EVENTS_FILE
    if not path.exists():
        return
    with open(path) as fh:
        for i, line in enumerate(fh):
            if i < start:
                continue
            if not line.endswith("\n"):
                return
            try:
                ev = json.loads(line)
                if not isinstance(ev, dict) or "kind" not in ev:
                    raise ValueError("not an event object")
                ev["seq"] = i
            except ValueError:
                ev = {"seq": i, "ts": time.time(), "kind": "log", "level": "error",
                      "msg": f"unreadable event line {i} in {EVENTS_FILE}: {line[:200]!r}"}
            yield ev


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
    for ev in read_event_lines(run_dir, start):
        chunk.append(ev)
        if len(chunk) >= batch:
            store.ingest_events(run_id, chunk)
            new.extend(chunk)
            chunk = []
    if chunk:
        store.ingest_events(run_id, chunk)
        new.extend(chunk)
    return new
