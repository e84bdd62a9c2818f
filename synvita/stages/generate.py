"""Stage `generate`: one synthetic video G(t^s) per training pair, written to `<run_dir>/synthetic`.

Reads the world from the upstream run `ctx.inputs["world"]` (its run dir or the world dir itself), the generator
name from `ctx.config["generator"]` and its settings from the [generation] section (profile, failure, look, ...).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from synvita.stages import StageContext


def world_dir(path: Path) -> Path:
    """The world directory inside an upstream world run dir (or the path itself if it is a world dir)."""
    path = Path(path)
    return path if (path / "world.json").exists() else path / "world"


def run(ctx: StageContext) -> None:
    from synvita.world import load_world
    from synvita.world.stats import synthetic_stats
    from synvita.world.synthetic import generate_for_split

    world = load_world(world_dir(ctx.inputs["world"]))
    section = ctx.section("generation")
    generator = str(ctx.config.get("generator") or (section.get("generators") or ["procedural"])[0])
    profile = str(section.get("profile", "default"))
    options: dict = {}
    if generator == "procedural":
        options = {k: section[k] for k in ("failure", "look") if section.get(k)}
    else:
        options = {k: section[k] for k in ("model_path", "videos_dir") if section.get(k)}
    out = ctx.run_dir / "synthetic"
    ctx.events.log(f"generating with {generator} (profile {profile}) for {len(world.split('train')[1])} train pairs")
    t0 = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int, msg: str) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] > 1.0:
            last[0] = now
            ctx.events.progress(done, total, msg)

    syn = generate_for_split(world, generator, profile, ctx.seed, out, progress=progress, options=options)
    ctx.events.metric("generate_s", time.perf_counter() - t0, 0)
    ctx.events.metric("faithful_rate", float(syn.faithful.mean()) if len(syn) else 0.0, 0)
    per_type = synthetic_stats(out)
    (out / "stats.json").write_text(json.dumps(per_type, indent=2))
    for etype, v in per_type["per_type"].items():
        ctx.events.log(f"{etype}: {v['videos']} videos, failed {v['failed']:.2f}, faithful {v['faithful']:.2f}")
    ctx.events.artifact("synthetic", "synthetic")
    ctx.events.artifact("stats", "synthetic/stats.json")
    ctx.events.artifact("manifest", "synthetic/manifest.csv")
    ctx.events.artifact("videocon_train", "synthetic/videocon_train.csv")
