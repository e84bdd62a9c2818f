"""Stage `evaluate`: the registered benchmarks of [evaluate] (×100; the six world benchmarks by default), per-type
AUC, the bias probe and the time controls for a trained model (inputs: train, world). Emits one `result` event per
number and writes the predictions in the official SynViTA inference-CSV layout under `<run_dir>/predictions/`.
Each benchmark's chance level, chance band and oracle on the evaluated set are recorded as metrics of the run
(`synvita.benchmarks.reference`), for the table's footer.
"""

from __future__ import annotations

from synvita.stages import StageContext


def run(ctx: StageContext) -> None:
    import time

    from synvita.benchmarks.reference import reference
    from synvita.benchmarks.world import WORLD_BENCHMARKS
    from synvita.benchmarks.world_eval import headline, run_benchmarks
    from synvita.hub import pick_device
    from synvita.models.base import load_model
    from synvita.registry import BENCHMARKS
    from synvita.training.pipeline import MODEL_DIR, export_predictions, write_json

    world = ctx.data
    model_dir = ctx.inputs["train"] / MODEL_DIR
    model = load_model(model_dir if model_dir.exists() else ctx.inputs["train"])
    model.to(pick_device(ctx.section("train").device))  # where it trained ([train] device)
    es = ctx.section("evaluate")
    benches = [BENCHMARKS.get(name).from_section(es, ctx) for name in es.benchmarks or WORLD_BENCHMARKS]
    controls = list(es.controls)
    t0 = time.perf_counter()
    total = len(benches) * (1 + len(controls))

    def on_result(r) -> None:
        ctx.events.result(r.benchmark, r.metric, r.value, subset=r.subset, control=r.control)

    inputs = [(bench, *bench.inputs(world)) for bench in benches]
    for bench, _, items in inputs:
        ref = reference(bench, items)
        for name, value in (ref.as_metrics(bench.name) if ref else {}).items():
            ctx.events.metric(name, value, 0)
    results, raw = run_benchmarks(model, inputs, controls, seed=ctx.seed, on_result=on_result)
    paths = export_predictions(world, ctx.run_dir / "predictions", inputs, raw)
    for p in paths:
        ctx.events.artifact(f"predictions/{p.stem}", f"predictions/{p.name}")
    summary = {"headline": headline(results), "controls": {c: headline(results, c) for c in controls},
               "results": [r.as_event() for r in results], "seconds": time.perf_counter() - t0}
    write_json(ctx.run_dir / "results.json", summary)
    ctx.events.metric("evaluate_s", summary["seconds"], 0)
    ctx.events.progress(total, total, "evaluated")
