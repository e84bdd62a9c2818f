"""Event ingestion: record a run's typed event rows, once each, and what they carry.

Idempotent by `seq`: each run keeps a cursor (the next events.jsonl line expected), rows below it were already
recorded and are skipped. One call is one write transaction: it records the events, metric points (and the latest
value of each), benchmark results, per-sample weights and artifacts with one `executemany` per table, and moves
the run's progress, key metric, cursor and read position (`EventsPosition`: where reading events.jsonl resumes).
Metric lines exactly as `EventWriter` writes them may come as bare `MetricPoint` tuples beside the rows (the bulk
of a long run's lines): each becomes its `metrics` row directly.
A worker passes the run's attempt token (see `queue`): rows brought under another token (a stalled worker whose
run another attempt owns now, or that was re-queued) are not recorded.

A metric point is stored once, in `metrics` (its `seq` places it among the run's events; see migration m004);
every other event is a row of `run_events`. A NaN or infinite value cannot be stored as a number: such a metric,
result or weights line is refused — recorded as an error `log` event naming it — and the run fails with that
reason, while the rest of the rows are recorded as usual. The rows come parsed (`event_rows`); the store reads no
files.
"""

from __future__ import annotations

import math
import sqlite3
import time
from operator import attrgetter, itemgetter
from typing import Any, Sequence

from synvita.errors import NotFoundError, UserInputError
from synvita.store.event_rows import (
    ArtifactEvent,
    EventsPosition,
    MetricEvent,
    MetricPoint,
    ProgressEvent,
    ResultEvent,
    StageEvent,
    WeightsEvent,
)
from synvita.store.models import dump_json
from synvita.store.runs import RunRecords

