"""The `tiny` model's training step and epochs: a `synvita` step against a `none` step on the same batch, and a
second epoch against the first over a bank read from its decoded-frame cache.

    python -m benchmarks.bench_train_step [--repeats 3] [--steps 10] [--pairs 96] [--stored-steps 40]

Rows (`benchmarks/rows.py`):

* train step: both variants train from the same initial weights on the same drawn pairs (the draw depends only on
  seed and step) with the quickstart's [train] settings (batch 32, extra negatives, broken-time share); a repeat's
  figure is the median step time after the steps that first read each video's inputs; goal ≤ 2.0×.
* frame cache: two epochs of `none` over a bank written to disk (mp4 + frames.npy) and loaded as a memmap; the
  ratio is epoch 2 / epoch 1, and the row names how many mp4 files were opened for reading (0: training reads the
  frame cache only); goal ≤ 1.0×.
* stored tracks: `synvita` runs over real and synthetic banks on disk, reading the tracks kept beside their frames
  (`synvita.models.stored_inputs`, built before the timing) against the same runs over in-memory copies, which
  track each clip on first use (and broken-time clips every step, as both do). The banks are sized so that each clip
  is read as often as in the quickstart (1,000 steps × 32 pairs over 20,000 pairs: 1.6 times), so the share of
  steps that meet a clip for the first time is the quickstart's; goal ≤ 1.0×. The row names the one-off build.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.rows import Row, print_rows, ratio_row


QUICK = ["--repeats", "2", "--steps", "4"]


def quickstart_data(n_pairs: int):
    """TrainData of `n_pairs` quickstart-world pairs with a second render as their synthetic partners, and the vocab."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "research"))  # research/ is not installed
    from temporal_probe import render_pairs

    from synvita.training.loop import TrainData
    from synvita.training.pipeline import extra_negatives
    from synvita.world import captions
    from synvita.world.config import resolve_config

    cfg = resolve_config("quickstart")
    frames, pairs, _ = render_pairs(cfg, n_pairs, seed=0)
    syn_frames, _, _ = render_pairs(cfg, n_pairs, seed=1)
    pairs.syn_video = np.arange(n_pairs)
    pairs.weight = np.random.default_rng(0).uniform(0, 0.5, n_pairs).astype(np.float32)
    data = TrainData(frames, pairs, syn_frames, extra_negatives=extra_negatives(pairs.caption_pos, exclude=cfg.held_out))
    return data, ["<pad>", "<unk>", "<cls>"] + captions.vocabulary(), cfg.frames


def step_times(model, data, cfg) -> list[float]:
    """Seconds per step of one `train` call, from the step callback."""
    from synvita.training.loop import train

    stamps = [time.perf_counter()]
    train(model, data, cfg, callback=lambda step, m: stamps.append(time.perf_counter()))
    return list(np.diff(stamps))


