"""What differs between two runs: attributes, config keys, benchmark results and latest metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synvita import report
from synvita.api.runs import RunsApi
from synvita.entities import BenchmarkResult


@dataclass
class RunDiff:
    run_a: str
    run_b: str
    fields: list[tuple[str, Any, Any]]
    """Run attributes that differ (stage, variant, seed, generator, experiment, status)."""
    config: list[tuple[str, Any, Any]]
    """Dotted config keys whose values differ (a missing key shows as None)."""
    results: list[tuple[str, float | None, float | None, float | None]]
    """(benchmark[/subset][@control] metric, a, b, b − a)."""
    metrics: list[tuple[str, float | None, float | None, float | None]]
    """(metric name, latest a, latest b, b − a)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_a": self.run_a,
            "run_b": self.run_b,
            "fields": [dict(key=k, a=a, b=b) for k, a, b in self.fields],
            "config": [dict(key=k, a=a, b=b) for k, a, b in self.config],
            "results": [dict(key=k, a=a, b=b, delta=d) for k, a, b, d in self.results],
            "metrics": [dict(key=k, a=a, b=b, delta=d) for k, a, b, d in self.metrics],
        }


class DiffApi(RunsApi):
    def diff(self, run_a: str, run_b: str) -> RunDiff:
        """What differs between two runs: attributes, config keys, benchmark results and latest metrics."""
        a, b = self.get_run(run_a), self.get_run(run_b)
        fields = [
            (name, getattr(a, name), getattr(b, name))
            for name in ("experiment", "stage", "variant", "generator", "seed", "status", "submission")
            if getattr(a, name) != getattr(b, name)
        ]
        flat_a, flat_b = report.flatten(a.config), report.flatten(b.config)
        config = [(k, flat_a.get(k), flat_b.get(k)) for k in sorted(set(flat_a) | set(flat_b)) if flat_a.get(k) != flat_b.get(k)]

        def by_key(results: list[BenchmarkResult]) -> dict[str, float]:
            out = {}
            for r in results:
                key = r.benchmark + (f"[{r.subset}]" if r.subset else "") + (f"@{r.control}" if r.control else "") + f" {r.metric}"
                out[key] = r.value
            return out

        res_a, res_b = by_key(self.reader.results(a.id)), by_key(self.reader.results(b.id))
        results = [
            (k, res_a.get(k), res_b.get(k), _delta(res_a.get(k), res_b.get(k)))
            for k in list(dict.fromkeys([*res_a, *res_b]))
        ]
        latest = self.reader.latest_metrics([a.id, b.id])
        met_a = {n: p.value for n, p in latest.get(a.id, {}).items()}
        met_b = {n: p.value for n, p in latest.get(b.id, {}).items()}
        metrics = [(k, met_a.get(k), met_b.get(k), _delta(met_a.get(k), met_b.get(k))) for k in sorted(set(met_a) | set(met_b))]
        return RunDiff(a.id, b.id, fields, config, results, metrics)


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a
