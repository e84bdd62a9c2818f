"""`synvita report`: a study's results document and figures, from the database alone (no run is repeated).

Gathers what `synvita.report.study` writes: the tables of the experiment's evaluate runs (the main table of every
variant, and the Table 1, Table 2, main-table and ablation analogues made of its rows), the per-seed headline values
the paper's findings are tested on, the score run's per-sample Δ, the machine the runs ran on and how long they took.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from synvita.api.tables import TablesApi
from synvita.api.weights import WeightsApi
from synvita.entities import Run
from synvita.errors import NotFoundError

if TYPE_CHECKING:
    from synvita import report

TABLES = {
    "table1": ("Naive addition of synthetic videos (Table 1: the VideoCon recipe, then with synthetic videos).",
               ("none", "naive"), "none"),
    "synvita": ("SynViTA against the VideoCon recipe (the paper's main table).", ("none", "synvita"), "none"),
    "ablation": ("The weight rule φ with the consistency term on (the paper's ablation table): ω = 1, ω = f̄(Vˢ,tˢ), "
                 "ω = max(0, Δ) (synvita; omega-diff is the same rule). ω = 1 with the consistency term is also the "
                 "`consistency` variant's recipe, so omega-one's row equals consistency's, seed for seed.",
                 ("omega-one", "omega-target", "synvita", "omega-diff"), "omega-one"),
}
"""Table key → (title, the variants of its rows, its baseline); "main" has every variant and "table2" the
per-type runs."""


class StudyApi(TablesApi, WeightsApi):
    def study_report(self, experiment: str, out_dir: str | Path, doc: str | Path | None = None,
                     command: str = "") -> list[Path]:
        """Write `doc` (default: `out_dir`/../results.md when `out_dir` is a folder named `results`, else
        `out_dir`/results.md) and its PNGs under `out_dir`; returns the paths written. NotFoundError when the
        experiment has no succeeded evaluate run."""
        from synvita.report import findings as paper
        from synvita.report.study import StudyInputs, write_study

        runs = self.table_runs(experiment=experiment)
        if not runs:
            raise NotFoundError(f"experiment '{experiment}' has no succeeded evaluate run yet",
                                hint=f"run it with `synvita run {experiment}`; `synvita runs ls --experiment {experiment}`")
        out = Path(out_dir)
        doc_path = Path(doc) if doc else (out.parent / "results.md" if out.name == "results" else out / "results.md")
        main_runs = [r for r in runs if not _types_of(r)]
        tables: dict[str, tuple[str, report.BenchmarkTable]] = {
            "main": ("Every variant, trained on every misalignment type's synthetic videos.",
                     self.table(run_ids=[r.id for r in main_runs], baseline="none", include_controls=True)),
        }
        for key, (title, variants, baseline) in TABLES.items():
            chosen = [r.id for r in main_runs if r.variant in variants]
            if {r.variant for r in main_runs if r.id in chosen} >= set(variants[:2]):
                tables[key] = (title, self.table(run_ids=chosen, baseline=baseline))
        per_type = [r for r in runs if _types_of(r)]
        if per_type:
            table = self.table(run_ids=[r.id for r in runs if r.variant == "none" and not _types_of(r)]
                               + [r.id for r in per_type], baseline="none")
            _label_per_type_rows(table, {r.id: r for r in runs})
            tables["table2"] = ("The `none` baseline, then one run per misalignment type trained with that type's "
                                "synthetic videos alone.", table)
        values = self._headline_values(runs)
        samples = self._score_samples(experiment)
        deltas: dict[str, list[float]] = {}
        for s in samples:
            deltas.setdefault(s.misalignment, []).append(s.f_target - s.f_other)
        at_chance = {b for _, table in tables.values() for b in table.at_chance}
        benchmarks = [c.key for c in tables["main"][1].columns if c.group == "benchmarks" and c.key != "mean"]
        inputs = StudyInputs(
            experiment=experiment, command=command or f"synvita report {experiment} --out {out_dir}", tables=tables,
            weights=self._summary(samples), deltas_by_type=deltas,
            findings=paper.paper_findings(values, deltas, at_chance, benchmarks),
            machine=self._machine(runs), runs=len(runs), seeds=sorted({r.seed for r in runs if r.seed is not None}),
        )
        return write_study(inputs, out, doc_path)

    def _headline_values(self, runs: list[Run]) -> dict[str, dict[int, dict[str, float]]]:
        """Row key (variant, or "variant+type" for a per-type run) → seed → benchmark → headline value."""
        by_id = {r.id: r for r in runs}
        values: dict[str, dict[int, dict[str, float]]] = {}
        for result in self.reader.headline_results(list(by_id)):
            run = by_id[result.run_id]
            if run.seed is None:
                continue
            key = "+".join([run.variant or run.stage, *_types_of(run)])
            values.setdefault(key, {}).setdefault(run.seed, {})[result.benchmark] = result.value
        return values

    def _score_samples(self, experiment: str) -> list:
        """The per-sample weights of the experiment's newest succeeded score run (none without one)."""
        scores = self.list_runs(experiment=experiment, stage="score", status="succeeded", limit=1)
        return self.weights(scores[0].id) if scores else []

    def _summary(self, samples: list) -> report.WeightsSummary | None:
        from synvita import report

        return report.summarize_weights(samples[0].run_id, samples) if samples else None

    def _machine(self, runs: list[Run]) -> str:
        """Where and how long: host, platform, torch and GPU from a run's env.json, and the span from the first run
        of the experiment starting to the last one finishing."""
        everything = self.list_runs(experiment=runs[0].experiment, status="succeeded")
        started = [r.started_at for r in everything if r.started_at]
        finished = [r.finished_at for r in everything if r.finished_at]
        busy = sum(r.finished_at - r.started_at for r in everything if r.started_at and r.finished_at)
        parts = []
        env_path = Path(runs[0].run_dir or "") / "env.json"
        if env_path.is_file():
            env = json.loads(env_path.read_text())
            cpu = env.get("cpu") or {}
            processor = f"{cpu.get('model') or 'CPU ?'}, {cpu.get('cores', '?')} cores, " if cpu else ""
            parts.append(f"host {env.get('host', '?')} ({processor}{env.get('platform', '?')}, torch "
                         f"{env.get('packages', {}).get('torch', '?')}, GPU {env.get('gpu', '?')}, git "
                         f"{str(env.get('git', {}).get('commit', '?'))[:10]})")
        if started and finished:
            from synvita.report.text import format_duration

            parts.append(f"{format_duration(max(finished) - min(started))} from the first run's start to the last "
                         f"run's end ({format_duration(busy)} of run time in all, {len(everything)} runs)")
        return "; ".join(parts)


def _types_of(run: Run) -> list[str]:
    """The misalignment types a run's synthetic videos were restricted to ([] = every type)."""
    return list((run.config.get("train") or {}).get("synthetic_types") or [])


def _label_per_type_rows(table: report.BenchmarkTable, runs: dict[str, Run]) -> None:
    """'naive · synthetic_types=["flip"]' → 'naive+flip'."""
    for row in table.rows:
        types = _types_of(runs[row.runs[0]]) if row.runs else []
        if types:
            row.label = "+".join([row.variant or "", *types])