def train_step_row(repeats: int, steps: int, n_pairs: int) -> Row:
    from synvita.config import TrainSection
    from synvita.models.base import build_model
    from synvita.training.loop import TrainConfig

    data, vocab, frames = quickstart_data(n_pairs)
    warm = -(-2 * n_pairs // TrainSection.batch_size)  # steps after which nearly every video's inputs are kept
    times: dict[str, list[float]] = {"none": [], "synvita": []}
    for _ in range(repeats):
        for variant in times:  # interleaved, so that load changes hit both
            model = build_model("tiny", {"vocab": vocab, "frames": frames}, seed=0)
            cfg = TrainConfig(variant=variant, steps=warm + steps, seed=0, log_every=1, lr=TrainSection.lr,
                              batch_size=TrainSection.batch_size, broken_time=TrainSection.broken_time)
            times[variant].append(statistics.median(step_times(model, data, cfg)[warm:]))
    return ratio_row("Train step, synvita vs none, same batch (tiny, quickstart [train])", times["synvita"],
                     times["none"], describe=lambda s: f"{s * 1000:.0f} ms/step", peer_name="none", at_most=2.0)


def frame_cache_row(repeats: int, n_pairs: int) -> Row:
    import av

    from synvita.config import TrainSection
    from synvita.data.cache import load_bank, write_bank
    from synvita.models.base import build_model
    from synvita.training.loop import TrainConfig, TrainData

    data, vocab, frames = quickstart_data(n_pairs)
    epoch = -(-n_pairs // TrainSection.batch_size)
    opened = []
    open_av = av.open
    av.open = lambda file, mode="r", *a, **k: (opened.append(file) if mode == "r" else None) or open_av(file, mode, *a, **k)
    firsts, seconds = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ids = [f"v{i:05d}" for i in range(len(data.real_frames))]
            write_bank(Path(tmp) / "train", tmp, ids, np.asarray(data.real_frames))
            bank = load_bank(Path(tmp) / "train")
            on_disk = TrainData(bank.frames, data.pairs, extra_negatives=data.extra_negatives)
            opened.clear()
            for _ in range(repeats):
                model = build_model("tiny", {"vocab": vocab, "frames": frames}, seed=0)
                cfg = TrainConfig(variant="none", steps=2 * epoch, seed=0, log_every=1, batch_size=TrainSection.batch_size,
                                  broken_time=TrainSection.broken_time)
                times = step_times(model, on_disk, cfg)
                firsts.append(sum(times[:epoch]))
                seconds.append(sum(times[epoch:]))
    finally:
        av.open = open_av
    return ratio_row(f"Frame cache: epoch 2 vs epoch 1 (none, {n_pairs} pairs from a memmapped bank; "
                     f"mp4 files opened: {len(opened)})", seconds, firsts, describe=lambda s: f"{s:.2f} s/epoch",
                     peer_name="epoch 1", at_most=1.0)


def stored_tracks_row(repeats: int, steps: int) -> Row:
    from synvita.config import TrainSection
    from synvita.data.cache import load_frames, save_frames
    from synvita.models.base import build_model
    from synvita.training.loop import TrainConfig, TrainData
    from synvita.world.config import QUICKSTART

    reads_per_pair = TrainSection.steps * TrainSection.batch_size / QUICKSTART.n_train
    n_pairs = round(steps * TrainSection.batch_size / reads_per_pair)
    data, vocab, frames = quickstart_data(n_pairs)
    cfg = TrainConfig(variant="synvita", steps=steps, seed=0, log_every=1, lr=TrainSection.lr,
                      batch_size=TrainSection.batch_size, broken_time=TrainSection.broken_time)
    stored, tracked = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, clips in (("real", data.real_frames), ("synthetic", data.syn_frames)):
            save_frames(Path(tmp) / f"{name}.npy", clips)
        real, syn = (load_frames(Path(tmp) / f"{name}.npy") for name in ("real", "synthetic"))
        t0 = time.perf_counter()
        for bank in (real, syn):
            build_model("tiny", {"vocab": vocab, "frames": frames}, seed=0).stored_video_inputs(bank)
        build = time.perf_counter() - t0
        on_disk = TrainData(real, data.pairs, syn, extra_negatives=data.extra_negatives)
        in_memory = TrainData(np.array(real), data.pairs, np.array(syn), extra_negatives=data.extra_negatives)
        warm_up = TrainConfig(variant="synvita", steps=2, batch_size=TrainSection.batch_size)
        step_times(build_model("tiny", {"vocab": vocab, "frames": frames}, seed=0), in_memory, warm_up)  # imports
        for _ in range(repeats):
            for side, train_data in ((stored, on_disk), (tracked, in_memory)):  # interleaved
                model = build_model("tiny", {"vocab": vocab, "frames": frames}, seed=0)
                side.append(sum(step_times(model, train_data, cfg)))
    return ratio_row(f"Train run with stored tracks vs tracking on first use (synvita, {steps} steps over "
                     f"{n_pairs} pairs: each read {reads_per_pair:g}× as in the quickstart; one-off build of both "
                     f"banks {build:.1f} s)", stored, tracked, describe=lambda s: f"{s / steps * 1000:.0f} ms/step",
                     peer_name="on first use", at_most=1.0)


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per repeat after the warm-up")
    parser.add_argument("--pairs", type=int, default=96)
    parser.add_argument("--stored-steps", type=int, default=40, help="steps per run of the stored-tracks row")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # as each run of a local `synvita run` on 2 cores
    return [train_step_row(args.repeats, args.steps, args.pairs), frame_cache_row(args.repeats, args.pairs),
            stored_tracks_row(args.repeats, args.stored_steps)]


if __name__ == "__main__":
    print_rows(main())
