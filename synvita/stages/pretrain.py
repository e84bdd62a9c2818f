"""Stage `pretrain`: the scorer ensemble (and the fine-tuning init) trained on the world's pretrain corpus.

Writes `<run_dir>/scorers/<k>/` (K save_pretrained models, seeds seed·100 + k) and `<run_dir>/init/` (member 0:
the pretrained checkpoint every training variant starts from, as the paper fine-tunes a pretrained video-LLM).
With K ≥ 2 the members train in parallel processes of one thread each, which on a few cores gives more throughput
than one run on all threads (docs/temporal.md).
Reports each member's loss curve, its AUC per misalignment type on the world's entail-llm rows, and its time.
Each member checkpoints under `scorers/<k>/ckpt/` (every 250 steps, and on Slurm's warning signal, which the stage
passes on to its pool processes), so a requeued or retried run continues every member from its checkpoint.
With `[train] processes` the stage runs as that many ranks (synvita.stages.ranks): the members then train one after
another, each on all the ranks (DistributedDataParallel), and rank 0 writes everything.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from synvita.stages import StageContext


def _train_member(source: tuple[str, dict, str], out: str, seed: int, steps: int, lr: float, batch_size: int,
                  use_extra: bool, broken_time: float, model_name: str, overrides: dict, threads: int) -> dict:
    """One member, in its own process: `source` = (data source name, its spec section, the world run directory)."""
    import torch

    from synvita import preemption
    from synvita.config import section_from_dict
    from synvita.registry import DATA_SOURCES
    from synvita.training.distributed import place
    from synvita.training.pipeline import pretrain_scorer

    preemption.install()  # a pool process gets the warning signal from the stage and checkpoints too
    torch.set_num_threads(threads)
    name, section, world_run = source
    world = DATA_SOURCES.get(name).from_section(section_from_dict(name, section), None).load(Path(world_run))
    curve = []
    with preemption.checkpointing():
        model, result = pretrain_scorer(world, seed, steps, lr, batch_size, use_extra, model_name, overrides,
                                        run_dir=Path(out) / "ckpt", callback=lambda s, m: curve.append((s, m["loss"])),
                                        broken_time=broken_time)
    if place().rank == 0:
        model.save_pretrained(out)
    return {"seconds": result.seconds, "curve": curve, "sequences": result.sequences}


def member_type_auc(model, world) -> dict[str, float]:
    from synvita.benchmarks.world_eval import evaluate_benchmark

    if "entail-llm" not in world.benchmark_names():
        return {}
    frames, data = world.benchmark("entail-llm")[0].frames, world.benchmark("entail-llm")[1]
    results, _ = evaluate_benchmark(model, "entail-llm", frames, data)
    return {(r.subset or "all"): r.value for r in results}


def run(ctx: StageContext) -> None:
    import os

    import torch

    from synvita import preemption
    from synvita.models.base import load_model
    from synvita.training.distributed import place
    from synvita.training.pipeline import INIT_DIR, write_json

    world = ctx.data
    source_name = ctx.section("data").source
    source = (source_name, ctx.config.get(source_name) or {}, str(ctx.inputs["world"]))
    sc = ctx.section("scorers")
    members, steps, lr, bs = sc.members, sc.steps, sc.lr, sc.batch_size
    use_extra, broken_time = sc.extra_negatives, sc.broken_time
    model_name = "tiny"  # scorers are always embedded tiny models (the stand-in for VQAScore models)
    model = ctx.section("model")
    overrides = dict(model.config) if model.name == model_name else {}  # another model's config is not tiny's
    root = ctx.run_dir / "scorers"
    ranks = place()
    if ranks.rank == 0:
        root.mkdir(parents=True, exist_ok=True)
    seeds = [ctx.seed * 100 + k for k in range(members)]
    ctx.events.log(f"pretraining {members} scorer(s) for {steps} steps each on {len(world.pretrain[1].caption)} rows")
    t0 = time.perf_counter()
    jobs = [(source, str(root / str(k)), s, steps, lr, bs, use_extra, broken_time, model_name, overrides)
            for k, s in enumerate(seeds)]
    parallel = ranks.world == 1 and members >= 2 and (os.cpu_count() or 1) >= 2
    with preemption.checkpointing():  # Slurm's warning: each member checkpoints after its current step
        if parallel:
            with ProcessPoolExecutor(max_workers=min(members, os.cpu_count() or 1), mp_context=get_context("spawn")) as pool:
                infos = list(pool.map(_train_member, *zip(*[j + (1,) for j in jobs])))
        else:
            infos = [_train_member(*j, torch.get_num_threads()) for j in jobs]
    if ranks.rank != 0:
        return  # rank 0 reports and writes for every rank
    for k, info in enumerate(infos):
        for step, loss in info["curve"]:
            ctx.events.metric(f"scorer{k}_loss", loss, step)
        ctx.events.metric(f"scorer{k}_train_s", info["seconds"], steps)
        ctx.events.progress(k + 1, members, f"scorer {k} trained")
    report = {"members": members, "steps": steps, "seeds": seeds, "seconds": time.perf_counter() - t0, "type_auc": {}}
    for k in range(members):
        model = load_model(root / str(k))
        aucs = member_type_auc(model, world)
        report["type_auc"][str(k)] = aucs
        for subset, value in aucs.items():
            ctx.events.metric(f"scorer{k}_auc/{subset}", value, steps)
        if k == 0:
            model.save_pretrained(ctx.run_dir / INIT_DIR)
    write_json(ctx.run_dir / "pretrain.json", report)
    ctx.events.artifact("scorers", "scorers")
    ctx.events.artifact("init", INIT_DIR)
    ctx.events.log(f"pretrain done in {report['seconds']:.0f} s; scorer 0 entail-llm AUC {report['type_auc']['0'].get('all', float('nan')):.1f}")
