"""Checkpoints hold tensors and plain containers only: a resumed run loads them with `weights_only=True`, and a
tampered checkpoint (a pickle that would run code) is refused with one line naming the file."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from synvita.data.types import PairSet
from synvita.errors import StageError
from synvita.models.base import build_model
from synvita.models.tiny import TinyAlignmentModel
from synvita.training.loop import CHECKPOINT, TrainConfig, TrainData, train

CAPTIONS = ["one red circle moves left", "one blue square grows", "one red square moves left", "one blue circle grows"]


def _data() -> TrainData:
    rng = np.random.default_rng(0)
    pairs = PairSet(video=np.arange(2), caption_pos=CAPTIONS[:2], caption_neg=CAPTIONS[2:],
                    misalignment=["object", "object"])
    return TrainData(real_frames=rng.integers(0, 256, (2, 8, 16, 16, 3), dtype=np.uint8), pairs=pairs)


def _model():
    return build_model("tiny", TinyAlignmentModel.example_config(CAPTIONS), seed=0)


def _cfg() -> TrainConfig:
    return TrainConfig(variant="none", steps=2, batch_size=2, log_every=1, checkpoint_every=1, broken_time=0.0)


class _RunsCode:
    """Unpickling this writes a marker file: what a hostile checkpoint in a shared folder could do."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_a_checkpoint_loads_with_weights_only(tmp_path):
    train(_model(), _data(), _cfg(), run_dir=tmp_path, stop_after=1)
    state = torch.load(tmp_path / CHECKPOINT, map_location="cpu", weights_only=True)
    assert state["step"] == 1 and isinstance(state["torch_rng"], torch.Tensor)
    resumed = train(_model(), _data(), _cfg(), run_dir=tmp_path)  # resumption goes through the safe loader
    assert resumed.steps == 2


def test_a_tampered_checkpoint_is_refused_without_running_its_code(tmp_path):
    train(_model(), _data(), _cfg(), run_dir=tmp_path, stop_after=1)
    state = torch.load(tmp_path / CHECKPOINT, map_location="cpu", weights_only=True)
    marker = tmp_path / "code-ran"
    state["config"] = _RunsCode(str(marker))
    torch.save(state, tmp_path / CHECKPOINT)
    with pytest.raises(StageError) as caught:
        train(_model(), _data(), _cfg(), run_dir=tmp_path)
    assert not marker.exists()
    line = caught.value.one_line()
    assert str(tmp_path / CHECKPOINT) in line and "\n" not in line
