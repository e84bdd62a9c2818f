"""Training throughput of the `tiny` model per variant on this machine (sequences/s and s/step).

    .venv/bin/python benchmarks/bench_training.py [--steps 20] [--threads 1] [--variants none naive synvita] \
        [--encoders tracks conv] [--models default='{}' plain='{"grounding": false}'] [--broken-time 0 0.25 0.5]

Renders a few hundred quickstart-world pairs (real look) and their "synthetic" partners (a second render of the
contrast caption), then times `steps` optimisation steps per variant after 2 warm-up steps. One step draws
`batch_size` pairs: 2 real rows each (+1 caption-derived extra negative per pair), ×2 sequences with synthetic
videos, ×2 again with the shared-semantic copies. Ratios within one run are the meaningful numbers: the CPU is
shared, so absolute speeds vary with load (the script prints the load average next to them). With several
`--encoders`, `--models` (NAME=JSON tiny config overrides) or `--broken-time` shares (train.broken_time: extra
broken-time rows and clips per step) every (encoder, model, broken, variant) row is timed in the same run; "rel.
cost" is against the first row.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--pairs", type=int, default=256)
    ap.add_argument("--variants", nargs="+", default=["none", "naive", "weighting", "consistency", "synvita"])
    ap.add_argument("--encoders", nargs="+", default=["tracks"], choices=["tracks", "conv"],
                    help="tiny video encoders to time (the conv encoder is the one before issue 6's tracks)")
    ap.add_argument("--models", nargs="+", default=["default={}"],
                    help="NAME=JSON tiny config overrides to time side by side, e.g. plain='{\"grounding\": false}'")
    ap.add_argument("--broken-time", nargs="+", type=float, default=[0.0],
                    help="train.broken_time shares to time side by side (the loop's default is 0)")
    args = ap.parse_args()
    models = {}
    for spec in args.models:
        name, _, overrides = spec.partition("=")
        models[name] = json.loads(overrides or "{}")

    import torch

    torch.set_num_threads(args.threads)
    from synvita.models.base import build_model
    from synvita.training.loop import TrainConfig, TrainData, train
    from synvita.training.pipeline import extra_negatives

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "research"))  # research/ is not installed
    from temporal_probe import render_pairs
    from synvita.world import captions
    from synvita.world.config import resolve_config

    cfg = resolve_config("quickstart")
    frames, pairs, _ = render_pairs(cfg, args.pairs, seed=0)
    syn_frames, _, _ = render_pairs(cfg, args.pairs, seed=1)  # stand-in synthetic clips, same geometry
    pairs.syn_video = np.arange(args.pairs)
    pairs.weight = np.random.default_rng(0).uniform(0, 0.5, args.pairs).astype(np.float32)
    data = TrainData(frames, pairs, syn_frames, extra_negatives=extra_negatives(pairs.caption_pos, exclude=cfg.held_out))
    vocab = ["<pad>", "<unk>", "<cls>"] + captions.vocabulary()
    print(f"tiny model, quickstart clips {frames.shape[1:]}, batch {args.batch_size} pairs, threads {args.threads}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'encoder':<8}{'model':<10}{'broken':>7} {'variant':<12}{'s/step':>9}{'seq/step':>10}{'seq/s':>9}"
          f"{'pairs/s':>9}{'rel. cost':>11}")
    base = None
    rows = [(e, m, b, v) for e in args.encoders for m in models for b in args.broken_time for v in args.variants]
    for encoder, name, broken, variant in rows:
        model = build_model("tiny", {"vocab": vocab, "encoder": encoder, "frames": cfg.frames, **models[name]}, seed=0)
        tc = TrainConfig(variant=variant, steps=2, batch_size=args.batch_size, lr=1e-3, seed=0, broken_time=broken)
        train(model, data, tc)  # warm-up
        tc = TrainConfig(variant=variant, steps=args.steps, batch_size=args.batch_size, lr=1e-3, seed=1, broken_time=broken)
        t0 = time.perf_counter()
        res = train(model, data, tc)
        dt = time.perf_counter() - t0
        s_step = dt / args.steps
        base = base or s_step
        print(f"{encoder:<8}{name:<10}{broken:>7.2f} {variant:<12}{s_step:>9.3f}{res.sequences / args.steps:>10.0f}{res.sequences / dt:>9.0f}"
              f"{args.batch_size / s_step:>9.0f}{s_step / base:>10.2f}x")


if __name__ == "__main__":
    main()
