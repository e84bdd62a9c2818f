"""What ingestion recorded, read back as entities: events, metrics, results, weights, artifacts."""

from __future__ import annotations

import json
from typing import Any, Sequence

from sqlalchemy import select, text

from synvita.entities import Artifact, BenchmarkResult, MetricPoint, RunEvent, SampleWeight
from synvita.store.models import ARTIFACTS, EVENTS, LATEST, RESULTS, WEIGHTS, ArtifactRow, ResultRow
from synvita.store.runs import RunRecords


class RunReads(RunRecords):
    """Reads of a run's events and of what they carried."""

    def events(
        self,
        run_id: str,
        *,
        kinds: Sequence[str] | None = None,
        since_seq: int = 0,
        limit: int | None = None,
        tail: int | None = None,
    ) -> list[RunEvent]:
        """Ingested events in seq order: those with seq >= since_seq, of `kinds`; `tail`: only the last N."""
        conds = [EVENTS.c.run_id == run_id, EVENTS.c.seq >= int(since_seq)]
        if kinds:
            conds.append(EVENTS.c.kind.in_(list(kinds)))
        with self._read() as conn:
            self._status_of(conn, run_id)
            if tail is not None:
                query = select(EVENTS).where(*conds).order_by(EVENTS.c.seq.desc()).limit(int(tail))
                rows = list(conn.execute(query))[::-1]
                if limit is not None:
                    rows = rows[: int(limit)]
            else:
                query = select(EVENTS).where(*conds).order_by(EVENTS.c.seq)
                if limit is not None:
                    query = query.limit(int(limit))
                rows = list(conn.execute(query))
            return [RunEvent(run_id=r.run_id, seq=r.seq, ts=r.ts, kind=r.kind, data=json.loads(r.data_json)) for r in rows]

    def metrics(
        self, run_id: str, name: str | None = None, *, since_step: int | None = None, max_points: int | None = None
    ) -> list[MetricPoint]:
        """Metric points ordered by (name, step). `max_points`: each series thinned in SQL to about that many
        evenly spaced points (the first and last kept), so a chart of a long run stays cheap."""
        where = "run_id = :rid"
        params: dict[str, Any] = {"rid": run_id}
        if name is not None:
            where += " AND name = :name"
            params["name"] = name
        if since_step is not None:
            where += " AND step >= :since"
            params["since"] = int(since_step)
        with self._read() as conn:
            self._status_of(conn, run_id)
            if max_points is None:
                sql = f"SELECT name, step, value FROM metrics WHERE {where} ORDER BY name, step"
            else:
                params["maxp"] = max(2, int(max_points))
                sql = (
                    "SELECT name, step, value FROM ("
                    " SELECT name, step, value, row_number() OVER (PARTITION BY name ORDER BY step) - 1 AS i,"
                    f" count(*) OVER (PARTITION BY name) AS n FROM metrics WHERE {where})"
                    " WHERE n <= :maxp OR i = n - 1"
                    " OR i % ((n + :maxp - 2) / (:maxp - 1)) = 0"
                    " ORDER BY name, step"
                )
            rows = conn.execute(text(sql), params).all()
        return [MetricPoint(run_id=run_id, name=n, step=s, value=v) for n, s, v in rows]

    def metric_names(self, run_id: str) -> list[str]:
        with self._read() as conn:
            self._status_of(conn, run_id)
            return [r[0] for r in conn.execute(select(LATEST.c.name).where(LATEST.c.run_id == run_id).order_by(LATEST.c.name))]

    def latest_metrics(self, run_ids: str | Sequence[str]) -> dict[str, dict[str, MetricPoint]]:
        """{run_id: {metric name: latest point}} without scanning the points."""
        ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        out: dict[str, dict[str, MetricPoint]] = {rid: {} for rid in ids}
        with self._read() as conn:
            for i in range(0, len(ids), 500):
                for r in conn.execute(select(LATEST).where(LATEST.c.run_id.in_(ids[i : i + 500]))):
                    out[r.run_id][r.name] = MetricPoint(run_id=r.run_id, name=r.name, step=r.step, value=r.value)
        return out

    def results(self, run_ids: str | Sequence[str]) -> list[BenchmarkResult]:
        """Benchmark results of the given runs, in run order, then in the order they were reported."""
        ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        order = {rid: i for i, rid in enumerate(ids)}
        out: list[Any] = []
        with self._read() as conn:
            for i in range(0, len(ids), 500):
                out.extend(conn.execute(select(RESULTS).where(RESULTS.c.run_id.in_(ids[i : i + 500]))))
        out.sort(key=lambda r: (order[r.run_id], r.seq))
        return [ResultRow.to_entity(r) for r in out]

    def weights(self, run_id: str) -> list[SampleWeight]:
        with self._read() as conn:
            self._status_of(conn, run_id)
            rows = conn.execute(select(WEIGHTS).where(WEIGHTS.c.run_id == run_id).order_by(WEIGHTS.c.sample_id)).all()
        return [
            SampleWeight(
                run_id=r.run_id, sample_id=r.sample_id, generator=r.generator, misalignment=r.misalignment,
                f_target=r.f_target, f_other=r.f_other, weight=r.weight,
                faithful=None if r.faithful is None else bool(r.faithful),
            )
            for r in rows
        ]

    def artifacts(self, run_id: str) -> list[Artifact]:
        with self._read() as conn:
            self._status_of(conn, run_id)
            rows = conn.execute(select(ARTIFACTS).where(ARTIFACTS.c.run_id == run_id).order_by(ARTIFACTS.c.name)).all()
        return [ArtifactRow.to_entity(r) for r in rows]
