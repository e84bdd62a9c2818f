"""Stage `generate`: one synthetic video G(t^s) per training pair, written to `<run_dir>/synthetic`.

Reads the world from the upstream run `ctx.inputs["world"]`, the generator name from `ctx.config["generator"]`
and builds the registered generator from the [generation] section. The generator writes the set
(`Generator.synthesize`): the procedural one renders whole batches in memory; real generators write one mp4 per
video under `<run_dir>/synthetic/generated/` (skipped when already there, so a retried run resumes), then
conformed to the world's clip shape. Their `faithful` is unknown (None), which score/train tolerate.
Missing weights surface as the generator's one-line `NotFoundError`, i.e. the run's error.

Shards (`generation.shards = N`): the procedural generator renders in parts of 64 videos (`render_parts`), dealt
round robin to N processes (Slurm array tasks, or local processes; this process's shard comes from
SYNVITA_SHARD="i/N" or SLURM_ARRAY_TASK_ID, else it renders every shard). Each part is written atomically and
skipped when there, so a requeued or retried shard resumes at its first unfinished part; Slurm's warning signal
stops a shard after its current part. The shard that finds every part written assembles the set under a lock,
exactly as one process would have (same files, same checksums), and removes the parts.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from synvita.stages import StageContext

PARTS_DIR = "generate-parts"
"""Under a generate run dir: the parts the shards render before they are assembled into `synthetic/`."""


def this_shard(shards: int) -> int | None:
    """This process's shard of `shards` (SYNVITA_SHARD="i/N" locally, SLURM_ARRAY_TASK_ID in an array job);
    None: render every shard here."""
    if shards <= 1:
        return None
    if os.environ.get("SYNVITA_SHARD"):
        return int(os.environ["SYNVITA_SHARD"].split("/")[0])
    if os.environ.get("SLURM_ARRAY_TASK_ID"):
        return int(os.environ["SLURM_ARRAY_TASK_ID"])  # the array is 0..N-1; a retried task keeps its index
    return None


def _render_in_parts(ctx: StageContext, generator, world, out: Path, shards: int, progress) -> bool:
    """Render this process's shard(s) as parts, then assemble the set if every part is there (one process, under
    a lock). Returns whether this process assembled it."""
    import fcntl
    import shutil

    from synvita import preemption
    from synvita.generators.synthesize import RenderedParts, generate_for_split, parts_complete, render_parts

    parts = ctx.run_dir / PARTS_DIR
    if (out / "synthetic.json").exists() and not parts.is_dir():
        return True  # assembled already (this shard was started again after the others finished)
    mine = this_shard(shards)
    with preemption.checkpointing():
        for shard in ([mine] if mine is not None else range(shards)):
            if not render_parts(world, generator, parts, ctx.seed, shard, shards, progress=progress,
                                stop=preemption.requested):
                raise preemption.stop(f"shard {shard + 1}/{shards} (its finished parts are kept)")
    with open(ctx.run_dir / "generate-assemble.lock", "w") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # another shard is assembling the set
        if not parts.is_dir() or not parts_complete(world, parts):
            return (out / "synthetic.json").exists() and not parts.is_dir()
        generate_for_split(world, RenderedParts(generator, parts), ctx.seed, out, progress=progress)
        shutil.rmtree(parts)
        return True


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

    from synvita.generators.procedural import ProceduralGenerator

    shards = int(section.shards)
    before = len(list((out / "generated" / "videos").glob("*.mp4"))) if (out / "generated").is_dir() else 0
    ctx.events.log(f"{generator.log_line()} for {n_pairs} train pairs" + (f" ({before} already generated, skipped)" if before else "")
                   + (f", shard {this_shard(shards) + 1}/{shards}" if this_shard(shards) is not None else ""))
    if isinstance(generator, ProceduralGenerator):
        if not _render_in_parts(ctx, generator, world, out, shards, progress):
            ctx.events.log("shard done; another shard assembles the set")
            return
        from synvita.world.synthetic import load_synthetic

        syn = load_synthetic(out)
    elif this_shard(shards) not in (None, 0):
        ctx.events.log(f"{name} renders in one process; shard {this_shard(shards) + 1}/{shards} has nothing to do")
        return
    else:
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
