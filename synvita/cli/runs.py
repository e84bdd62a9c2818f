"""Contains the `synvita runs` command group: ls, show, logs, cancel, rerun, retry."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Optional

import typer

from synvita.api import sanitize_terminal_text
from synvita.cli._utils import (
    ExperimentOpt,
    JsonOpt,
    RunIdArg,
    SubmissionOpt,
    ago,
    columns,
    describe_run,
    duration,
    get_api,
    info,
    lines_out,
    out,
    print_json,
    print_records,
    typer_factory,
)

runs_cli = typer_factory(help="List, inspect, follow, cancel, rerun and retry runs.")


@runs_cli.command("ls")
def ls(
    status: Annotated[Optional[list[str]], typer.Option("--status", help="Only these statuses (repeatable or a,b).")] = None,
    experiment: ExperimentOpt = None,
    stage: Annotated[Optional[str], typer.Option("--stage", help="Only this stage (world, generate, train, ...).")] = None,
    variant: Annotated[Optional[str], typer.Option("--variant", help="Only this training variant.")] = None,
    submission: SubmissionOpt = None,
    search: Annotated[Optional[str], typer.Option("--search", "-q", help="Substring of id/experiment/stage/variant/...")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many runs (newest first); 0 = all.")] = 50,
    json_output: JsonOpt = False,
) -> None:
    """List runs, newest first. Running runs without a heartbeat for $SYNVITA_LOST_AFTER s (30) become `lost` first."""
    api = get_api()
    _reap_lost(api)
    statuses = [s for item in (status or []) for s in item.split(",") if s] or None
    filters = dict(status=statuses, experiment=experiment, stage=stage, variant=variant, submission=submission, text=search)
    if json_output:  # each run's fields but its config, straight from the rows
        summaries = api.run_summaries(**filters, limit=limit or None)
        print_records(summaries.keys, summaries.rows)
        return
    runs = api.list_runs(**filters, limit=limit or None)
    if not runs:
        info(f"no runs in {api.db_path}" + (" matching the filters" if any(filters.values()) else ""))
        return
    rows = [
        [
            r.id, r.status, r.stage, r.experiment, r.variant or "", r.generator or "",
            "" if r.seed is None else r.seed, _progress_text(r),
            "" if r.key_metric is None else f"{r.key_metric:.4g}", duration(r.duration), ago(r.created_at),
        ]
        for r in runs
    ]
    out(columns(["id", "status", "stage", "experiment", "variant", "generator", "seed", "progress", "key", "took", "created"], rows, right={6, 8}))
    total = api.count_runs(**filters)
    if total > len(runs):
        info(f"{len(runs)} of {total} runs shown (--limit 0 shows all)")


def _reap_lost(api: Any) -> None:
    """Runs of a dead worker (no heartbeat for $SYNVITA_LOST_AFTER s, default 30) become `lost` here, so a killed
    worker's runs do not stay `running` forever when no other worker runs; a note names them on stderr."""
    for run in api.reap_lost():
        info(f"{run.id} {run.status}: {run.error}")


def _progress_text(run: Any) -> str:
    if run.status == "running" and run.progress is not None:
        return f"{100 * run.progress:.0f}%"
    if run.status in ("failed", "lost", "cancelled") and run.error:
        return run.error[:40]
    return ""


