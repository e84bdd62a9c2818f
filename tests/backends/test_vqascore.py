"""The `vqascore` scorer: an ensemble of video-LLMs (plain HF directories or synvita adapters) → f̄ per caption."""

import numpy as np
import pytest
import torch

from synvita.errors import NotFoundError, UserInputError
from synvita.models.base import build_model
from synvita.config import ScorersSection
from synvita.registry import SCORERS
import synvita.scorers  # noqa: F401

TARGET = ["a cat plays with a red ball", "a dog runs in the park"]
OTHER = ["a cat plays with a blue ball", "a dog jumps in the park"]


def test_vqascore_ensemble_means_members(videollm_dir, tmp_path):
    adapter = build_model("videollm", {"model_path": str(videollm_dir),
                                       "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "init_identity": False}}, seed=1)
    saved = adapter.save_pretrained(tmp_path / "member-b")
    frames = np.random.default_rng(0).integers(0, 256, (3, 8, 32, 32, 3), dtype=np.uint8)
    idx = np.array([2, 0])
    cls = SCORERS.get("vqascore")
    both = cls([videollm_dir, saved])
    ft, fo = both.score(frames, idx, TARGET, OTHER)
    assert ft.shape == fo.shape == (2, 2) and np.all((ft > 0) & (ft < 1))
    single = cls([videollm_dir]).score(frames, idx, TARGET, OTHER)
    np.testing.assert_allclose(ft[0], single[0][0])
    assert not np.allclose(ft[0], ft[1])  # the adapter member differs
    # p_yes is the full-vocabulary probability of "Yes", so it never exceeds the Yes/No ratio
    member = both.members[0]
    ratio = cls([member], measure="ratio").score(frames, idx, TARGET, OTHER)[0]
    assert np.all(ft[:1] <= ratio + 1e-9)
    assert member.config["prompt_template"].startswith("USER: <video>\nDoes this video show")
    with torch.no_grad():  # one member by hand: p(Yes) at the answer position
        logits = member(member.encode_videos(frames[[0]]), torch.tensor([0]), member.prepare_text([TARGET[1]]))
    assert ft[0, 1] == pytest.approx(logits[0, 0].exp().item(), rel=1e-6)


def test_vqascore_bad_input(videollm_dir):
    cls = SCORERS.get("vqascore")
    with pytest.raises(NotFoundError):
        cls([])
    with pytest.raises(UserInputError, match="measure"):
        cls([videollm_dir], measure="nope")
    with pytest.raises(UserInputError, match="scorers.paths"):
        cls.from_section(ScorersSection(name="vqascore", members=2), ctx=None)
    scorer = cls.from_section(ScorersSection(name="vqascore", paths=[str(videollm_dir)]), ctx=None)
    assert scorer.measure == "p_yes" and len(scorer.members) == 1
