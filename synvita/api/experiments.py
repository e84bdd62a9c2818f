"""Experiments: reading and validating specs, planning their runs, submitting them, and the names a spec may use."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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
    reused: list[Run] = field(default_factory=list)
    """Succeeded runs of an earlier submission that stand in for planned runs (a spec with `resume = true`)."""


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
        """Enqueue every run of the experiment (one transaction: all or nothing). With `spec.resume`, a planned run
        that an earlier submission already ran (`reusable_runs`) is not made again: what depends on it reads it."""
        from synvita.runs import plan
        from synvita.store import NewRun, new_submission_id

        submission = new_submission_id()
        planned = plan.plan_runs(spec)
        reused = self.reusable_runs(spec.name, planned) if spec.resume else {}
        position: dict[int, int] = {}  # planned index → index among the new runs
        new_runs = []
        for i, p in enumerate(planned):
            if i in reused:
                continue
            position[i] = len(new_runs)
            new_runs.append(NewRun(
                experiment=spec.name,
                submission=submission,
                stage=p.stage,
                variant=p.variant,
                generator=p.generator,
                seed=p.seed,
                depends_on=[reused[d].id if d in reused else position[d] for d in p.depends_on],
                config=p.config,
            ))
        created = self.store.create_runs(new_runs) if new_runs else []
        return Submission(submission, spec.name, created, list(reused.values()))

    def reusable_runs(self, experiment: str, planned: list[plan.PlannedRun]) -> dict[int, Run]:
        """Planned index → a succeeded run of `experiment` with the same stage, variant, generator, seed and config
        whose dependencies are the runs reused for the planned run's own (so a run is reused only with its whole
        lineage; the newest such run when there are several)."""
        done: dict[str, list[Run]] = {}
        for run in self.list_runs(experiment=experiment, status="succeeded", order_by="created_at", descending=True):
            done.setdefault(_run_key(run.stage, run.variant, run.generator, run.seed, run.config), []).append(run)
        reused: dict[int, Run] = {}
        for i, p in enumerate(planned):
            if not all(d in reused for d in p.depends_on):
                continue
            deps = {reused[d].id for d in p.depends_on}
            match = next((r for r in done.get(_run_key(p.stage, p.variant, p.generator, p.seed, p.config), [])
                          if set(r.depends_on) == deps), None)
            if match is not None:
                reused[i] = match
        return reused

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


def _run_key(stage: str, variant: str | None, generator: str | None, seed: int | None, config: dict) -> str:
    """What makes two runs the same run: stage, variant, generator, seed and config (as sorted JSON)."""
    return json.dumps([stage, variant, generator, seed, config], sort_keys=True, default=str)