@runs_cli.command("show")
def show(run_id: RunIdArg, json_output: JsonOpt = False) -> None:
    """A run's details: status, dependencies, config, results, latest metrics and last log lines."""
    api = get_api()
    api.get_run(run_id)  # an unknown id fails before anything is written
    _reap_lost(api)
    run = api.get_run(run_id)
    results = api.results(run.id)
    metrics = api.latest_metrics(run.id)
    events = api.logs(run.id, kinds=["log"], tail=10)
    attempts = api.attempts(run.id)
    if json_output:
        data = run.to_dict()
        data["results"] = [r.__dict__ for r in results]
        data["metrics"] = {name: {"step": p.step, "value": p.value} for name, p in metrics.items()}
        data["artifacts"] = [a.__dict__ for a in api.artifacts(run.id)]
        data["dependants"] = api.dependants(run.id)
        data["environment"] = api.environment(run.id)
        data["attempts"] = [a.__dict__ for a in attempts]
        print_json(data)
        return
    lines = [
        f"run         {run.id}  ({describe_run(run)})",
        f"status      {run.status}" + (f"  {100 * run.progress:.0f}% {run.progress_msg}" if run.status == "running" and run.progress is not None else ""),
        f"experiment  {run.experiment}  submission {run.submission}",
        f"attempt     {run.attempt}" + (f"  worker {run.worker}" if run.worker else ""),
        f"created     {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(run.created_at))}"
        + (f"  took {duration(run.duration)}" if run.duration is not None else ""),
        f"depends on  {', '.join(run.depends_on) or '-'}",
        f"run dir     {run.run_dir}",
    ]
    if run.error:
        lines.append(f"error       {run.error}")
    if run.config.get("rerun_of"):
        lines.append(f"rerun of    {run.config['rerun_of']}")
    env = api.environment(run.id)
    if env is not None:
        lines += ["", "environment"] + [f"  {line}" for line in environment_lines(env)]
    if attempts and attempts[-1].resources:
        lines.append("resources   " + " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
                                          for k, v in attempts[-1].resources.items()))
    if attempts:
        lines += ["", "attempts"] + [f"  {_attempt_line(a)}" for a in attempts]
    headline = [r for r in results if r.subset is None and r.control is None]
    if headline:
        lines += ["", "results"] + [f"  {r.benchmark:<22} {r.metric:<8} {r.value:8.2f}" for r in headline]
        extra = len(results) - len(headline)
        if extra:
            lines.append(f"  (+{extra} per-type/control results: `synvita table {run.id} --controls`)")
    if metrics:
        lines += ["", "latest metrics"] + [f"  {name:<22} {p.value:10.4g}  (step {p.step})" for name, p in sorted(metrics.items())]
    own = {k: v for k, v in run.config.items() if not isinstance(v, dict)}
    lines += ["", "config (run keys; `--json` for all sections)"] + [f"  {k} = {json.dumps(v)}" for k, v in sorted(own.items())]
    if events:
        lines += ["", "last log lines"] + [f"  {_event_line(e)}" for e in events]
    lines_out(lines)


def environment_lines(env: dict[str, Any]) -> list[str]:
    """Where a run ran: host, CPU, Python, git commit, GPUs (model, count, driver, CUDA) and every package version."""
    git = env.get("git") or {}
    cpu = env.get("cpu")
    cpu_text = (f"{cpu.get('model') or '?'}  {cpu.get('cores')} of {cpu.get('cores_online')} cores usable"
                if isinstance(cpu, dict) else "not recorded")
    if env.get("torch_threads"):
        cpu_text += f"  torch threads {env['torch_threads']}"
    gpu = env.get("gpu")
    if isinstance(gpu, dict):
        models = ", ".join(dict.fromkeys(gpu.get("models") or []))
        gpu_text = f"{gpu.get('count')} × {models}  driver {gpu.get('driver') or '?'}  CUDA {gpu.get('cuda') or '?'}"
    else:
        gpu_text = str(gpu or "not recorded")
    key_packages = {k: v for k, v in (env.get("packages") or {}).items() if v}
    installed = env.get("installed") or {}
    return [
        f"host        {env.get('host')}  ({env.get('platform')})",
        f"cpu         {cpu_text}",
        f"python      {env.get('python')}  {env.get('executable')}",
        f"git         {git.get('commit') or '-'}" + ("  (local changes)" if git.get("dirty") else ""),
        f"gpu         {gpu_text}",
        "packages    " + " ".join(f"{name}=={version}" for name, version in key_packages.items())
        + (f"  (+{len(installed)} installed distributions with versions: `--json`)" if installed else ""),
    ]


