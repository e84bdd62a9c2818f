"""Stage `world`: build the procedural world into `<run_dir>/world` from the experiment's [world] section."""

from __future__ import annotations

import json
import time

from synvita.stages import StageContext


def run(ctx: StageContext) -> None:
    from synvita.world import build_world
    from synvita.world.stats import world_stats

    section = ctx.section("world")
    preset, seed = section.preset, section.seed
    out = ctx.run_dir / "world"
    ctx.events.log(f"building world preset={preset} seed={seed} into {out}")
    t0 = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int, msg: str) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] > 1.0:
            last[0] = now
            ctx.events.progress(done, total, msg)

    world = build_world(preset, seed, out, progress=progress, overrides=section.overrides or None)
    ctx.events.metric("world_build_s", time.perf_counter() - t0, 0)
    ctx.events.log("world sets: " + ", ".join(f"{k}={v}" for k, v in world.meta["sets"].items()))
    (out / "stats.json").write_text(json.dumps(world_stats(out), indent=2))
    ctx.events.artifact("world", "world")
    ctx.events.artifact("stats", "world/stats.json")
    ctx.events.artifact("world.json", "world/world.json")
