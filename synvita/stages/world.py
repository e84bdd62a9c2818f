"""Stage `world`: build the experiment's data source (the procedural world from [world], or the `videocon` files
decoded into the frame cache) into `<run_dir>/world`."""

from __future__ import annotations

import json
import time

from synvita.stages import StageContext


def run(ctx: StageContext) -> None:
    from synvita.world.source import WORLD_SUBDIR

    source = ctx.data_source()
    out = ctx.run_dir / WORLD_SUBDIR
    ctx.events.log(f"building {source.describe()} into {out}")
    t0 = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int, msg: str) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] > 1.0:
            last[0] = now
            ctx.events.progress(done, total, msg)

    world = source.build(out, progress=progress)
    ctx.events.metric("world_build_s", time.perf_counter() - t0, 0)
    ctx.events.log("world sets: " + ", ".join(f"{k}={v}" for k, v in world.meta["sets"].items()))
    (out / "stats.json").write_text(json.dumps(source.stats(out), indent=2))
    ctx.events.artifact("world", "world")
    ctx.events.artifact("stats", "world/stats.json")
    if (out / "world.json").exists():
        ctx.events.artifact("world.json", "world/world.json")
