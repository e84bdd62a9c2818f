"""A train run over banks on disk reads their stored tracks (`synvita.models.stored_inputs`) and gives the losses and
weights of a run that tracks every clip on the fly, bit for bit; broken-time clips are still tracked per step."""

import numpy as np
import torch

from synvita.data.cache import load_bank, write_bank
from synvita.data.types import PairSet
from synvita.models.base import build_model
from synvita.models.tiny import TinyAlignmentModel
from synvita.training.loop import TrainConfig, TrainData, draw_pairs, step_rows, train
from synvita.world.config import resolve_config
from synvita.world.render import LayoutError, render
from synvita.world.sampling import sample_scene

CFG = resolve_config("quickstart")
POS = ["one big red circle moves left", "two small blue squares grow", "one green ring moves up then one red cross shrinks"]
NEG = ["one big red square moves left", "one small blue square grows", "one red cross shrinks then one green ring moves up"]
N = 12


def bank_on_disk(root, name, seed):
    rng = np.random.default_rng(seed)
    clips = []
    while len(clips) < N:
        try:
            clips.append(render(sample_scene(rng, CFG), CFG, rng))
        except LayoutError:
            continue
    write_bank(root / name, root, [f"{name}{i}" for i in range(N)], np.stack(clips))
    return root / name


def run(real_frames, syn_frames):
    """Per-step losses, the final weights and how many clips the model tracked."""
    pairs = PairSet(video=np.arange(N), caption_pos=[POS[i % 3] for i in range(N)],
                    caption_neg=[NEG[i % 3] for i in range(N)], misalignment=["object", "count", "flip"] * (N // 3),
                    syn_video=np.arange(N), weight=np.linspace(0.0, 0.8, N).astype(np.float32))
    data = TrainData(real_frames, pairs, syn_frames, extra_negatives=[[NEG[2]] if i % 3 == 2 else [] for i in range(N)])
    cfg = TrainConfig(variant="synvita", steps=5, batch_size=5, broken_time=0.5, seed=2, log_every=1)
    model = build_model("tiny", TinyAlignmentModel.example_config(POS + NEG, frames=CFG.frames), seed=0)
    tracked, compute = [], model.video_inputs
    model.video_inputs = lambda videos: tracked.append(len(videos)) or compute(videos)
    losses = []
    train(model, data, cfg, callback=lambda step, logged: losses.append(logged))
    broken = sum(len(b) for step in range(cfg.steps)
                 if (b := step_rows(data, draw_pairs(cfg.seed, step, N, cfg.batch_size), cfg, step)[1]) is not None)
    return losses, model.state_dict(), sum(tracked), broken


def test_stored_tracks_give_the_losses_of_tracking_on_the_fly(tmp_path):
    real_dir, syn_dir = bank_on_disk(tmp_path, "train", 0), bank_on_disk(tmp_path, "synthetic", 1)
    real, syn = load_bank(real_dir), load_bank(syn_dir)
    on_the_fly = run(np.array(real.frames), np.array(syn.frames))  # in memory: nothing stored
    assert not list(tmp_path.rglob("frames.inputs-*"))
    building = run(real.frames, syn.frames)
    assert len(list(real_dir.glob("frames.inputs-*.npy"))) == len(list(syn_dir.glob("frames.inputs-*.npy"))) == 1
    reading = run(load_bank(real_dir).frames, load_bank(syn_dir).frames)
    for other in (building, reading):
        assert other[0] == on_the_fly[0]  # every loss of every step, exactly
        assert all(torch.equal(other[1][k], on_the_fly[1][k]) for k in on_the_fly[1])
    _, _, tracked, broken = reading
    assert broken > 0 and tracked == broken + 2 * 2  # the broken-time clips, and each store's two-clip check