def _attempt_line(attempt: Any) -> str:
    """`#2  slurm job 1234 on node7  12:00:01 → 12:30:44  requeued by Slurm`."""
    def clock(ts: float | None) -> str:
        return time.strftime("%H:%M:%S", time.localtime(ts)) if ts else "…"

    where = f" on {attempt.node}" if attempt.node else ""
    job = f" job {attempt.job_id}" if attempt.job_id else ""
    return (f"#{attempt.number}  {attempt.executor}{job}{where}  {clock(attempt.started_at or attempt.submitted_at)} → "
            f"{clock(attempt.ended_at)}  {attempt.end_reason or ('running' if attempt.ended_at is None else '')}").rstrip()


def _event_line(event: Any) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(event.ts))
    data = event.data
    if event.kind == "log":
        level = data.get("level", "info")
        return f"{stamp} {'' if level == 'info' else level.upper() + ' '}{data.get('msg', '')}"
    if event.kind == "progress":
        return f"{stamp} progress {data.get('done')}/{data.get('total')} {data.get('msg', '')}".rstrip()
    if event.kind == "metric":
        return f"{stamp} metric {data.get('name')}={data.get('value'):.4g} step {data.get('step')}"
    if event.kind == "result":
        where = "".join(f" {data[k]}" for k in ("subset", "control") if data.get(k))
        return f"{stamp} result {data.get('benchmark')}{where} {data.get('metric')}={data.get('value'):.2f}"
    return f"{stamp} {event.kind} {json.dumps({k: v for k, v in data.items() if k not in ('seq', 'ts', 'kind')})}"


@runs_cli.command("logs")
def logs(
    run_id: RunIdArg,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new events until the run stops.")] = False,
    tail: Annotated[Optional[int], typer.Option("--tail", "-n", help="Only the last N events.")] = None,
    all_kinds: Annotated[bool, typer.Option("--all", "-a", help="All events (progress, metrics, results), not only log lines.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="One JSON object per line (JSONL).")] = False,
) -> None:
    """Print a run's log (its ingested events); -f follows a running run."""
    api = get_api()
    run = api.get_run(run_id)
    kinds = None if all_kinds else ["log"]
    events = api.follow_logs(run.id, tail=tail, kinds=kinds) if follow else api.logs(run.id, tail=tail, kinds=kinds)
    for event in events:
        if json_output:
            typer.echo(json.dumps({"seq": event.seq, "ts": event.ts, "kind": event.kind, **event.data}, default=str))
        else:
            out(sanitize_terminal_text(_event_line(event), multiline=True))
    if follow:
        final = api.get_run(run.id)
        info(f"{final.id} {final.status}" + (f": {final.error}" if final.error else ""))


@runs_cli.command("cancel")
def cancel(run_id: RunIdArg) -> None:
    """Cancel a queued or running run (its worker stops the job); runs that depend on it are cancelled too."""
    run = get_api().cancel(run_id)
    out(f"{run.id} {run.status}")


@runs_cli.command("rerun")
def rerun(
    run_id: RunIdArg,
    overrides: Annotated[
        Optional[list[str]],
        typer.Option("--set", "-s", help="Change a config key of the new run: --set train.lambda_scr=0.5 (repeatable)."),
    ] = None,
) -> None:
    """Enqueue a new run from a run's recorded config (same seed, same input runs, new id, linked to the original).

    Examples:
      synvita runs rerun r-1a2b3c && synvita worker --until-idle && synvita diff r-1a2b3c NEW
      synvita runs rerun r-1a2b3c --set train.lambda_scr=0.5
    """
    run = get_api().rerun(run_id, overrides or [])
    out(run.id)
    info(f"{run.id} queued as a rerun of {run_id} (submission {run.submission}); execute it with "
         f"`synvita worker --submission {run.submission} --until-idle`, then compare: `synvita diff {run_id} {run.id}`")


@runs_cli.command("retry")
def retry(run_id: RunIdArg) -> None:
    """Re-queue a failed, lost or cancelled run under the same id (with the runs its failure cancelled)."""
    run = get_api().retry(run_id)
    out(f"{run.id} {run.status} (attempt {run.attempt})")
    info("a running `synvita worker` picks it up; or start one: `synvita worker --until-idle`")
