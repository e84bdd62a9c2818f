"""Ingest a run directory's events.jsonl into the store, idempotently (by seq), reading from the byte offset where
the last poll stopped (the run's `EventsPosition`, kept in the store with the cursor).

Used by the worker for local runs and by the host-side process that watches Slurm jobs: the job only appends
to its run directory; this is the single place that reads it. Each line becomes a typed event row
(`synvita.store.event_rows`), a `weights` line together with the weights file it names (which must lie inside the
run directory), and the store records the rows without touching the run directory. Metric lines as `EventWriter`
writes them, most of a training run's lines, skip the typed row: they reach the store as bare tuples
(`synvita.runs.metric_points`).

Each execution of a run appends to an events.jsonl of its own (`start_attempt_events`): a new attempt gets a
new file holding the lines already ingested, so a stage of an earlier attempt that is still running (its worker
stalled) appends to the old file, which nobody ingests, and notices that it was superseded
(`synvita.stages.lifeline`).
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any, Iterable

from synvita.errors import UserInputError
from synvita.events import EVENTS_FILE, read_new_events
from synvita.paths import confine
from synvita.runs.metric_points import INT64_MAX, INT64_MIN, split_metric_points
from synvita.runs.rundir import Fence, unfenced
from synvita.store import (
    ArtifactEvent,
    EventsPosition,
    MetricEvent,
    ProgressEvent,
    ResultEvent,
    SampleWeightLine,
    StageEvent,
    Store,
    WeightsEvent,
)


class _UnreadableWeightsFile(Exception):
    """A `weights` event names a file that cannot be read as per-sample weights."""


def start_attempt_events(
    store: Store, run_id: str, run_dir: str | Path, attempt: int,
    *, while_owned: Fence = unfenced,
) -> bool:
    """Before a new attempt of a run starts: give it an events.jsonl of its own, holding the lines of earlier
    attempts that were ingested (so `seq` continues where the store's cursor is). The previous file stays as
    `events.attempt-<attempt - 1>.jsonl` (where the file system has hard links): a stage of an earlier attempt
    that still runs keeps appending there, never to the new attempt's file.

    The ingested lines are copied first; `while_owned(swap)` puts the copy in place only while the
    caller still owns the run (`Store.while_owned`), so a worker that stalled while another took the run over never
    swaps out the file of the attempt that now runs (a swap ends the stage writing the old file). Returns whether
    the new file is in place."""
    path = Path(run_dir) / EVENTS_FILE
    if not path.exists():
        return True
    ingested = _ingested_bytes(path, store.events_position(run_id), store.events_cursor(run_id))
    fresh = path.with_name(f"{EVENTS_FILE}.attempt-{attempt}.new")  # one per attempt: two workers never share it
    with open(path, "rb") as old, open(fresh, "wb") as new:
        while ingested > 0:
            chunk = old.read(min(ingested, 1 << 20))
            if not chunk:
                break
            new.write(chunk)
            ingested -= len(chunk)
        new.flush()
        os.fsync(new.fileno())

    def swap() -> None:
        earlier = path.with_name(f"events.attempt-{attempt - 1}.jsonl")
        try:
            earlier.unlink(missing_ok=True)
            os.link(path, earlier)
        except OSError:  # no hard links here: the earlier attempt's lines after the ingested ones are not kept
            pass
        os.replace(fresh, path)  # one step: the path always names a whole events file

    try:
        swapped = while_owned(swap)
    finally:
        fresh.unlink(missing_ok=True)  # left only when the swap did not happen
    return swapped


def _ingested_bytes(path: Path, position: EventsPosition, cursor: int) -> int:
    """Bytes of events.jsonl up to the end of line `cursor - 1` (the last ingested line): the recorded read
    position, moved forward over the lines ingested beyond it (a database written before read positions)."""
    offset, seq = position.offset, position.seq
    if seq >= cursor:
        return offset
    with open(path, "rb") as fh:
        fh.seek(offset)
        for line in fh:
            if not line.endswith(b"\n"):
                break
            offset += len(line)
            seq += 1
            if seq >= cursor:
                break
    return offset


def ingest_run_dir(
    store: Store, run_id: str, run_dir: str | Path | None = None, *, token: str | None = None
) -> list[dict[str, Any]]:
    """Read the complete events appended since the run's read position and record them; returns the newly
    ingested events. One write transaction per poll (per `READ_CHUNK_BYTES` of a long backlog); the file is read
    from the recorded byte offset, so a poll costs what was appended, not how long the run already is.
    `token`: the attempt token of the caller's execution (nothing is recorded once it is not the run's)."""
    if run_dir is None:
        run_dir = store.get_run(run_id).run_dir
    path = os.path.join(run_dir, EVENTS_FILE)  # os.path rather than pathlib: this runs at every poll
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        return []
    position = store.ingest_position(run_id)  # events.jsonl only grows: what lies before it was ingested
    new: list[dict[str, Any]] = []
    while position.offset < size:
        events, end = read_new_events(path, position.offset, position.seq)
        if not events:  # only a partially written line so far
            break
        position = EventsPosition(end, position.seq + len(events))
        points, others = split_metric_points(events)
        rows = parse_events(others, run_dir)
        fresh = store.ingest_events(run_id, rows, points=points, position=position, token=token)
        new.extend(events[len(events) - fresh :] if fresh else ())
    return new


def parse_events(events: Iterable[dict[str, Any]], run_dir: str | Path) -> list[StageEvent]:
    """Event lines (dicts, see `synvita.events`) → typed rows; a `weights` event's file is read from `run_dir`.

    A line whose fields do not fit its kind, or whose weights file is unreadable, becomes an error `log` row that
    keeps the line, so one bad line never stalls ingestion. UserInputError for a line without an integer seq.
    """
    events = list(events)
    for ev in events:
        if not isinstance(ev, dict) or not isinstance(ev.get("seq"), int):
            raise UserInputError(
                f"event without an integer seq in {run_dir}: {str(ev)[:200]}",
                hint="events are the lines of events.jsonl; seq is the 0-based line number",
            )
    now = time.time()
    return [_parse_event(ev, run_dir, now) for ev in events]


def _parse_event(ev: dict[str, Any], run_dir: str | Path, now: float) -> StageEvent:
    seq, kind = int(ev["seq"]), str(ev.get("kind", "log"))
    data = {k: v for k, v in ev.items() if k not in ("seq", "ts", "kind")}
    try:
        ts = float(ev.get("ts", now))
        return _typed_event(seq, ts if math.isfinite(ts) else now, kind, data, run_dir)
    except _UnreadableWeightsFile as exc:
        reason = str(exc)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:  # OverflowError: an int past a float's range
        reason = f"{type(exc).__name__}: {exc}"
    return StageEvent(
        seq=seq, ts=now, kind="log", data={"level": "error", "msg": f"malformed {kind} event: {reason}", "event": data}
    )


def _typed_event(seq: int, ts: float, kind: str, data: dict[str, Any], run_dir: str | Path) -> StageEvent:
    """The row for one well-formed line (KeyError / TypeError / ValueError when its fields do not fit its kind)."""
    if kind == "metric":
        step = int(data.get("step", 0))
        if not INT64_MIN <= step <= INT64_MAX:
            raise ValueError("step does not fit SQLite's 64-bit integers")
        return MetricEvent(seq=seq, ts=ts, data=data, name=str(data["name"]), step=step, value=float(data["value"]))
    common: dict[str, Any] = dict(seq=seq, ts=ts, data=data)
    if kind == "progress":
        total = data.get("total") or 0
        fraction = min(1.0, float(data.get("done", 0)) / float(total)) if total else None
        return ProgressEvent(**common, fraction=fraction, msg=str(data.get("msg", "")))
    if kind == "result":
        subset, control = data.get("subset"), data.get("control")
        return ResultEvent(
            **common, benchmark=str(data["benchmark"]), metric=str(data["metric"]), value=float(data["value"]),
            subset=str(subset) if subset else None, control=str(control) if control else None,
        )
    if kind == "weights":
        try:
            weights = read_weights_file(confine(run_dir, str(data.get("path", "")), where=f"weights event {seq}"))
        except UserInputError as exc:
            raise _UnreadableWeightsFile(exc.one_line()) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise _UnreadableWeightsFile(
                f"weights file {data.get('path')!r} unreadable: {type(exc).__name__}: {exc}"
            ) from None
        return WeightsEvent(**common, weights=weights)
    if kind == "artifact":
        return ArtifactEvent(**common, name=str(data["name"]), path=str(data["path"]))
    return StageEvent(**common, kind=kind)


def read_weights_file(path: Path) -> tuple[SampleWeightLine, ...]:
    """The lines of a per-sample weights JSONL (OSError / ValueError / KeyError / TypeError when it is bad)."""
    lines: list[SampleWeightLine] = []
    with open(path) as fh:
        for line in fh:
            if not line.strip():
                continue
            w = json.loads(line)
            faithful = w.get("faithful")
            lines.append(
                SampleWeightLine(
                    sample_id=str(w["sample_id"]), generator=str(w.get("generator", "")),
                    misalignment=str(w.get("misalignment", "")), f_target=float(w["f_target"]),
                    f_other=float(w["f_other"]), weight=float(w["weight"]),
                    faithful=None if faithful is None else bool(faithful),
                )
            )
    return tuple(lines)
