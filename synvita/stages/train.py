"""Stage `train`: fine-tune the alignment model with one variant (inputs: world; pretrain for a model that starts
from its init, e.g. tiny, while videollm starts from `[model] path`; generate + score for the synthetic variants).
The model component builds the model; the loop honours [train]'s device, precision and micro-batches. Resumable: a
re-run (a retry, or a Slurm job requeued after its warning signal) continues from `<run_dir>/checkpoint.pt`.

Emits `metric` events loss_real / loss_synth / loss_scr / lr per logged step and writes `<run_dir>/model/`. With
`[train] processes` it runs as that many ranks (synvita.stages.ranks); rank 0 writes everything.
"""

from __future__ import annotations

from synvita.stages import StageContext


def run(ctx: StageContext) -> None:
    import time

    from synvita import preemption
    from synvita.registry import MODELS
    from synvita.training.loop import TrainConfig, train
    from synvita.training.pipeline import MODEL_DIR, load_scores, training_data, write_json
    from synvita.training.variants import get_variant

    ms = ctx.section("model")
    model = MODELS.get(ms.name).from_section(ms, ctx)
    variant = str(ctx.config.get("variant") or "none")
    spec = get_variant(variant)
    world = ctx.data
    ts = ctx.section("train")
    syn = f_target = f_other = None
    if spec.synthetic:
        syn = ctx.synthetic
        if spec.weight_rule != "one":
            f_target, f_other = load_scores(ctx.inputs["score"])
    data = training_data(world, variant, syn, f_target, f_other, use_extra=ts.extra_negatives,
                         synthetic_types=ts.synthetic_types)
    cfg = TrainConfig.from_section(ts, variant=variant, seed=ctx.seed, n_pairs=len(data.pairs))
    only = f" with synthetic videos of {', '.join(ts.synthetic_types)} only" if ts.synthetic_types else ""
    ctx.events.log(f"training variant={variant} seed={ctx.seed} steps={cfg.steps} on {len(data.pairs)} pairs{only}")

    def on_step(step: int, m: dict) -> None:
        for key in ("loss_real", "loss_synth", "loss_scr", "lr"):
            ctx.events.metric(key, m[key], step)
        ctx.events.progress(step, cfg.steps, f"step {step}/{cfg.steps}")

    t0 = time.perf_counter()
    with preemption.checkpointing():  # Slurm's warning: checkpoint after the current step, then requeue
        result = train(model, data, cfg, run_dir=ctx.run_dir, callback=on_step)
    if not _main_rank():
        return  # rank 0 writes the model and the results of every rank's training
    model.save_pretrained(ctx.run_dir / MODEL_DIR)
    write_json(ctx.run_dir / "train.json", {"variant": variant, "seed": ctx.seed, "steps": result.steps,
                                             "seconds": time.perf_counter() - t0, "sequences": result.sequences,
                                             "last": result.last})
    ctx.events.metric("train_s", result.seconds, result.steps)
    ctx.events.artifact("model", MODEL_DIR)


def _main_rank() -> bool:
    """True in a single process and in rank 0 of several."""
    from synvita.training.distributed import place

    return place().rank == 0