_INSERT_EVENT = "INSERT OR IGNORE INTO run_events (run_id, seq, ts, kind, data_json) VALUES (?, ?, ?, ?, ?)"
_INSERT_METRIC = "INSERT INTO metrics (run_id, name, step, value, ts, seq) VALUES (?, ?, ?, ?, ?, ?)"
"""A point whose event is exactly its name, value and step: data_json stays NULL, without binding None to it
(sqlite3 looks up an adapter for every parameter that is not exactly an int, float, str or bytearray)."""
_INSERT_METRIC_AS_WRITTEN = (
    "INSERT INTO metrics (run_id, name, step, value, ts, seq, data_json) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_METRIC = (
    _INSERT_METRIC_AS_WRITTEN + " ON CONFLICT (run_id, name, step) DO UPDATE SET"
    " value = excluded.value, ts = excluded.ts, seq = excluded.seq, data_json = excluded.data_json"
)
_UPSERT_LATEST = (
    "INSERT INTO latest_metrics (run_id, name, step, value) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (run_id, name) DO UPDATE SET step = excluded.step, value = excluded.value"
    " WHERE excluded.step >= latest_metrics.step"
)
_UPSERT_RESULT = (
    "INSERT OR REPLACE INTO results (run_id, benchmark, metric, subset, control, value, seq)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_WEIGHT = (
    "INSERT OR REPLACE INTO sample_weights"
    " (run_id, sample_id, generator, misalignment, f_target, f_other, weight, faithful) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_ARTIFACT = "INSERT OR REPLACE INTO artifacts (run_id, name, path) VALUES (?, ?, ?)"

FAILS_ON_REFUSAL = ("running", "lost", "preempted")
"""Statuses in which a refused (non-finite) line fails the run; a run that already ended keeps its status."""


def _number(value: float) -> str:
    return "NaN" if math.isnan(value) else str(value)


def _finite(value: float) -> bool:
    return value - value == 0.0  # false for NaN and ±inf, and cheaper than math.isfinite on the hot path


class EventIngestion(RunRecords):
    """The events cursor, the read position, and the ingestion of event rows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recorded_positions: dict[str, EventsPosition] = {}
        """The read position each run had after this store's last `ingest_events` of it."""

    def ingest_position(self, run_id: str) -> EventsPosition:
        """Where the next poll of the run's events.jsonl starts: the position this store recorded last (no
        database read), else `events_position`. Another process may have ingested further since: reading from
        an older position only re-reads lines, which `ingest_events` skips by seq."""
        known = self._recorded_positions.get(run_id)
        return known if known is not None else self.events_position(run_id)

    def events_cursor(self, run_id: str) -> int:
        """The next events.jsonl line (seq) that `ingest_events` expects for this run."""
        with self._raw_read() as raw:
            return int(self._ingest_state(raw, run_id)[1])

    def events_position(self, run_id: str) -> EventsPosition:
        """Where reading the run's events.jsonl resumes (after the lines already ingested)."""
        with self._raw_read() as raw:
            _, _, offset, offset_seq, _ = self._ingest_state(raw, run_id)
            return EventsPosition(int(offset), int(offset_seq))

    def _ingest_state(self, raw: sqlite3.Connection, run_id: str) -> tuple[str, int, int, int, str | None]:
        """(status, cursor, read offset, seq at that offset, attempt token); NotFoundError for an unknown run."""
        row = raw.execute(
            "SELECT status, events_cursor, events_offset, events_offset_seq, attempt_token FROM runs WHERE id = ?",
            (run_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no run '{run_id}' in {self.path}", hint="see `synvita runs ls`")
        return row

    def ingest_events(
        self, run_id: str, events: Sequence[StageEvent], *, points: Sequence[MetricPoint] = (),
        position: EventsPosition | None = None, token: str | None = None,
    ) -> int:
        """Record event rows (see `event_rows`; `synvita.runs.ingest` parses events.jsonl into them) and metric
        `points` (lines exactly as `EventWriter.metric` writes them, see `MetricPoint`, recorded as the
        `MetricEvent` each stands for); returns how many of both were new.

        Idempotent by `seq`: rows below the run's cursor were already ingested and are skipped. Updates the
        run's progress, metrics (+ latest values), benchmark results, per-sample weights and artifacts, and the
        run's key metric. `position`: where reading events.jsonl resumes after these rows; kept when it is further
        than the one recorded. A non-finite metric, result or weight is refused and fails the run (module doc).
        `token`: the attempt token of the caller's execution; when it is not the run's, nothing is recorded (0).
        """
        for ev in events:
            if not isinstance(ev, StageEvent):
                raise UserInputError(
                    f"not an event row for run {run_id}: {str(ev)[:200]}",
                    hint="parse events.jsonl lines into event rows with synvita.runs.ingest.parse_events",
                )
        with self._raw_write() as raw:  # a poll is a handful of statements: SQLAlchemy would cost more than they do
            status, cursor, offset, offset_seq, current_token = self._ingest_state(raw, run_id)
            if token is not None and token != current_token:
                return 0
            fresh = sorted((e for e in events if e.seq >= cursor), key=_row_seq)
            fresh_points = sorted((p for p in points if p[0] >= cursor), key=_point_seq)
            values: dict[str, Any] = {}
            if fresh or fresh_points:
                values = self._record(raw, run_id, status, fresh, fresh_points)
                last = max(fresh[-1].seq if fresh else -1, fresh_points[-1][0] if fresh_points else -1)
                values["events_cursor"] = last + 1
            if position is not None and position.seq > offset_seq:
                values["events_offset"], values["events_offset_seq"] = position.offset, position.seq
            else:
                position = EventsPosition(offset, offset_seq)
            if values:
                columns = ", ".join(f"{name} = ?" for name in values)
                raw.execute(f"UPDATE runs SET {columns} WHERE id = ?", (*values.values(), run_id))
        self._recorded_positions[run_id] = position
        if values.get("status") == "failed":  # dependants cannot start meanwhile: they wait for a success
            with self._write() as conn:
                self._block_dependants(conn, [run_id], values["finished_at"])
        return len(fresh) + len(fresh_points)

    def _record(
        self, raw: sqlite3.Connection, run_id: str, status: str, fresh: Sequence[StageEvent],
        points: Sequence[MetricPoint],
    ) -> dict[str, Any]:
        """Write the new rows and points (each in seq order) into their tables; returns the run columns they
        change (progress, key metric, and status/error when a line was refused)."""
        event_rows: list[tuple] = []
        metric_rows: list[tuple] = []
        result_rows: list[tuple] = []
        weight_rows: list[tuple] = []
        artifact_rows: list[tuple] = []
        progress: tuple[float | None, str] | None = None
        refused: str | None = None
        for ev in fresh:
            ts = ev.ts if _finite(ev.ts) else time.time()
            if isinstance(ev, MetricEvent):
                name, step, value, data = ev.name, ev.step, ev.value, ev.data
                if not _finite(value):
                    reason = f"metric {name!r} is {_number(value)} at step {step} (not recorded)"
                    refused = refused or reason
                    event_rows.append(_refusal(run_id, ev, ts, reason))
                    continue
                exact = (
                    len(data) == 3 and data.get("name") == name and type(data.get("step")) is int
                    and data["step"] == step and type(data.get("value")) is float and data["value"] == value
                )
                if exact:
                    metric_rows.append((run_id, name, step, value, ts, ev.seq))
                else:
                    metric_rows.append((run_id, name, step, value, ts, ev.seq, dump_json(dict(data))))
                continue
            if isinstance(ev, ResultEvent):
                if not _finite(ev.value):
                    what = "/".join(p for p in (ev.benchmark, ev.metric, ev.subset, ev.control) if p)
                    reason = f"result {what} is {_number(ev.value)} (not recorded)"
                    refused = refused or reason
                    event_rows.append(_refusal(run_id, ev, ts, reason))
                    continue
                result_rows.append(
                    (run_id, ev.benchmark, ev.metric, ev.subset or "", ev.control or "", ev.value, ev.seq)
                )
            elif isinstance(ev, WeightsEvent):
                bad = next((w for w in ev.weights if not all(map(_finite, (w.f_target, w.f_other, w.weight)))), None)
                if bad is not None:
                    reason = f"weights of sample {bad.sample_id!r} are not finite (not recorded)"
                    refused = refused or reason
                    event_rows.append(_refusal(run_id, ev, ts, reason))
                    continue
                weight_rows.extend(
                    (run_id, w.sample_id, w.generator, w.misalignment, w.f_target, w.f_other, w.weight, w.faithful)
                    for w in ev.weights
                )
            elif isinstance(ev, ProgressEvent):
                fraction = ev.fraction if ev.fraction is None or _finite(ev.fraction) else None
                progress = (fraction, ev.msg)
            elif isinstance(ev, ArtifactEvent):
                artifact_rows.append((run_id, ev.name, ev.path))
            event_rows.append((run_id, ev.seq, ts, ev.kind, dump_json(dict(ev.data))))
        if event_rows:
            raw.executemany(_INSERT_EVENT, event_rows)
        names = _insert_metrics(raw, run_id, metric_rows, points) if metric_rows or points else ()
        if result_rows:
            raw.executemany(_UPSERT_RESULT, result_rows)
        if weight_rows:
            raw.executemany(_UPSERT_WEIGHT, weight_rows)
        if artifact_rows:
            raw.executemany(_UPSERT_ARTIFACT, artifact_rows)
        values: dict[str, Any] = {}
        if progress is not None:
            values["progress"], values["progress_msg"] = progress
        if result_rows or any(name.startswith("loss") for name in names):
            key = self._key_metric(raw, run_id)
            if key is not None:
                values["key_metric"] = key
        if refused is not None and status in FAILS_ON_REFUSAL:
            values.update(status="failed", error=refused, finished_at=time.time())
        return values

    def _key_metric(self, raw: sqlite3.Connection, run_id: str) -> float | None:
        """Mean over benchmarks of each benchmark's first headline result (no subset/control); else the latest
        `loss` (or first loss_* metric)."""
        rows = raw.execute(
            "SELECT benchmark, value FROM results WHERE run_id = ? AND subset = '' AND control = ''"
            " ORDER BY benchmark, seq",
            (run_id,),
        ).fetchall()
        if rows:
            first: dict[str, float] = {}
            for bench, value in rows:
                first.setdefault(bench, value)
            return sum(first.values()) / len(first)
        rows = raw.execute(
            "SELECT name, value FROM latest_metrics WHERE run_id = ? AND name LIKE 'loss%' ORDER BY name", (run_id,)
        ).fetchall()
        by_name = dict(rows)
        if "loss" in by_name:
            return by_name["loss"]
        return rows[0][1] if rows else None


def _refusal(run_id: str, ev: StageEvent, ts: float, reason: str) -> tuple:
    """The error `log` event row that takes the place of a refused line (the line's fields kept under "event")."""
    data = {"level": "error", "msg": reason, "event": dict(ev.data)}
    return (run_id, ev.seq, ts, "log", dump_json(data))


_row_seq = attrgetter("seq")
_point_seq = itemgetter(0)
_metric_row_seq = itemgetter(5)


def _insert_metrics(
    raw: sqlite3.Connection, run_id: str, rows: list[tuple], points: Sequence[MetricPoint]
) -> list[str]:
    """Metric rows and points (each in seq order) → `metrics`, and the newest point of each name → `latest_metrics`;
    returns the names. A row is (run_id, name, step, value, ts, seq), followed by the line's data_json when its
    event is more than its name, value and step (a point never is). A point past the highest step recorded for its
    name cannot replace one, so it takes a plain INSERT; the rest (a resumed run reporting a step again) take the
    upsert, whose trigger keeps the replaced point's event."""
    point_rows = [(run_id, name, step, value, ts, seq) for seq, ts, name, step, value in points]
    ordered = sorted(rows + point_rows, key=_metric_row_seq) if rows and point_rows else rows or point_rows
    highest = dict(raw.execute("SELECT name, step FROM latest_metrics WHERE run_id = ?", (run_id,)).fetchall())
    latest: dict[str, tuple] = {}
    """The row of the latest point of each name: the highest step, the later line among equal ones."""
    new: list[tuple] = []
    again: list[tuple] = []
    for row in ordered:
        name, step = row[1], row[2]
        top = highest.get(name)
        if top is None or step > top:  # above every step so far, those of earlier rows included
            highest[name] = step
            new.append(row)
            latest[name] = row
        else:
            again.append(row)
            known = latest.get(name)
            if known is None or step >= known[2]:
                latest[name] = row
    if any(len(row) == 7 for row in rows):  # rows as written beside plain ones (a new point never replaces one)
        raw.executemany(_INSERT_METRIC_AS_WRITTEN, [row for row in new if len(row) == 7])
        new = [row for row in new if len(row) == 6]
    raw.executemany(_INSERT_METRIC, new)
    if again:  # after `new`: an upsert only ever replaces an earlier line (a later one has a higher step)
        raw.executemany(_UPSERT_METRIC, [row if len(row) == 7 else (*row, None) for row in again])
    raw.executemany(_UPSERT_LATEST, [row[:4] for row in latest.values()])  # (run_id, name, step, value)
    return list(latest)
