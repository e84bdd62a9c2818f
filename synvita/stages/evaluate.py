"""Stage `evaluate`: the six world benchmarks (×100), per-type AUC, the bias probe and the time controls for a
trained model (inputs: train, world). Emits one `result` event per number and writes the predictions in the
official SynViTA inference-CSV layout under `<run_dir>/predictions/`.
"""

from __future__ import annotations

from synvita.stages import StageContext


def run(ctx: StageContext) -> None:
    import time

    from synvita.benchmarks.world_eval import WORLD_BENCHMARKS, evaluate_all, headline
    from synvita.models.base import load_model
    from synvita.training.pipeline import MODEL_DIR, benchmark_inputs, export_predictions, world_dir, write_json
    from synvita.world import load_world

    world = load_world(world_dir(ctx.inputs["world"]))
    model_dir = ctx.inputs["train"] / MODEL_DIR
    model = load_model(model_dir if model_dir.exists() else ctx.inputs["train"])
    es = ctx.section("evaluate")
    names = list(es.benchmarks or WORLD_BENCHMARKS)
    controls = list(es.controls)
    t0 = time.perf_counter()
    done = [0]
    total = len(names) * (1 + len(controls))

    def on_result(r) -> None:
        ctx.events.result(r.benchmark, r.metric, r.value, subset=r.subset, control=r.control)

    results, raw = evaluate_all(model, benchmark_inputs(world, names), names, controls, seed=ctx.seed, on_result=on_result)
    paths = export_predictions(world, ctx.run_dir / "predictions", raw)
    for p in paths:
        ctx.events.artifact(f"predictions/{p.stem}", f"predictions/{p.name}")
    summary = {"headline": headline(results), "controls": {c: headline(results, c) for c in controls},
               "results": [r.as_event() for r in results], "seconds": time.perf_counter() - t0}
    write_json(ctx.run_dir / "results.json", summary)
    ctx.events.metric("evaluate_s", summary["seconds"], 0)
    ctx.events.progress(total, total, "evaluated")
    del done
