"""One command, the whole comparison through the Python API: world → generate → pretrain → score → train → evaluate.

    python -m synvita.training.compare --preset quickstart --variants none naive synvita --seeds 0

Runs every stage in this process (the same stage functions the run store's workers execute), each in its own run
directory under `--out`, and prints: the six benchmarks (+ mean) per variant, AUC per misalignment type on the
in-distribution test rows, the linguistic-bias probe, and the shuffled / single-frame controls. Stages whose run
directory already holds a finished marker are reused (pass --fresh to redo them), so a second comparison on the
same world skips the world, generation and pretraining.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

DONE = "stage.done.json"


def spec_config(preset: str, overrides: list[str]) -> dict[str, Any]:
    """Sections of experiments/<preset>.toml over the defaults of synvita.config, plus dotted `--set` overrides."""
    import tomllib

    from synvita.config import SECTIONS

    cfg: dict[str, Any] = {name: asdict(cls()) for name, cls in SECTIONS.items()}
    path = Path(__file__).resolve().parents[2] / "experiments" / f"{preset}.toml"
    if path.exists():
        spec = tomllib.loads(path.read_text())
        for name in SECTIONS:
            cfg[name].update(spec.get(name, {}))
    else:
        cfg["world"]["preset"] = preset
    for item in overrides:
        key, _, value = item.partition("=")
        section, _, field = key.partition(".")
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        if section == "world" and field not in cfg["world"]:
            cfg["world"].setdefault("overrides", {})[field] = parsed
        else:
            cfg.setdefault(section, {})[field] = parsed
    return cfg


def run_stage(root: Path, name: str, stage: str, config: dict, inputs: dict[str, Path], fresh: bool, say) -> Path:
    from synvita.events import EventWriter
    from synvita.registry import STAGES
    from synvita.stages import StageContext

    run_dir = root / name
    if (run_dir / DONE).exists() and not fresh:
        say(f"  {name}: reused")
        return run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    ctx = StageContext(run_id=name, stage=stage, run_dir=run_dir, config=config, inputs=inputs)
    ctx.write_config()
    t0 = time.perf_counter()
    with EventWriter(run_dir) as events:
        ctx.events = events
        STAGES.get(stage)(ctx)
    seconds = time.perf_counter() - t0
    (run_dir / DONE).write_text(json.dumps({"seconds": seconds}))
    say(f"  {name}: {seconds:.1f} s")
    return run_dir


def _variant_job(root: str, variant: str, seed: int, cfg: dict, inputs: dict, generator: str, fresh: bool,
                 threads: int) -> tuple[str, str]:
    """train + evaluate of one (variant, seed), in a worker process of its own."""
    import torch

    import synvita.generators  # noqa: F401
    import synvita.models  # noqa: F401
    import synvita.scorers  # noqa: F401
    import synvita.stages  # noqa: F401

    torch.set_num_threads(threads)
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    root_p = Path(root)
    train_name, eval_name = f"train-{variant}-s{seed}", f"evaluate-{variant}-s{seed}"
    tr = run_stage(root_p, train_name, "train", {**cfg, "variant": variant, "seed": seed, "generator": generator},
                   inputs, fresh, say)
    run_stage(root_p, eval_name, "evaluate", {**cfg, "variant": variant, "seed": seed},
              {"world": inputs["world"], "train": tr}, fresh, say)
    return train_name, eval_name


def stage_seconds(run_dir: Path) -> float:
    return float(json.loads((run_dir / DONE).read_text())["seconds"])


def format_tables(evals: dict[str, dict], pretrain_report: dict | None = None) -> str:
    """The printed report: six benchmarks + mean, per-type AUC, bias probe and controls, mean ± std over seeds."""
    from synvita.benchmarks.world_eval import WORLD_BENCHMARKS
    from synvita.data.types import MISALIGNMENT_TYPES

    CELL = 14

    def agg(values):
        values = [v for v in values if v is not None]
        if not values:
            return "—"
        if len(values) == 1:
            return f"{values[0]:.1f}"
        return f"{np.mean(values):.1f}±{np.std(values):.1f}"

    def lookup(results, bench, metric, subset=None, control=None):
        for r in results:
            if r["benchmark"] == bench and r["metric"] == metric and r["subset"] == subset and r["control"] == control:
                return r["value"]
        return None

    from synvita.benchmarks.world_eval import PRIMARY_METRIC

    lines = []
    short = {"entail-llm": "LLM", "entail-human": "Human", "entail-human-hard": "H-Hard", "retrieval-temporal": "R-Temp",
             "retrieval-events": "R-Events", "qa-hard": "QA-Hard"}
    header = f"{'variant':<12}" + "".join(f"{short[b]:>11}" for b in WORLD_BENCHMARKS) + f"{'mean':>11}"
    for title, control in (("Six benchmarks (x100)", None), ("Control: shuffled frames", "shuffled"),
                           ("Control: single repeated frame", "single-frame")):
        lines += ["", title, header]
        for variant, runs in evals.items():
            row = f"{variant:<12}"
            means = []
            for b in WORLD_BENCHMARKS:
                vals = [lookup(r, b, PRIMARY_METRIC[b], None, control) for r in runs]
                row += f"{agg(vals):>11}"
                if all(v is not None for v in vals):
                    means.append(vals)
            if len(means) == len(WORLD_BENCHMARKS):
                row += f"{agg(list(np.mean(np.array(means), axis=0))):>11}"
            lines.append(row)
    types = list(MISALIGNMENT_TYPES)
    for prefix, title in (("type", "all test rows"), ("id-type", "in-distribution rows (no held-out concept)")):
        lines += ["", f"AUC per misalignment type on entail-llm, {title} (x100)",
                  f"{'type':<14}" + "".join(f"{v + ' ' + c:>{CELL}}" for v in evals for c in ("plain", "shuffled", "1-frame"))]
        for t in types:
            row = f"{t:<14}"
            for runs in evals.values():
                for control in (None, "shuffled", "single-frame"):
                    row += f"{agg([lookup(r, 'entail-llm', 'auc', f'{prefix}={t}', control) for r in runs]):>{CELL}}"
            lines.append(row)
    lines += ["", "Linguistic-bias probe on entail-human: AUC of rows with held-out concepts vs the rest (x100)",
              f"{'variant':<12}{'held-out':>11}{'seen':>11}{'gap':>11}"]
    for variant, runs in evals.items():
        ho = [lookup(r, "entail-human", "auc", "held-out=yes") for r in runs]
        seen = [lookup(r, "entail-human", "auc", "held-out=no") for r in runs]
        gap = [s - h for s, h in zip(seen, ho) if s is not None and h is not None]
        lines.append(f"{variant:<12}{agg(ho):>11}{agg(seen):>11}{agg(gap):>11}")
    if pretrain_report:
        lines += ["", "Scorer ensemble members on entail-llm (AUC x100, per type)",
                  f"{'member':<12}{'all':>8}" + "".join(f"{t[:9]:>11}" for t in types)]
        for k, aucs in pretrain_report.get("type_auc", {}).items():
            lines.append(f"{'scorer ' + k:<12}{aucs.get('all', float('nan')):>8.1f}"
                         + "".join(f"{aucs.get('type=' + t, float('nan')):>11.1f}" for t in types))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="quickstart", help="experiment spec in experiments/ (or a world preset)")
    ap.add_argument("--variants", nargs="+", default=None)
    ap.add_argument("--seeds", nargs="+", type=int, default=None)
    ap.add_argument("--out", default="runs/compare", help="root directory of the stage run directories")
    ap.add_argument("--set", action="append", default=[], help="section.key=value (JSON value), e.g. train.steps=300")
    ap.add_argument("--fresh", action="store_true", help="redo stages that already finished under --out")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per process (1 is fastest on a busy CPU)")
    ap.add_argument("--jobs", type=int, default=2, help="(variant, seed) runs trained in parallel processes")
    ap.add_argument("--json", action="store_true", help="also print the results as one JSON object")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    import synvita.generators  # noqa: F401  (registers the built-ins)
    import synvita.models  # noqa: F401
    import synvita.scorers  # noqa: F401
    import synvita.stages  # noqa: F401

    cfg = spec_config(args.preset, args.set)
    variants = args.variants or list(cfg["train"].get("variants") or ["none", "naive", "synvita"])
    seeds = args.seeds if args.seeds is not None else [0]
    root = Path(args.out)
    root.mkdir(parents=True, exist_ok=True)
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    t0 = time.perf_counter()
    world_cfg = {**cfg, "seed": int(cfg["world"].get("seed", 0))}
    say(f"compare: preset={args.preset} variants={variants} seeds={seeds} out={root}")
    world = run_stage(root, "world", "world", world_cfg, {}, args.fresh, say)
    needs_syn = any(v != "none" for v in variants)
    generator = (cfg["generation"].get("generators") or ["procedural"])[0]
    gen = score = None
    if needs_syn:
        gen = run_stage(root, "generate", "generate", {**cfg, "generator": generator, "seed": 0}, {"world": world}, args.fresh, say)
    pretrain = run_stage(root, "pretrain", "pretrain", {**cfg, "seed": 0}, {"world": world}, args.fresh, say)
    if needs_syn:
        score = run_stage(root, "score", "score", {**cfg, "generator": generator, "seed": 0},
                          {"world": world, "generate": gen, "pretrain": pretrain}, args.fresh, say)
    evals: dict[str, list[list[dict]]] = {}
    timings: dict[str, float] = {}
    jobs = []
    cost = {"none": 1, "naive": 2, "weighting": 2}
    for variant in sorted(variants, key=lambda v: -cost.get(v, 4)):  # longest first packs the workers best
        for seed in seeds:
            inputs = {"world": world, "pretrain": pretrain}
            if variant != "none":
                inputs.update(generate=gen, score=score)
            jobs.append((str(root), variant, seed, cfg, inputs, generator, args.fresh, args.threads))
    if args.jobs > 1 and len(jobs) > 1:
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
            list(pool.map(_variant_job, *zip(*jobs)))
    else:
        for job in jobs:
            _variant_job(*job)
    for variant in variants:
        for seed in seeds:
            tr, ev = root / f"train-{variant}-s{seed}", root / f"evaluate-{variant}-s{seed}"
            timings[tr.name] = stage_seconds(tr)
            timings[ev.name] = stage_seconds(ev)
            evals.setdefault(variant, []).append(json.loads((ev / "results.json").read_text())["results"])
    for name in ("world", "generate", "pretrain", "score"):
        if (root / name / DONE).exists():
            timings[name] = stage_seconds(root / name)
    pretrain_report = json.loads((pretrain / "pretrain.json").read_text())
    print(format_tables(evals, pretrain_report))
    total = time.perf_counter() - t0
    print("\nStage times (s): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
    print(f"Wall time of this command: {total:.0f} s (stages reused from an earlier call count 0)")
    if args.json:
        print(json.dumps({"evals": evals, "timings": timings, "wall_s": total}))
    return 0


if __name__ == "__main__":
    from synvita.errors import run_script

    sys.exit(run_script(main))
