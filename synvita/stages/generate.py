"""Stage `generate`: one synthetic video G(t^s) per training pair, written to `<run_dir>/synthetic`.

Reads the world from the upstream run `ctx.inputs["world"]`, the generator name from `ctx.config["generator"]`
and builds the registered generator from the [generation] section. The generator writes the set
(`Generator.synthesize`): the procedural one renders whole batches in memory; real generators write one mp4 per
video under `<run_dir>/synthetic/generated/` (skipped when already there, so a retried run resumes), then
conformed to the world's clip shape. Their `faithful` is unknown (None), which score/train tolerate.
Missing weights surface as the generator's one-line `NotFoundError`, i.e. the run's error.
"""

from __future__ import annotations

import json
import time

from synvita.stages import StageContext


def run(ctx: StageContext) -> None:
    from synvita.registry import GENERATORS
    from synvita.world.stats import synthetic_stats

    world = ctx.data
    section = ctx.section("generation")
    name = str(ctx.config.get("generator") or section.generators[0])
    out = ctx.run_dir / "synthetic"
    n_pairs = len(world.split("train")[1])
    t0 = time.perf_counter()
    ctx.events.log(f"loading generator {name}")
    generator = GENERATORS.get(name).from_section(section, ctx)
    last = [0.0]

    def progress(done: int, total: int, msg: str) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] > 1.0:
            last[0] = now
            ctx.events.progress(done, total, msg)

    before = len(list((out / "generated" / "videos").glob("*.mp4"))) if (out / "generated").is_dir() else 0
    ctx.events.log(f"{generator.log_line()} for {n_pairs} train pairs" + (f" ({before} already generated, skipped)" if before else ""))
    syn = generator.synthesize(world, out, ctx.seed, progress=progress)
    ctx.events.metric("generate_s", time.perf_counter() - t0, 0)
    if syn.knows_faithful and len(syn):
        known = syn.faithful if syn.faithful_known is None else syn.faithful[syn.faithful_known]
        ctx.events.metric("faithful_rate", float(known.mean()), 0)
    per_type = synthetic_stats(out)
    (out / "stats.json").write_text(json.dumps(per_type, indent=2))
    for etype, v in per_type["per_type"].items():
        if v["faithful"] is None:
            ctx.events.log(f"{etype}: {v['videos']} videos (faithfulness unknown for {name})")
        else:
            ctx.events.log(f"{etype}: {v['videos']} videos, failed {v['failed']:.2f}, faithful {v['faithful']:.2f}")
    ctx.events.artifact("synthetic", "synthetic")
    ctx.events.artifact("stats", "synthetic/stats.json")
    ctx.events.artifact("manifest", "synthetic/manifest.csv")
    ctx.events.artifact("videocon_train", "synthetic/videocon_train.csv")
