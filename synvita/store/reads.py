"""What ingestion recorded, read back as entities: events, metrics, results, weights, artifacts."""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Connection, select, text

from synvita.entities import Artifact, BenchmarkResult, MetricPoint, RunEvent, SampleWeight
from synvita.store.models import ARTIFACTS, LATEST, RESULTS, WEIGHTS, ArtifactRow, ResultRow
from synvita.store import run_queries
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
        """Ingested events in seq order (`run_queries.events`)."""
        with self._read() as conn:
            self._status_of(conn, run_id)
            return run_queries.events(self._execute(conn), run_id,
                                      kinds=kinds, since_seq=since_seq, limit=limit, tail=tail)

    def metrics(
        self,
        run_id: str,
        name: str | None = None,
        *,
        since_step: int | None = None,
        after_step: int | None = None,
        max_points: int | None = None,
    ) -> list[MetricPoint]:
        """Metric points ordered by (name, step): of the series `name` (default all), with step >= `since_step`
        and step > `after_step` (what a chart that already drew up to `after_step` still needs).

        `max_points`: each series thinned to at most about that many points, evenly spaced in step (the first
        and last kept). The thinning seeks the (run, name, step) primary key once per kept point, so it costs
        the same for a series of a thousand or a million points."""
        lo = None
        if since_step is not None:
            lo = int(since_step)
        if after_step is not None:
            lo = max(lo if lo is not None else int(after_step) + 1, int(after_step) + 1)
        with self._read() as conn:
            self._status_of(conn, run_id)
            if max_points is None:
                where, params = "run_id = :rid", {"rid": run_id, "lo": lo, "name": name}
                if name is not None:
                    where += " AND name = :name"
                if lo is not None:
                    where += " AND step >= :lo"
                rows = conn.execute(text(f"SELECT name, step, value FROM metrics WHERE {where} ORDER BY name, step"),
                                    params).all()
                return [MetricPoint(run_id=run_id, name=n, step=s, value=v) for n, s, v in rows]
            names = [name] if name is not None else self._metric_names(conn, run_id)
            points: list[MetricPoint] = []
            for series in names:
                rows = _thinned(conn, run_id, series, lo, max(2, int(max_points)))
                points.extend(MetricPoint(run_id=run_id, name=series, step=s, value=v) for s, v in rows)
            return points

    def metric_names(self, run_id: str) -> list[str]:
        with self._read() as conn:
            self._status_of(conn, run_id)
            return self._metric_names(conn, run_id)

    def _metric_names(self, conn: Connection, run_id: str) -> list[str]:
        query = select(LATEST.c.name).where(LATEST.c.run_id == run_id).order_by(LATEST.c.name)
        return [r[0] for r in conn.execute(query)]

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


def _thinned(conn: Connection, run_id: str, name: str, lo: int | None, max_points: int) -> list[tuple[int, float]]:
    """(step, value) of one series from step `lo` on, at most about `max_points`: the first point at or after each
    of evenly spaced target steps (an integer stride, so contiguous steps come out evenly spaced), plus the last.
    Each target is one seek in the primary key: no scan, no sort."""
    params: dict[str, Any] = {"rid": run_id, "name": name, "lo": lo}
    from_lo = "" if lo is None else " AND step >= :lo"
    first, last = conn.execute(
        text(
            f"SELECT (SELECT min(step) FROM metrics WHERE run_id = :rid AND name = :name{from_lo}),"
            " (SELECT max(step) FROM metrics WHERE run_id = :rid AND name = :name)"
        ),
        params,
    ).one()
    if first is None:
        return []
    params.update(first=first, last=last, stride=max(1, -(-(last - first) // (max_points - 1))))
    rows = conn.execute(
        text(
            "WITH RECURSIVE target(step) AS (SELECT :first UNION ALL SELECT step + :stride FROM target"
            " WHERE step + :stride <= :last),"
            " kept(step) AS (SELECT DISTINCT (SELECT min(m.step) FROM metrics AS m WHERE m.run_id = :rid"
            " AND m.name = :name AND m.step >= target.step) FROM target UNION SELECT :last)"
            " SELECT m.step, m.value FROM kept JOIN metrics AS m ON m.run_id = :rid AND m.name = :name"
            " AND m.step = kept.step ORDER BY m.step"
        ),
        params,
    ).all()
    return [(s, v) for s, v in rows]
