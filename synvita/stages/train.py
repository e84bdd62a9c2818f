"""Stage `train`: fine-tune the alignment model with one variant (inputs: world, pretrain; generate + score for
the synthetic variants). Resumable: a re-run continues from `<run_dir>/checkpoint.pt`.

Emits `metric` events loss_real / loss_synth / loss_scr / lr per logged step and writes `<run_dir>/model/`.
"""

from __future__ import annotations

from synvita.stages import StageContext


def run(ctx: StageContext) -> None:
    import time

    from synvita.models.base import load_model
    from synvita.training.loop import TrainConfig, train
    from synvita.training.pipeline import (INIT_DIR, MODEL_DIR, load_scores, synthetic_dir, training_data, world_dir,
                                           write_json)
    from synvita.training.variants import get_variant
    from synvita.world import load_world

    model_name = ctx.section("model").name
    if model_name != "tiny":
        from synvita.errors import UserInputError

        raise UserInputError(
            f"the train stage fine-tunes only the embedded `tiny` model so far (model.name = '{model_name}')",
            hint="the videollm backend is usable from Python (synvita.training.loop.train); see docs/backends.md",
        )
    variant = str(ctx.config.get("variant") or "none")
    spec = get_variant(variant)
    world = load_world(world_dir(ctx.inputs["world"]))
    ts = ctx.section("train")
    syn = f_target = f_other = None
    if spec.synthetic:
        from synvita.world.synthetic import load_synthetic

        syn = load_synthetic(synthetic_dir(ctx.inputs["generate"]))
        if spec.weight_rule != "one":
            f_target, f_other = load_scores(ctx.inputs["score"])
    data = training_data(world, variant, syn, f_target, f_other, use_extra=ts.extra_negatives)
    model = load_model(ctx.inputs["pretrain"] / INIT_DIR if (ctx.inputs["pretrain"] / INIT_DIR).exists() else ctx.inputs["pretrain"])
    cfg = TrainConfig.from_section(ts, variant=variant, seed=ctx.seed, n_pairs=len(data.pairs))
    ctx.events.log(f"training variant={variant} seed={ctx.seed} steps={cfg.steps} on {len(data.pairs)} pairs")

    def on_step(step: int, m: dict) -> None:
        for key in ("loss_real", "loss_synth", "loss_scr", "lr"):
            ctx.events.metric(key, m[key], step)
        ctx.events.progress(step, cfg.steps, f"step {step}/{cfg.steps}")

    t0 = time.perf_counter()
    result = train(model, data, cfg, run_dir=ctx.run_dir, callback=on_step)
    model.save_pretrained(ctx.run_dir / MODEL_DIR)
    write_json(ctx.run_dir / "train.json", {"variant": variant, "seed": ctx.seed, "steps": result.steps,
                                             "seconds": time.perf_counter() - t0, "sequences": result.sequences,
                                             "last": result.last})
    ctx.events.metric("train_s", result.seconds, result.steps)
    ctx.events.artifact("model", MODEL_DIR)
