"""Parameter-free video inputs (the tiny model's object tracks) computed once per video give the same results."""

import numpy as np
import pytest
import torch

from synvita.errors import UserInputError
from synvita.models.base import VideoInputCache, build_model, concat_inputs
from synvita.models.tiny import TinyAlignmentModel
from synvita.scorers.ensemble import EnsembleScorer
from synvita.world.config import resolve_config
from synvita.world.render import render
from synvita.world.scene import Group, Scene

CFG = resolve_config("quickstart")
CAPTIONS = ["one big red circle moves left", "one small blue square grows", "one big green ring appears",
            "one big red circle moves right", "one small blue square shrinks"]


@pytest.fixture(scope="module")
def bank():
    scenes = [Scene(groups=(Group("circle", "red", "big", "moves left"),)),
              Scene(groups=(Group("square", "blue", "small", "grows"),)),
              Scene(groups=(Group("ring", "green", "big", "appears"), Group("circle", "red", "big", "moves up")), link="and")]
    return np.stack([render(scenes[i % 3], CFG, np.random.default_rng(i)) for i in range(7)])  # [7, T, H, W, 3]


def _tiny(seed=0, **config):
    return build_model("tiny", {**TinyAlignmentModel.example_config(CAPTIONS, frames=CFG.frames), **config}, seed=seed)


def test_encoding_from_inputs_equals_encoding_from_pixels(bank):
    model = _tiny()
    torch.testing.assert_close(model.encode_inputs(model.video_inputs(bank)), model.encode_videos(bank), rtol=0, atol=0)
    parts = concat_inputs([model.video_inputs(bank[:3]), model.video_inputs(bank[3:])])  # batch-independent
    torch.testing.assert_close(model.encode_inputs(parts), model.encode_videos(bank), rtol=0, atol=1e-6)


def test_the_cache_computes_each_video_once_and_serves_any_order(bank):
    model = _tiny()
    cache = VideoInputCache(model, bank)
    asked = []
    compute = model.video_inputs
    model.video_inputs = lambda videos: (asked.append(len(videos)), compute(videos))[1]  # count the videos tracked
    first = cache.get(np.array([4, 1, 4]))
    again = cache.get(np.array([1, 6, 4, 0]))
    assert asked == [2, 2]  # {1, 4}, then only {0, 6}
    fresh = compute(bank[[1, 6, 4, 0]])
    for key in fresh:
        torch.testing.assert_close(again[key], fresh[key], rtol=0, atol=1e-6)
        torch.testing.assert_close(first[key][0], first[key][2])


def test_predict_with_a_cache_equals_predict_from_pixels(bank):
    model = _tiny()
    video, caps = np.array([3, 0, 6, 0, 2]), [CAPTIONS[i] for i in (0, 3, 2, 1, 4)]
    np.testing.assert_allclose(model.predict(bank, video, caps, inputs=VideoInputCache(model, bank)),
                               model.predict(bank, video, caps), rtol=0, atol=1e-6)


def test_an_ensemble_shares_tracks_between_members_and_scores_as_before(bank):
    members = [_tiny(seed=0), _tiny(seed=1)]
    index, target, other = np.array([0, 2, 5]), CAPTIONS[:3], CAPTIONS[3:] + CAPTIONS[:1]
    shared = EnsembleScorer(members).score(bank, index, target, other)
    alone = [m.predict(bank, np.concatenate([index, index]), list(target) + list(other)) for m in members]
    np.testing.assert_allclose(shared[0], np.stack([a[:3] for a in alone]), atol=1e-6)
    np.testing.assert_allclose(shared[1], np.stack([a[3:] for a in alone]), atol=1e-6)
    assert VideoInputCache(members[0], bank).serves(members[1])
    assert not VideoInputCache(members[0], bank).serves(_tiny(crop=6))  # another tracker setting: its own tracks


def test_the_conv_encoder_has_no_inputs_to_cache(bank):
    model = _tiny(encoder="conv")
    assert not model.caches_video_inputs
    with pytest.raises(UserInputError):
        VideoInputCache(model, bank)
