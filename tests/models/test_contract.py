"""The one contract every registered alignment model passes (synvita.registry.MODELS)."""

import numpy as np
import pytest
import torch

from synvita.errors import NotFoundError, UserInputError
from synvita.models.base import AlignmentModel, build_model, load_model
from synvita.registry import MODELS
import synvita.models  # noqa: F401  (registers the built-ins)

CAPTIONS = [
    "one big red circle moves left then one small blue square grows",
    "one big red circle moves right then one small blue square grows",
    "two green triangles move up",
    "one small yellow ring shrinks and one big purple cross moves down",
]


def _videos(n=3, t=8, size=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, t, size, size, 3), dtype=np.uint8)


def _make(name, tmp_path, seed=0):
    cls = MODELS.get(name).model_class()
    try:
        config = cls.example_config(CAPTIONS, frames=8, size=32, workdir=tmp_path / "work")
    except (NotFoundError, ImportError) as exc:  # e.g. an optional backend whose dependencies are absent
        pytest.skip(f"{name}: {exc}")
    return build_model(name, config, seed=seed).eval()


def _score(model, videos):
    video_index = np.array([0, 1, 2, 0])
    return model.predict(videos, video_index, CAPTIONS)


@pytest.fixture(params=MODELS.names())
def model_name(request):
    return request.param


def test_scores_are_probabilities(model_name, tmp_path):
    """f lies in [0, 1], one value per sequence; logits are [S, 2]."""
    model = _make(model_name, tmp_path)
    f = _score(model, _videos())
    assert f.shape == (4,)
    assert np.all((f >= 0) & (f <= 1))
    feats = model.encode_videos(_videos())
    logits = model(feats, torch.tensor([0, 1]), model.prepare_text(CAPTIONS[:2]))
    assert logits.shape == (2, 2)
    ce, n = model.sequence_ce(logits, torch.tensor([1, 0]))
    assert ce.shape == (2,) and torch.all(ce >= 0) and torch.all(n >= 1)


def test_shared_semantic_mask_changes_the_output(model_name, tmp_path):
    """c′ (differing words masked out of attention) scores differently from c."""
    model = _make(model_name, tmp_path)
    videos = _videos()
    plain = model.predict(videos, [0, 0], CAPTIONS[:2])
    masked = model.predict(videos, [0, 0], CAPTIONS[:2], shared_with=[CAPTIONS[1], CAPTIONS[0]])
    assert not np.allclose(plain, masked)
    text = model.prepare_text(CAPTIONS[:1], [CAPTIONS[1]])
    # positions are kept; only attention changes
    assert torch.equal(text.positions, model.prepare_text(CAPTIONS[:1]).positions)
    assert (text.padding_mask & ~text.attention_mask).sum() >= 1


def test_same_seed_same_result(model_name, tmp_path):
    a = _score(_make(model_name, tmp_path, seed=3), _videos())
    b = _score(_make(model_name, tmp_path, seed=3), _videos())
    c = _score(_make(model_name, tmp_path, seed=4), _videos())
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_save_load_round_trip(model_name, tmp_path):
    model = _make(model_name, tmp_path)
    path = model.save_pretrained(tmp_path / "saved")
    loaded = type(model).from_pretrained(path)
    assert isinstance(loaded, AlignmentModel) and loaded.name == model_name
    np.testing.assert_array_equal(_score(model, _videos()), _score(loaded, _videos()))
    np.testing.assert_array_equal(_score(model, _videos()), _score(load_model(path), _videos()))


def test_predict_reuses_one_encoding_per_video_chunk(model_name, tmp_path):
    """Chunking over videos gives the same scores as one big chunk."""
    model = _make(model_name, tmp_path)
    videos = _videos(n=5)
    idx = np.array([4, 0, 3, 3, 1, 2, 0])
    caps = [CAPTIONS[i % 4] for i in range(7)]
    np.testing.assert_allclose(model.predict(videos, idx, caps, batch_videos=2), model.predict(videos, idx, caps), atol=1e-5)


def test_bad_videos_raise_a_clear_error(tmp_path):
    model = _make("tiny", tmp_path)
    with pytest.raises(UserInputError):
        model.encode_videos(np.zeros((2, 8, 32, 32), dtype=np.uint8))


def test_missing_directory_is_not_found(tmp_path):
    with pytest.raises(NotFoundError):
        load_model(tmp_path / "nothing-here")
