"""Contains `synvita run` (validate, enqueue and execute an experiment) and `synvita worker` (execute queued runs)."""

from __future__ import annotations

import time
from typing import Annotated, Any, Optional

import typer

from synvita.cli._progress import make_reporter
from synvita.cli._utils import (
    JsonOpt,
    SubmissionOpt,
    columns,
    describe_run,
    duration,
    get_api,
    info,
    out,
    print_json,
    use_color,
)
from synvita.api import DEFAULT_EXPERIMENT, Api, default_local_parallel
from synvita.errors import SynvitaError

ExperimentArg = Annotated[
    str,
    typer.Argument(help="Experiment file (path/to/x.toml) or name in experiments/ (e.g. paper-ablations)."),
]
GeneratorOpt = Annotated[Optional[str], typer.Option("--generator", "-g", help="Use only this generator (replaces generation.generators).")]
SeedsOpt = Annotated[Optional[int], typer.Option("--seeds", help="Train seeds 0..N-1 (replaces `seeds`).")]
SetOpt = Annotated[
    Optional[list[str]],
    typer.Option("--set", "-s", help="Override a spec key: --set train.lambda_scr=0.5 (repeatable; lists: a,b or [\"a\",\"b\"])."),
]
SlurmOpt = Annotated[
    Optional[list[str]],
    typer.Option("--slurm", help="Slurm resource over the spec's [slurm] and [slurm.<stage>]: --slurm partition=gpu --slurm time=02:00:00 (repeatable; keys: partition account qos time gres cpus mem nodes constraint extra)."),
]
ExecutorOpt = Annotated[str, typer.Option("--executor", help="local (subprocesses here) or slurm (sbatch jobs; this process ingests).")]


class RunsFailed(SynvitaError):
    """Some runs of a submission failed (exit code 1)."""

    exit_code = 1


def run(
    experiment: ExperimentArg = DEFAULT_EXPERIMENT,
    generator: GeneratorOpt = None,
    seeds: SeedsOpt = None,
    overrides: SetOpt = None,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Only enqueue; a `synvita worker` executes the runs.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and print the runs it would create; enqueue nothing.")] = False,
    executor: ExecutorOpt = "local",
    parallel: Annotated[
        Optional[int],
        typer.Option("--parallel", help="Runs executed at once (local default: one per core, at most 4; slurm 64)."),
    ] = None,
    slurm: SlurmOpt = None,
    json_output: JsonOpt = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="End with every table (probe, per type, controls), not only the main one."),
    ] = False,
) -> None:
    """Run an experiment: validate the spec, enqueue its runs, execute them here with progress, print the table.

    Examples:
      synvita run                                   # the quickstart (experiments/quickstart.toml)
      synvita run paper-ablations --seeds 3
      synvita run --generator cogvideox --set generation.model_path=/models/cogvideox-2b
      synvita run quickstart --set train.lambda_scr=0.5 --detach && synvita worker
      synvita run paper-ablations --executor slurm --slurm partition=gpu --dry-run   # prints each batch script
    """
    api = get_api()
    spec = api.load_experiment(experiment, generator=generator, seeds=seeds, overrides=overrides or [], slurm=slurm or [])
    if dry_run and executor == "slurm":
        scripts = api.batch_scripts(spec)
        if json_output:
            print_json([{"index": i, "stage": p.stage, "variant": p.variant, "generator": p.generator, "seed": p.seed,
                         "script": text} for i, (p, text) in enumerate(scripts)])
            return
        for i, (p, text) in enumerate(scripts):
            label = " ".join(str(x) for x in (p.stage, p.variant, p.generator, p.seed) if x is not None)
            out(f"# ---- run {i}: {label}\n{text}")
        info(f"experiment {spec.name}: {len(scripts)} batch scripts (dry run: nothing enqueued or submitted)")
        return
    if dry_run:
        plan = api.plan(spec)
        if json_output:
            print_json({"experiment": spec.to_dict(), "runs": [p.__dict__ for p in plan]})
            return
        rows = [
            [i, p.stage, p.variant or "", p.generator or "", "" if p.seed is None else p.seed, ",".join(map(str, p.depends_on))]
            for i, p in enumerate(plan)
        ]
        out(columns(["#", "stage", "variant", "generator", "seed", "depends on"], rows))
        info(f"experiment {spec.name}: {len(plan)} runs (dry run: nothing enqueued)")
        return
    submission = api.submit(spec)
    reused = f" ({len(submission.reused)} succeeded runs of earlier submissions reused)" if submission.reused else ""
    info(f"experiment {spec.name}: enqueued {len(submission.runs)} runs as submission {submission.id} in {api.db_path}{reused}")
    if detach:
        if json_output:
            print_json({"submission": submission.id, "experiment": spec.name, "runs": [r.to_dict() for r in submission.runs]})
        else:
            out(submission.id)
        info("execute them with `synvita worker` (or `synvita worker --executor slurm` on a login node)")
        return

    if not submission.runs:  # a resumed experiment with nothing left to run: its table as it stands
        table = api.table(experiment=spec.name, include_controls=True)
        if json_output:
            print_json(table.to_dict())
        elif table.rows:
            print_answer(api, table, submission.id, verbose=verbose)
        return
    if parallel is None and executor == "local":
        parallel = default_local_parallel()
    started_at = time.time()
    with make_reporter(stages=[r.stage for r in submission.runs]) as reporter:
        api.run_worker(
            submission=submission.id, executor=executor, parallel=parallel, until_idle=True, on_event=reporter.on_event
        )
    progress = api.progress(submission.id)
    # headline, then controls and per-type AUC; a resumed experiment's table has its reused runs too
    table = api.table(experiment=spec.name if submission.reused else None,
                      submission=None if submission.reused else submission.id, include_controls=True)
    if json_output:
        print_json(table.to_dict())
    elif table.rows:
        print_answer(api, table, submission.id, verbose=verbose)
    if progress.failed:
        named = "; ".join(f"{r.id} {describe_run(r)} {r.status}: {r.error or 'no error recorded'}" for r in progress.failed[:3])
        more = f" (+{len(progress.failed) - 3} more)" if len(progress.failed) > 3 else ""
        raise RunsFailed(
            f"{len(progress.failed)} run(s) of {submission.id} did not succeed: {named}{more}",
            hint=f"see `synvita runs logs RUN`; re-run with `synvita runs retry RUN` and `synvita worker --submission {submission.id}`",
        )
    if not progress.finished:
        raise RunsFailed(
            f"submission {submission.id} has unfinished runs",
            hint=f"see `synvita runs ls --submission {submission.id}`",
        )
    info(f"done: {progress.counts.get('succeeded', 0)} runs succeeded in {duration(time.time() - started_at)} (submission {submission.id})")


