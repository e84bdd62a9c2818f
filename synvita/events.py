"""Run events: what a stage reports, as JSON lines appended to `<run_dir>/events.jsonl`.

Stages never touch the database (they may run on a compute node where SQLite over NFS is unsafe); the worker
on the host follows this file by byte offset and ingests each line exactly once (by line number). Every line is one
JSON object with `seq` (0-based line number), `ts` (unix seconds) and `kind`, one of:

    log       {"level": "info"|"warning"|"error", "msg": str}
    progress  {"done": int, "total": int, "msg": str}
    metric    {"name": str, "value": float, "step": int}          # loss_real, loss_synth, loss_scr, lr, ...
    weights   {"path": str}                                       # run-dir-relative JSONL of per-sample weights,
                                                                  # one {sample_id, generator, misalignment,
                                                                  #  f_target, f_other, weight, faithful} per line
    result    {"benchmark": str, "metric": str, "value": float,   # value as reported (x100 like the paper)
               "subset": str | None, "control": str | None}       # subset e.g. "type=flip"; control e.g. "shuffled"
    artifact  {"name": str, "path": str}                          # run-dir-relative path
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Iterator

EVENTS_FILE = "events.jsonl"
KINDS = ("log", "progress", "metric", "weights", "result", "artifact")
LOG_KINDS = tuple(kind for kind in KINDS if kind != "metric")
"""What a log view shows: every kind but metrics, which are drawn as curves (a training run logs far more of them)."""


class EventWriter:
    """Appends events to a run directory's events.jsonl; each line is flushed and fsynced-on-close.

    `shared`: several processes write the same file (the shards of a generate run): each line is written under an
    exclusive lock, after counting the lines the others appended, so `seq` stays the line number."""

    def __init__(self, run_dir: str | Path, *, shared: bool = False) -> None:
        self.path = Path(run_dir) / EVENTS_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._seq = sum(1 for _ in open(self.path)) if self.path.exists() else 0
        self._fh = open(self.path, "a", buffering=1)
        self._shared = shared
        self._known_size = self.path.stat().st_size

    def emit(self, kind: str, **fields: Any) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}; one of {KINDS}")
        if not self._shared:
            self._fh.write(json.dumps({"seq": self._seq, "ts": time.time(), "kind": kind, **fields}, allow_nan=True) + "\n")
            self._seq += 1
            return
        import fcntl

        fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX)
        try:
            with open(self.path, "rb") as fh:  # lines the other writers appended since this one's last line
                fh.seek(self._known_size)
                self._seq += fh.read().count(b"\n")
            self._fh.write(json.dumps({"seq": self._seq, "ts": time.time(), "kind": kind, **fields}, allow_nan=True) + "\n")
            self._fh.flush()
            self._seq += 1
            self._known_size = self.path.stat().st_size
        finally:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)

    def log(self, msg: str, level: str = "info") -> None:
        self.emit("log", level=level, msg=msg)

    def progress(self, done: int, total: int, msg: str = "") -> None:
        self.emit("progress", done=int(done), total=int(total), msg=msg)

    def metric(self, name: str, value: float, step: int) -> None:
        self.emit("metric", name=name, value=float(value), step=int(step))

    def weights(self, path: str) -> None:
        self.emit("weights", path=path)

    def result(
        self, benchmark: str, metric: str, value: float, subset: str | None = None, control: str | None = None
    ) -> None:
        self.emit("result", benchmark=benchmark, metric=metric, value=float(value), subset=subset, control=control)

    def artifact(self, name: str, path: str) -> None:
        self.emit("artifact", name=name, path=path)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()

    def __enter__(self) -> "EventWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


READ_CHUNK_BYTES = 8 << 20
"""Bytes of events.jsonl read at a time (a backlog of millions of lines is read in pieces of this size)."""


def read_new_events(
    path: str | Path, offset: int = 0, first_seq: int = 0, max_bytes: int | None = READ_CHUNK_BYTES
) -> tuple[list[dict[str, Any]], int]:
    """The complete event lines from byte `offset` of an events file (`first_seq` is the line number there) →
    (events, byte after the last complete line). Reads only from `offset`: a poll costs what was appended, not
    what the file holds. A partially written last line stays unread until its newline arrives; at most about
    `max_bytes` are read (more only to finish one longer line). A missing file has no events.

    A complete line that is not a valid event (a job killed mid-write, then resumed) becomes an error `log` event
    naming the line instead of stopping the reader, so ingestion always goes on.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return [], offset
    try:  # pread on a bare descriptor: a poll of a few lines pays no buffered file object
        available = os.fstat(fd).st_size - offset
        data = os.pread(fd, max(0, min(available, max_bytes) if max_bytes else available), offset)  # allocates n first
        end = data.rfind(b"\n") + 1
        while not end and max_bytes and len(data) >= max_bytes:  # one line longer than max_bytes
            more = os.pread(fd, max_bytes, offset + len(data))
            if not more:
                break
            data += more
            end = data.rfind(b"\n") + 1
    finally:
        os.close(fd)
    if not end:
        return [], offset
    text = data[:end].decode("utf-8", errors="replace")
    return _events(text, first_seq), offset + end


def _events(text: str, first_seq: int) -> list[dict[str, Any]]:
    """Newline-terminated lines → events numbered from `first_seq`. The lines are decoded as one JSON array (one
    call instead of one per line); when that fails, line by line, so that only the bad lines become errors."""
    try:
        events = json.loads("[" + text[:-1].replace("\n", ",") + "]")
    except ValueError:
        events = None
    if events is not None and len(events) == text.count("\n"):
        for seq, event in enumerate(events, first_seq):
            if not isinstance(event, dict) or "kind" not in event:
                break
            event["seq"] = seq
        else:
            return events
    lines = text.split("\n")
    lines.pop()  # the empty piece after the last newline
    return [_event(line, seq) for seq, line in enumerate(lines, first_seq)]


def _event(line: str, seq: int) -> dict[str, Any]:
    try:
        event = json.loads(line)
        if not isinstance(event, dict) or "kind" not in event:
            raise ValueError("not an event object")
    except ValueError:
        return {"seq": seq, "ts": time.time(), "kind": "log", "level": "error",
                "msg": f"unreadable event line {seq} in {EVENTS_FILE}: {line[:200]!r}"}
    event["seq"] = seq
    return event


def read_events(run_dir: str | Path, start: int = 0) -> Iterator[dict[str, Any]]:
    """Complete event lines with seq >= start, from the top of the run's events.jsonl (see `read_new_events`)."""
    path = Path(run_dir) / EVENTS_FILE
    offset, seq = 0, 0
    while True:
        events, offset = read_new_events(path, offset, seq)
        if not events:
            return
        seq += len(events)
        yield from (e for e in events if e["seq"] >= start)
