"""Experiments: reading and validating specs, planning their runs, submitting them, and the names a spec may use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from synvita import report
from synvita.api.database import Database
from synvita.entities import Run

if TYPE_CHECKING:
    from synvita import specs
    from synvita.runs import plan


@dataclass
class Submission:
    """The runs one `synvita run` created, in dependency order."""

    id: str
    experiment: str
    runs: list[Run]


class ExperimentsApi(Database):
    def load_experiment(
        self,
        path_or_name: str | Path | None = None,
        *,
        generator: str | None = None,
        seeds: int | None = None,
        overrides: list[str] | tuple[str, ...] = (),
        slurm: list[str] | tuple[str, ...] = (),
    ) -> specs.ExperimentSpec:
        """Read and validate an experiment (by path or by name in experiments/; None: the default experiment);
        UserInputError on any problem. `slurm`: `KEY=VALUE` Slurm resources over the spec's [slurm] section and its
        per-stage tables."""
        from synvita import specs

        if path_or_name is None:
            path_or_name = specs.DEFAULT_EXPERIMENT
        return specs.load_spec(path_or_name, generator=generator, seeds=seeds, overrides=overrides, slurm=slurm)

    validate_experiment = load_experiment

    def plan(self, spec: specs.ExperimentSpec) -> list[plan.PlannedRun]:
        """The runs `submit` would create, without touching the database."""
        from synvita.runs import plan

        return plan.plan_runs(spec)

    def batch_scripts(self, spec: specs.ExperimentSpec, *, slurm: list[str] | tuple[str, ...] = ()) -> list[tuple[plan.PlannedRun, str]]:
        """Each planned run with the Slurm batch script `synvita run --executor slurm` would submit for it (run
        directories named `planned-<index>` under this database's runs folder); `slurm`: a worker's `--slurm`
        options. Nothing is written or submitted."""
        from synvita.entities import Run
        from synvita.paths import runs_root
        from synvita.resources import parse_slurm_overrides
        from synvita.runs import plan
        from synvita.runs.executors import SlurmExecutor

        executor = SlurmExecutor(**parse_slurm_overrides(slurm))
        root = runs_root(self.db_path)
        scripts = []
        for i, p in enumerate(plan.plan_runs(spec)):
            run = Run(id=f"planned-{i}", experiment=spec.name, submission="planned", stage=p.stage, status="queued",
                      variant=p.variant, generator=p.generator, seed=p.seed, config=p.config)
            scripts.append((p, executor.script(run, root / run.id)))
        return scripts

    def submit(self, spec: specs.ExperimentSpec) -> Submission:
        """Enqueue every run of the experiment (one transaction: all or nothing)."""
        from synvita.runs import plan
        from synvita.store import NewRun, new_submission_id

        submission = new_submission_id()
        new_runs = [
            NewRun(
                experiment=spec.name,
                submission=submission,
                stage=p.stage,
                variant=p.variant,
                generator=p.generator,
                seed=p.seed,
                depends_on=list(p.depends_on),
                config=p.config,
            )
            for p in plan.plan_runs(spec)
        ]
        return Submission(submission, spec.name, self.store.create_runs(new_runs))

    def experiment_names(self) -> list[str]:
        from synvita import specs

        return specs.experiment_names()

    def generator_names(self) -> list[str]:
        from synvita import specs
        from synvita.registry import GENERATORS

        specs.load_component_registries()
        return GENERATORS.names()

    def variant_names(self) -> list[str]:
        from synvita.config import VARIANTS

        return list(VARIANTS)

    def benchmark_names(self) -> list[str]:
        from synvita import specs
        from synvita.registry import BENCHMARKS

        specs.load_component_registries()
        return BENCHMARKS.names() or report.default_benchmarks()
