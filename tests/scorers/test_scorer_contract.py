"""The contract every registered scorer passes: it builds from a [scorers] section through `from_section` and
returns per-member (f_target [K, N], f_other [K, N]) in [0, 1] for tiny inputs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from synvita.config import ScorersSection
from synvita.registry import SCORERS, Component

TARGETS = ["one big red circle moves left", "two small blue squares grow"]
OTHERS = ["one big red circle moves right", "two small blue squares shrink"]


@pytest.fixture
def built(tmp_path):
    """name → (section, ctx) of each built-in on tiny inputs."""
    from synvita.models.base import build_model
    from synvita.models.tiny import TinyAlignmentModel

    pretrain = tmp_path / "pretrain"
    config = TinyAlignmentModel.example_config(TARGETS + OTHERS, frames=8, size=32)
    build_model("tiny", config, seed=0).save_pretrained(pretrain / "scorers" / "0")
    synthetic = SimpleNamespace(knows_faithful=True, generator="procedural", pair_index=np.arange(2),
                                bank=SimpleNamespace(frames=np.zeros((2, 8, 32, 32, 3), np.uint8)),
                                faithful_or_none=lambda p: p == 0)
    ctx = SimpleNamespace(inputs={"pretrain": pretrain}, synthetic=synthetic, seed=0)
    return {"ensemble": (ScorersSection(members=1), ctx), "oracle": (ScorersSection(name="oracle"), ctx)}


@pytest.mark.parametrize("name", SCORERS.names())
def test_scorer_contract(name, built):
    cls = SCORERS.get(name)
    assert issubclass(cls, Component) and cls.name == name
    if name not in built:
        pytest.skip(f"{name}: needs video-LLM weights (tests/backends/test_vqascore.py) or is a plugin")
    section, ctx = built[name]
    cls.validate_section(section)
    scorer = cls.from_section(section, ctx)
    frames = np.random.default_rng(0).integers(0, 256, (2, 8, 32, 32, 3), dtype=np.uint8)
    ft, fo = scorer.score(frames, np.array([0, 1]), TARGETS, OTHERS)
    assert ft.shape == fo.shape and ft.shape[1] == 2 and ft.shape[0] >= 1
    assert np.all((ft >= 0) & (ft <= 1)) and np.all((fo >= 0) & (fo <= 1))