def print_answer(api: Api, table: Any, submission: str, *, verbose: bool) -> None:
    """The main table (every table with `verbose`), one line per finding, and the commands for the other views."""
    out(api.format_table(table if verbose else api.table_view(table, "main"), "text", color=use_color()))
    findings = api.table_findings(table)
    if findings:
        out("")
        out("\n".join(findings))
    others = api.table_views(table)
    if others and not verbose:
        info(f"other tables: `synvita table --submission {submission} --view {'|'.join(others)}` (`--verbose` prints them all)")


def worker(
    executor: ExecutorOpt = "local",
    until_idle: Annotated[bool, typer.Option("--until-idle", help="Exit once nothing is running or claimable.")] = False,
    submission: SubmissionOpt = None,
    max_runs: Annotated[Optional[int], typer.Option("--max-runs", help="Exit after executing this many runs.")] = None,
    parallel: Annotated[Optional[int], typer.Option("--parallel", help="Runs executed at once (local default 1, slurm 64).")] = None,
    lost_after: Annotated[float, typer.Option("--lost-after", help="Seconds without a heartbeat before a run is `lost`.")] = 30.0,
    slurm: SlurmOpt = None,
) -> None:
    """Execute queued runs (all submissions, oldest first) until stopped with Ctrl-C; progress on stderr."""
    api = get_api()

    def started(worker_id: str) -> None:
        info(f"worker {worker_id} on {api.db_path} ({executor}); Ctrl-C stops it and cancels its running runs")

    with make_reporter(total=None) as reporter:
        summary = api.run_worker(
            submission=submission, executor=executor, parallel=parallel, until_idle=until_idle, max_runs=max_runs,
            lost_after_s=lost_after, on_event=reporter.on_event, on_start=started, slurm=slurm or [],
        )
    outcome = ", ".join(f"{n} {status}" for status, n in sorted(summary.statuses.items()))
    count = f"{len(summary.runs)} run{'' if len(summary.runs) == 1 else 's'}"
    info(f"worker {summary.worker_id} executed {count}" + (f" ({outcome})" if outcome else ""))
