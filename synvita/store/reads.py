"""What ingestion recorded, read back as entities: events, metrics, results, weights, artifacts."""

from __future__ import annotations

import json
from typing import Any, Sequence

from sqlalchemy import Connection, select, text

from synvita.entities import Artifact, BenchmarkResult, MetricPoint, RunEvent, SampleWeight
from synvita.store.models import ARTIFACTS, LATEST, RESULTS, WEIGHTS, ArtifactRow, ResultRow
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
        """Ingested events in seq order: those with seq >= since_seq, of `kinds`; `tail`: only the last N.

        Metric lines live in `metrics` (stored once, see migration m004) and the other lines in `run_events`; both
        are read through their (run_id, seq) indexes and merged in seq order, so a tail costs the same at any
        length of the run."""
        params: dict[str, Any] = {"rid": run_id, "since": int(since_seq)}
        kind_clause = ""
        if kinds:
            kind_clause = " AND kind IN (" + ", ".join(f":k{i}" for i in range(len(kinds))) + ")"
            params.update({f"k{i}": k for i, k in enumerate(kinds)})
        arms = [
            "SELECT seq, ts, kind, data_json, NULL AS name, NULL AS step, NULL AS value FROM run_events"
            " WHERE run_id = :rid AND seq >= :since" + kind_clause
        ]
        if not kinds or "metric" in kinds:
            arms.append(
                "SELECT seq, ts, 'metric', data_json, name, step, value FROM metrics"
                " WHERE run_id = :rid AND seq >= :since"
            )
        sql = " UNION ALL ".join(arms) + " ORDER BY seq" + (" DESC" if tail is not None else "")
        count = tail if tail is not None else limit
        if count is not None:
            sql += " LIMIT :n"
            params["n"] = int(count)
        with self._read() as conn:
            self._status_of(conn, run_id)
            rows = conn.execute(text(sql), params).all()
        if tail is not None:
            rows = rows[::-1][: None if limit is None else int(limit)]
        return [
            RunEvent(
                run_id=run_id, seq=seq, ts=ts, kind=kind,
                data=json.loads(data) if data is not None else {"name": name, "step": step, "value": value},
            )
            for seq, ts, kind, data, name, step, value in rows
        ]

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
