"""Two epochs over a bank on disk decode no mp4 (training reads the decoded-frame cache) and read each video's
inputs from the pixels once."""

import collections
from pathlib import Path

import av
import numpy as np

from synvita.data.cache import load_bank, write_bank
from synvita.data.types import PairSet
from synvita.models.base import build_model
from synvita.models.tiny import TinyAlignmentModel
from synvita.training.loop import TrainConfig, TrainData, train

POS = ["one big red circle moves left", "two small blue squares grow", "one green ring moves up"]
NEG = ["one big red square moves left", "one small blue square grows", "one green ring moves down"]


def test_two_epochs_decode_no_mp4_and_track_each_video_once(tmp_path, monkeypatch):
    n = 6
    frames = np.random.default_rng(0).integers(0, 256, size=(n, 8, 16, 16, 3), dtype=np.uint8)
    write_bank(tmp_path / "train", tmp_path, [f"v{i}" for i in range(n)], frames)
    bank = load_bank(tmp_path / "train")
    opened = []
    open_av = av.open
    monkeypatch.setattr(av, "open", lambda file, mode="r", *a, **k: (opened.append(file) if mode == "r" else None)
                        or open_av(file, mode, *a, **k))
    with av.open(str(tmp_path / bank.paths[0])):
        pass
    assert len(opened) == 1  # the spy sees a decode
    opened.clear()
    pairs = PairSet(video=np.arange(n), caption_pos=[POS[i % 3] for i in range(n)],
                    caption_neg=[NEG[i % 3] for i in range(n)], misalignment=["object"] * n)
    model = build_model("tiny", TinyAlignmentModel.example_config(POS + NEG), seed=0)
    tracked = collections.Counter()
    video_inputs = model.video_inputs
    model.video_inputs = lambda videos: tracked.update(bytes(np.asarray(v)) for v in videos) or video_inputs(videos)
    train(model, TrainData(bank.frames, pairs), TrainConfig(steps=4, batch_size=3, broken_time=0.0,
                                                            extra_negatives=False))  # 4 steps × 3 of 6 pairs: 2 epochs
    assert opened == []
    assert len(tracked) == n and max(tracked.values()) == 1
