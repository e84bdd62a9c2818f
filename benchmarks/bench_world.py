"""Throughput of the procedural world on this machine: render, generate and encode (clips/s), and the wall time to
build a world preset (quickstart target: ≤60 s on 2 cores).

    .venv/bin/python benchmarks/bench_world.py                 # micro-benchmarks + quickstart build
    .venv/bin/python benchmarks/bench_world.py --skip-build    # micro-benchmarks only (a few seconds)
    .venv/bin/python benchmarks/bench_world.py --preset paper  # time another preset's build

Numbers are single-process wall clock; the machine's other load shows up in them, so compare ratios within a run.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from synvita.data.video_io import write_mp4
from synvita.generators.procedural import ProceduralGenerator
from synvita.world import build_world, canonical, make_edit
from synvita.world.config import resolve_config
from synvita.world.render import LayoutError, SyntheticLook, render
from synvita.world.sampling import sample_scene


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:8.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="quickstart")
    ap.add_argument("--clips", type=int, default=2000, help="clips per micro-benchmark")
    ap.add_argument("--skip-build", action="store_true")
    args = ap.parse_args()
    cfg = resolve_config(args.preset)
    rng = np.random.default_rng(0)
    scenes = [sample_scene(rng, cfg) for _ in range(args.clips)]
    rows = []

    t = time.perf_counter()
    clips = []
    for s in scenes:
        try:
            clips.append(render(s, cfg, rng))
        except LayoutError:
            pass
    rows.append(("render, real look", len(clips), time.perf_counter() - t))

    t = time.perf_counter()
    for s in scenes:
        try:
            render(s, cfg, rng, look=SyntheticLook(0.5))
        except LayoutError:
            pass
    rows.append(("render, synthetic look", len(scenes), time.perf_counter() - t))

    prompts, refs = [], []
    for s in scenes:
        e = make_edit(s, "object", rng, cfg)
        prompts.append(e.caption)
        refs.append(canonical(s))
    gen = ProceduralGenerator("default", cfg)
    t = time.perf_counter()
    gen.generate(prompts, 0, references=refs)
    rows.append(("generate (parse + fail + render)", len(prompts), time.perf_counter() - t))

    frames = np.stack(clips)
    tmp = Path(tempfile.mkdtemp(prefix="synvita-bench-"))
    try:
        t = time.perf_counter()
        for s in range(0, len(frames), 1024):
            chunk = frames[s : s + 1024]
            write_mp4(tmp / f"shard-{s}.mp4", chunk.reshape(-1, *chunk.shape[2:]), fps=cfg.fps, codec=cfg.codec)
        rows.append((f"encode mp4, shards of 1024 ({cfg.codec})", len(frames), time.perf_counter() - t))
        n_single = min(300, len(frames))
        t = time.perf_counter()
        for i in range(n_single):
            write_mp4(tmp / f"clip-{i}.mp4", frames[i], fps=cfg.fps, codec=cfg.codec)
        rows.append((f"encode mp4, one file per clip ({cfg.codec})", n_single, time.perf_counter() - t))

        print(f"{'operation':<44} {'clips':>6} {'seconds':>8} {'clips/s':>8}")
        for name, n, sec in rows:
            print(f"{name:<44} {n:>6} {sec:>8.2f} {_rate(n, sec)}")

        if not args.skip_build:
            t, c = time.perf_counter(), time.process_time()
            world = build_world(args.preset, 0, tmp / "world")
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            total = sum(world.meta["banks"].values())
            print(
                f"\nbuild world '{args.preset}': {total} clips in {wall:.1f} s wall, {cpu:.1f} s CPU "
                f"({total / wall:.0f} clips/s; target ≤60 s wall on 2 cores; CPU time is what an idle machine needs)"
            )
            t = time.perf_counter()
            from synvita.generators.procedural import ProceduralGenerator
            from synvita.generators.synthesize import generate_for_split

            syn = generate_for_split(world, ProceduralGenerator("default", world.config), 0, tmp / "synthetic")
            wall_g = time.perf_counter() - t
            print(f"generate synthetic train set: {len(syn)} clips in {wall_g:.1f} s (faithful {syn.faithful.mean():.2f})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
