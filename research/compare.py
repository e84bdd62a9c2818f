"""Research script, not part of the product: the per-type and control report that docs/temporal.md reads.

    python research/compare.py quickstart --seeds 3 --set train.variants=none    # run the experiment, then report
    python research/compare.py --submission s-1a2b3c                             # report runs already in the database

It runs the experiment as the product does (`synvita run --detach`, then `synvita worker --until-idle`: the same
runs, database and run directories; `--db` as for `synvita`), reads the finished evaluate runs of that submission
through `synvita.api`, and prints per variant:

* the six benchmarks and their mean, plainly and under the two controls (frames shuffled, one frame repeated);
* AUC per misalignment type on entail-llm, on all test rows and on the in-distribution rows, plain and under the
  controls;
* the linguistic-bias probe: entail-human AUC of the rows with held-out concepts against the rest;
* the scorer ensemble members' AUC per type (from the pretrain run's metrics).

Every cell is a mean ± std over seeds computed by `synvita.report.mean` / `synvita.report.sample_std` (the sample std,
ddof 1), so the numbers it shares with `synvita table --controls` are the same.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import Optional, Sequence

from synvita import report
from synvita.api import Api
from synvita.data.types import MISALIGNMENT_TYPES
from synvita.entities import BenchmarkResult, Run

CONTROLS = (None, "shuffled", "single-frame")
CONTROL_TITLES = {None: "Six benchmarks (x100)", "shuffled": "Control: shuffled frames",
                  "single-frame": "Control: single repeated frame"}
SHORT = {"entail-llm": "LLM", "entail-human": "Human", "entail-human-hard": "H-Hard", "retrieval-temporal": "R-Temp",
         "retrieval-events": "R-Events", "qa-hard": "QA-Hard"}

Key = tuple[str, str, Optional[str], Optional[str]]
"""(benchmark, metric, subset, control) of one result."""


def cell(values: Sequence[float | None]) -> str:
    """mean ± std over the seeds that have the value, as `synvita table` writes it ('62.00±0.71'); '—' for none."""
    present = [v for v in values if v is not None]
    if not present:
        return "—"
    std = report.sample_std(present)
    return f"{report.mean(present):.2f}" + (f"±{std:.2f}" if std is not None else "")


def rows_of(runs: list[Run]) -> dict[str, list[Run]]:
    """Evaluate runs grouped into table rows: by variant, plus generator and sweep where those vary."""
    generators = {r.generator for r in runs if r.generator}
    rows: dict[str, list[Run]] = {}
    for run in sorted(runs, key=lambda r: (r.seed is None, r.seed or 0, r.created_at)):
        parts = [run.variant or run.stage]
        if len(generators) > 1 and run.generator:
            parts.append(run.generator)
        parts += [f"{k.split('.')[-1]}={v}" for k, v in sorted((run.config.get("sweep") or {}).items())]
        rows.setdefault(" · ".join(str(p) for p in parts), []).append(run)
    return rows


def format_report(rows: dict[str, list[dict[Key, float]]], scorers: dict[str, dict[str, float]] | None = None) -> str:
    """The printed report from each row's per-seed results ({(benchmark, metric, subset, control): value})."""
    headline: dict[str, str] = {}  # benchmark → its headline metric: the first reported without subset or control
    for results in (r for seeds in rows.values() for r in seeds):
        for benchmark, metric, subset, control in results:
            if subset is None and control is None:
                headline.setdefault(benchmark, metric)
    order = report.default_benchmarks()
    benchmarks = [b for b in order if b in headline] + sorted(b for b in headline if b not in order)
    width = max([12] + [len(label) + 2 for label in rows])
    lines: list[str] = []
    header = f"{'variant':<{width}}" + "".join(f"{SHORT.get(b, b):>13}" for b in benchmarks) + f"{'mean':>13}"
    for control in CONTROLS:
        lines += ["", CONTROL_TITLES[control], header]
        for label, seeds in rows.items():
            per_seed = [[r.get((b, headline[b], None, control)) for b in benchmarks] for r in seeds]
            means = [None if None in values else report.mean(values) for values in per_seed]
            lines.append(f"{label:<{width}}" + "".join(f"{cell([v[i] for v in per_seed]):>13}" for i in range(len(benchmarks)))
                         + f"{cell(means):>13}")
    column = max([15] + [len(f"{label} shuffled") + 2 for label in rows])
    for prefix, title in (("type", "all test rows"), ("id-type", "in-distribution rows (no held-out concept)")):
        lines += ["", f"AUC per misalignment type on entail-llm, {title} (x100)",
                  f"{'type':<14}" + "".join(f"{label + ' ' + c:>{column}}" for label in rows
                                            for c in ("plain", "shuffled", "1-frame"))]
        for t in MISALIGNMENT_TYPES:
            lines.append(f"{t:<14}" + "".join(
                f"{cell([r.get(('entail-llm', 'auc', f'{prefix}={t}', control)) for r in seeds]):>{column}}"
                for seeds in rows.values() for control in CONTROLS))
    lines += ["", "Linguistic-bias probe on entail-human: AUC of rows with held-out concepts vs the rest (x100)",
              f"{'variant':<{width}}{'held-out':>13}{'seen':>13}{'gap':>13}"]
    for label, seeds in rows.items():
        held_out = [r.get(("entail-human", "auc", "held-out=yes", None)) for r in seeds]
        seen = [r.get(("entail-human", "auc", "held-out=no", None)) for r in seeds]
        gap = [None if s is None or h is None else s - h for s, h in zip(seen, held_out)]
        lines.append(f"{label:<{width}}{cell(held_out):>13}{cell(seen):>13}{cell(gap):>13}")
    if scorers:
        lines += ["", "Scorer ensemble members on entail-llm (AUC x100, per type)",
                  f"{'member':<12}{'all':>8}" + "".join(f"{t[:9]:>11}" for t in MISALIGNMENT_TYPES)]
        for member, aucs in sorted(scorers.items()):
            lines.append(f"{'scorer ' + member:<12}{aucs.get('all', float('nan')):>8.1f}"
                         + "".join(f"{aucs.get('type=' + t, float('nan')):>11.1f}" for t in MISALIGNMENT_TYPES))
    return "\n".join(lines)


