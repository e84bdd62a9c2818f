"""Event ingestion: record a run's typed event rows, once each, and what they carry.

Idempotent by `seq`: each run keeps a cursor (the next events.jsonl line expected), rows below it were already
recorded and are skipped. One call is one write transaction that records the events, metrics (and the latest
value of each), benchmark results, per-sample weights and artifacts, and moves the run's progress, key metric
and cursor. The rows come parsed (`event_rows`); the store reads no files.
"""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Connection, select, text

from synvita.errors import UserInputError
from synvita.store.event_rows import (
    ArtifactEvent,
    MetricEvent,
    ProgressEvent,
    ResultEvent,
    StageEvent,
    WeightsEvent,
)
from synvita.store.models import ARTIFACTS, EVENTS, METRICS, RESULTS, RUNS, WEIGHTS, dump_json
from synvita.store.runs import RunRecords


class EventIngestion(RunRecords):
    """The events cursor and the ingestion of event rows."""

    def events_cursor(self, run_id: str) -> int:
        """The next events.jsonl line (seq) that `ingest_events` expects for this run."""
        with self._read() as conn:
            self._status_of(conn, run_id)
            return self._cursor(conn, run_id)

    def _cursor(self, conn: Connection, run_id: str) -> int:
        return int(conn.execute(select(RUNS.c.events_cursor).where(RUNS.c.id == run_id)).scalar() or 0)

    def ingest_events(self, run_id: str, events: Sequence[StageEvent]) -> int:
        """Record event rows (see `event_rows`; `synvita.runs.ingest` parses events.jsonl into them); returns
        how many were new.

        Idempotent by `seq`: rows below the run's cursor were already ingested and are skipped. Updates the
        run's progress, metrics (+ latest values), benchmark results, per-sample weights and artifacts, and the
        run's key metric.
        """
        with self._read() as conn:
            self._status_of(conn, run_id)
            cursor = self._cursor(conn, run_id)
        for ev in events:
            if not isinstance(ev, StageEvent):
                raise UserInputError(
                    f"not an event row for run {run_id}: {str(ev)[:200]}",
                    hint="parse events.jsonl lines into event rows with synvita.runs.ingest.parse_events",
                )
        fresh = sorted((e for e in events if e.seq >= cursor), key=lambda e: e.seq)
        if not fresh:
            return 0
        with self._write() as conn:
            cursor = self._cursor(conn, run_id)
            fresh = [e for e in fresh if e.seq >= cursor]
            if not fresh:
                return 0
            self._record(conn, run_id, fresh)
            return len(fresh)

    def _record(self, conn: Connection, run_id: str, fresh: Sequence[StageEvent]) -> None:
        """Write the new rows (in seq order) into their tables and move the run's progress, key metric, cursor."""
        event_rows, metric_rows, result_rows, weight_rows, artifact_rows = [], [], [], [], []
        latest: dict[str, tuple[int, float]] = {}
        progress: tuple[float | None, str] | None = None
        for ev in fresh:
            event_rows.append(dict(run_id=run_id, seq=ev.seq, ts=ev.ts, kind=ev.kind, data_json=dump_json(dict(ev.data))))
            if isinstance(ev, MetricEvent):
                metric_rows.append(dict(run_id=run_id, name=ev.name, step=ev.step, value=ev.value, ts=ev.ts))
                if ev.name not in latest or ev.step >= latest[ev.name][0]:
                    latest[ev.name] = (ev.step, ev.value)
            elif isinstance(ev, ProgressEvent):
                progress = (ev.fraction, ev.msg)
            elif isinstance(ev, ResultEvent):
                result_rows.append(
                    dict(
                        run_id=run_id, benchmark=ev.benchmark, metric=ev.metric, subset=ev.subset or "",
                        control=ev.control or "", value=ev.value, seq=ev.seq,
                    )
                )
            elif isinstance(ev, WeightsEvent):
                weight_rows.extend(
                    dict(
                        run_id=run_id, sample_id=w.sample_id, generator=w.generator, misalignment=w.misalignment,
                        f_target=w.f_target, f_other=w.f_other, weight=w.weight, faithful=w.faithful,
                    )
                    for w in ev.weights
                )
            elif isinstance(ev, ArtifactEvent):
                artifact_rows.append(dict(run_id=run_id, name=ev.name, path=ev.path))
        conn.execute(EVENTS.insert().prefix_with("OR IGNORE"), event_rows)
        if metric_rows:
            conn.execute(METRICS.insert().prefix_with("OR REPLACE"), metric_rows)
            conn.execute(
                text(
                    "INSERT INTO latest_metrics (run_id, name, step, value) VALUES (:run_id, :name, :step, :value)"
                    " ON CONFLICT (run_id, name) DO UPDATE SET step = excluded.step, value = excluded.value"
                    " WHERE excluded.step >= latest_metrics.step"
                ),
                [dict(run_id=run_id, name=n, step=s, value=v) for n, (s, v) in latest.items()],
            )
        if result_rows:
            conn.execute(RESULTS.insert().prefix_with("OR REPLACE"), result_rows)
        for i in range(0, len(weight_rows), 5000):
            conn.execute(WEIGHTS.insert().prefix_with("OR REPLACE"), weight_rows[i : i + 5000])
        if artifact_rows:
            conn.execute(ARTIFACTS.insert().prefix_with("OR REPLACE"), artifact_rows)
        values: dict[str, Any] = {"events_cursor": fresh[-1].seq + 1}
        if progress is not None:
            values["progress"], values["progress_msg"] = progress
        if result_rows or metric_rows:
            key = self._key_metric(conn, run_id)
            if key is not None:
                values["key_metric"] = key
        conn.execute(RUNS.update().where(RUNS.c.id == run_id).values(**values))

    def _key_metric(self, conn: Connection, run_id: str) -> float | None:
        """Mean over benchmarks of each benchmark's first headline result (no subset/control); else the latest
        `loss` (or first loss_* metric)."""
        rows = conn.execute(
            text(
                "SELECT benchmark, value FROM results WHERE run_id = :rid AND subset = '' AND control = ''"
                " ORDER BY benchmark, seq"
            ),
            {"rid": run_id},
        ).all()
        if rows:
            first: dict[str, float] = {}
            for bench, value in rows:
                first.setdefault(bench, value)
            return sum(first.values()) / len(first)
        rows = conn.execute(
            text("SELECT name, value FROM latest_metrics WHERE run_id = :rid AND name LIKE 'loss%' ORDER BY name"),
            {"rid": run_id},
        ).all()
        by_name = dict(rows)
        if "loss" in by_name:
            return by_name["loss"]
        return rows[0][1] if rows else None
