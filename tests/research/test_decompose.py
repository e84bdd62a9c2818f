"""research/decompose.py: the two factors of the "and" readout, read by a forward hook, multiply back to f."""

import numpy as np
import pytest

from synvita.data.types import EntailmentSet
from synvita.errors import UserInputError
from synvita.models.base import build_model
from synvita.models.tiny import TinyAlignmentModel
from synvita.world.config import resolve_config
from synvita.world.render import render
from synvita.world.scene import Group, Scene

from decompose import decompose, format_table, readout_factors, recording_readout

CFG = resolve_config("quickstart")
SCENES = [Scene(groups=(Group("circle", "red", "big", "moves left"),)),
          Scene(groups=(Group("square", "blue", "small", "grows"),)),
          Scene(groups=(Group("ring", "green", "big", "appears"), Group("cross", "red", "big", "moves up")), link="then")]
POS = ["one big red circle moves left", "one small blue square grows",
       "one big green ring appears then one big red cross moves up"]
NEG = ["one big red circle moves right", "one small red square grows",
       "one big red cross moves up then one big green ring appears"]


@pytest.fixture(scope="module")
def clips():
    return np.stack([render(s, CFG, np.random.default_rng(i)) for i, s in enumerate(SCENES)])  # [3, T, H, W, 3]


def _model(**config):
    return build_model("tiny", {**TinyAlignmentModel.example_config(POS + NEG, frames=CFG.frames), **config}, seed=0)


def test_the_factors_multiply_back_to_f_in_row_order(clips):
    model = _model()
    video = np.array([2, 0, 1, 0, 2, 1])  # not sorted by video: predict reorders, the factors must not
    captions = [POS[2], POS[0], NEG[1], NEG[0], NEG[2], POS[1]]
    parts = readout_factors(model, clips, video, captions)
    np.testing.assert_allclose(np.exp(parts.log_content + parts.log_cls), parts.f, rtol=1e-5)
    assert (parts.log_cls >= -model.tiny_config.cls_nats - 1e-9).all() and (parts.log_cls <= 0).all()
    np.testing.assert_allclose(parts.f, model.predict(clips, video, captions))  # recording changes nothing
    assert not model.readout._forward_hooks  # and leaves no hook behind


def test_decompose_gives_one_row_per_control_and_type(clips):
    rows = EntailmentSet(video=np.array([0, 0, 1, 1, 2, 2]), caption=[POS[0], NEG[0], POS[1], NEG[1], POS[2], NEG[2]],
                         label=np.array([1, 0, 1, 0, 1, 0]),
                         misalignment=["action", "action", "attribute", "attribute", "flip", "flip"],
                         hard=np.zeros(6, bool), held_out=np.zeros(6, bool))
    results = decompose(_model(), clips, rows)
    assert [(r["control"], r["type"]) for r in results] == [
        (c, t) for c in ("none", "shuffled", "single-frame") for t in ("action", "attribute", "flip")]
    assert all(r["rows"] == 2 and 0 <= r["auc_f"] <= 100 for r in results)
    assert "control: shuffled" in format_table(results)


def test_only_the_and_readout_can_be_decomposed():
    with pytest.raises(UserInputError, match="and"):
        with recording_readout(_model(readout="sum")):
            pass
