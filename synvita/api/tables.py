"""Benchmark tables: which evaluate runs a table is built from, the paper-style table itself, and its formats."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from synvita.api.experiments import ExperimentsApi
from synvita.api.runs import RunsApi
from synvita.entities import Run
from synvita.errors import NotFoundError

if TYPE_CHECKING:
    from synvita import report


class TablesApi(RunsApi, ExperimentsApi):
    def table_runs(
        self,
        run_ids: list[str] | None = None,
        experiment: str | None = None,
        submission: str | None = None,
        experiments: list[str] | None = None,
        *,
        config_without: Sequence[str] = (),
    ) -> list[Run]:
        """The evaluate runs a table is built from: given ids (a train run brings its evaluate run) plus the
        succeeded evaluate runs of each named experiment (`experiment` and `experiments`, within `submission`
        if given); else those of a submission; else of the latest submission. Each run once, in that order.
        An experiment without any run in the database → NotFoundError (a typo would otherwise vanish).
        `config_without`: the runs' configs without those top-level keys, one dict shared by the runs that agree on
        the rest (what `table` reads: `synvita.store.run_queries.config_column`)."""
        names = list(dict.fromkeys(([experiment] if experiment else []) + list(experiments or [])))
        runs: list[Run] = []
        if run_ids:
            for run in self.reader.get_runs(run_ids, config_without=config_without):
                if run.stage == "evaluate":
                    runs.append(run)
                else:
                    dependants = self.reader.dependants(run.id)
                    evaluations = [r for r in self.reader.get_runs(dependants, config_without=config_without)
                                   if r.stage == "evaluate"]
                    runs.extend(evaluations or [run])
        for name in names:
            if not self.count_runs(experiment=name):
                raise NotFoundError(
                    f"no runs of experiment '{name}' in {self.db_path}", hint="see `synvita runs ls` for the experiments"
                )
            runs.extend(self.list_runs(
                experiment=name, submission=submission, stage="evaluate", status="succeeded",
                order_by="created_at", descending=False, config_without=config_without,
            ))
        if run_ids or names:
            return list({run.id: run for run in runs}.values())
        if submission is None:
            latest = self.list_runs(stage="evaluate", limit=1)
            if not latest:
                return []
            submission = latest[0].submission
        return self.list_runs(
            submission=submission, stage="evaluate", status="succeeded", order_by="created_at", descending=False,
            config_without=config_without,
        )

    def table(
        self,
        run_ids: list[str] | None = None,
        experiment: str | None = None,
        submission: str | None = None,
        baseline: str | None = "none",
        include_controls: bool = False,
        benchmarks: list[str] | None = None,
        include_other_metrics: bool = False,
        experiments: list[str] | None = None,
    ) -> report.BenchmarkTable:
        """Paper-style table: rows = variants (mean ± std over seeds, n, 95% interval), columns = benchmarks + mean,
        differences to `baseline` (a variant or row label) paired by seed with their 95% interval, best per column
        marked; each benchmark's chance level, chance band and oracle, and those at chance left out of the mean; controls and per-type subsets on request
        (`include_controls`), and the benchmarks' secondary metrics such as R@k (`include_other_metrics`).
        Runs as in `table_runs`: run ids and several experiments (`experiments`) add up."""
        from synvita import report
        from synvita.report.table import TOP_LEVEL_ROW_INDEPENDENT_KEYS

        runs = self.table_runs(run_ids, experiment, submission, experiments=experiments,
                               config_without=TOP_LEVEL_ROW_INDEPENDENT_KEYS)
        include_controls = include_controls or include_other_metrics
        if not runs:
            results, reported = [], set()
        elif include_controls:
            results = self.reader.results([r.id for r in runs])
            reported = {r.run_id for r in results}
        else:  # only the headline results are shown: the rest stay in SQL
            ids = [r.id for r in runs]
            results = self.reader.headline_results(ids)
            reported = {r.run_id for r in results}
            silent = [rid for rid in ids if rid not in reported]
            reported |= self.reader.runs_with_results(silent) if silent else set()
        return report.build_table(
            runs, results, benchmarks=benchmarks, baseline=baseline, include_controls=include_controls,
            include_other_metrics=include_other_metrics, variant_order=self.variant_names(), reported=reported,
            chance=chance_levels({r.benchmark for r in results}), references=self.benchmark_references(runs),
        )

    def benchmark_references(self, runs: list[Run]) -> dict[str, dict[str, float]]:
        """Chance level, chance band and oracle per benchmark, as the evaluate runs recorded them
        (`synvita.benchmarks.reference`); runs made before they were recorded add nothing."""
        from synvita.benchmarks.reference import references_from_metrics

        if not runs:
            return {}
        points = self.reader.latest_metrics([r.id for r in runs])
        return references_from_metrics([{p.name: p.value for p in points[r.id].values()} for r in runs])

    def format_table(self, table: report.BenchmarkTable, fmt: str = "text", *, color: bool = False) -> str:
        from synvita import report

        return report.format_table(table, fmt, color=color)

    def table_view(self, table: report.BenchmarkTable, view: str) -> report.BenchmarkTable:
        """The table restricted to one view: main, probe, types, controls or all (UserInputError for another)."""
        from synvita.report import views

        return views.select_view(table, view)

    def table_views(self, table: report.BenchmarkTable) -> list[str]:
        """The extra views (probe, types, controls) this table has columns for."""
        from synvita.report import views

        return views.views_present(table)

    def table_findings(self, table: report.BenchmarkTable) -> list[str]:
        """One line per row that differs from the baseline, stated from the table's numbers (see report.views)."""
        from synvita.report import views

        return views.findings(table)


def chance_levels(benchmarks: set[str]) -> dict[str, float | None]:
    """Chance level of each named benchmark registered in `synvita.registry.BENCHMARKS` (its `BenchmarkInfo.chance`,
    None where it declares none); a name no longer registered is left out."""
    from synvita.registry import BENCHMARKS

    levels: dict[str, float | None] = {}
    for name in sorted(benchmarks):
        if name in BENCHMARKS:
            info = getattr(BENCHMARKS.get(name), "info", None)
            levels[name] = getattr(info, "chance", None)
    return levels
