"""`[train] synthetic_types`: only the pairs of the listed misalignment types keep their synthetic partner (the
per-type runs of the paper's Table 2); the others train on their real video alone."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from synvita.data.types import PairSet
from synvita.training.pipeline import training_data


def test_only_the_listed_types_keep_their_synthetic_videos():
    types = ["flip", "object", "flip", "count"]
    pairs = PairSet(video=np.arange(4), caption_pos=["one small red circle moves left"] * 4,
                    caption_neg=["one small red circle moves right"] * 4, misalignment=types)
    world = SimpleNamespace(split=lambda name: (SimpleNamespace(frames=np.zeros((4, 4, 16, 16, 3), np.uint8)), pairs),
                            config=SimpleNamespace(held_out=set()))
    syn = SimpleNamespace(pair_index=np.array([0, 1, 2, -1]), bank=SimpleNamespace(frames=np.zeros((3, 4, 16, 16, 3))))
    data = training_data(world, "naive", syn, use_extra=False, synthetic_types=["flip"])
    assert data.pairs.syn_video.tolist() == [0, -1, 2, -1]
    assert syn.pair_index.tolist() == [0, 1, 2, -1]  # the synthetic set itself is not changed
    pairs.syn_video = None
    assert training_data(world, "naive", syn, use_extra=False).pairs.syn_video.tolist() == [0, 1, 2, -1]