def by_key(results: list[BenchmarkResult]) -> dict[Key, float]:
    return {(r.benchmark, r.metric, r.subset, r.control): r.value for r in results}


def scorer_aucs(api: Api, submission: str) -> dict[str, dict[str, float]]:
    """Per scorer member, its entail-llm AUC per subset, from the metrics `scorer{k}_auc/{subset}` of the pretrain run."""
    out: dict[str, dict[str, float]] = {}
    for run in api.list_runs(submission=submission, stage="pretrain", status="succeeded"):
        for point in api.metrics(run.id):
            name, _, subset = point.name.partition("_auc/")
            if subset and name.startswith("scorer"):
                out.setdefault(name.removeprefix("scorer"), {})[subset] = point.value
    return out


def submission_report(api: Api, submission: str) -> str:
    runs = api.list_runs(submission=submission, stage="evaluate", status="succeeded", order_by="created_at",
                         descending=False)
    if not runs:
        raise SystemExit(f"error: no finished evaluate runs in submission {submission} ({api.db_path})")
    rows = {label: [by_key(api.results(run.id)) for run in group] for label, group in rows_of(runs).items()}
    return format_report(rows, scorer_aucs(api, submission))


def synvita(db: str | None, *args: str, capture: bool = False) -> str:
    """Run the `synvita` command line (this interpreter, so the same installation); stop on failure."""
    command = [sys.executable, "-m", "synvita.cli.app", *(["--db", db] if db else []), *args]
    done = subprocess.run(command, stdout=subprocess.PIPE if capture else None, text=True)
    if done.returncode != 0:
        raise SystemExit(done.returncode)
    return done.stdout or ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("experiment", nargs="?", default="quickstart", help="experiment name in experiments/ or a path")
    ap.add_argument("--seeds", type=int, help="train seeds 0..N-1 (as `synvita run --seeds`)")
    ap.add_argument("--set", action="append", default=[], help="SECTION.KEY=VALUE (as `synvita run --set`)")
    ap.add_argument("--generator", help="as `synvita run --generator`")
    ap.add_argument("--parallel", type=int, default=2, help="runs executed at once by the worker")
    ap.add_argument("--db", help="database file or folder (default: as `synvita`)")
    ap.add_argument("--submission", help="report this submission's runs instead of running the experiment")
    args = ap.parse_args(argv)
    submission = args.submission
    if submission is None:
        run_args = ["run", args.experiment, "--detach"]
        run_args += ["--seeds", str(args.seeds)] if args.seeds is not None else []
        run_args += ["--generator", args.generator] if args.generator else []
        for item in args.set:
            run_args += ["--set", item]
        submission = synvita(args.db, *run_args, capture=True).strip()
        synvita(args.db, "worker", "--submission", submission, "--until-idle", "--parallel", str(args.parallel))
    with Api(db=args.db, read_only=True) as api:
        print(f"submission {submission} ({api.db_path})")
        print(submission_report(api, submission))
    return 0


if __name__ == "__main__":
    sys.exit(main())
