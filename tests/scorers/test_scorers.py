"""Scorers for ω: the oracle, the pretrained ensemble, and the weights file the score stage writes."""

import json

import numpy as np
import pytest

from synvita.errors import NotFoundError
from synvita.models.base import build_model
from synvita.models.tiny import TinyAlignmentModel
from synvita.registry import SCORERS
from synvita.scorers.base import read_weights, weight_rows, write_weights
from synvita.scorers.ensemble import EnsembleScorer
from synvita.scorers.oracle import OracleScorer
import synvita.scorers  # noqa: F401

CAPS = ["one big red circle moves left", "one big red square moves left", "two small blue rings grow"]


def test_registry_lists_both():
    assert {"ensemble", "oracle"} <= set(SCORERS.names())
    assert SCORERS.get("oracle") is OracleScorer


def test_oracle_gives_weight_one_for_faithful_and_zero_for_failed():
    ft, fo = OracleScorer([True, False, True]).score(None, np.array([0, 1, 2]), CAPS, CAPS)
    rows = weight_rows(["a", "b", "c"], "procedural", ["object", "flip", "count"], ft, fo, [True, False, True])
    assert [r.weight for r in rows] == [1.0, 0.0, 1.0]
    assert [r.f_target for r in rows] == [1.0, 0.0, 1.0]


def _save_members(root, k=2):
    for i in range(k):
        model = build_model("tiny", TinyAlignmentModel.example_config(CAPS), seed=i)
        model.save_pretrained(root / "scorers" / str(i))


def test_ensemble_scores_every_member_and_video(tmp_path):
    _save_members(tmp_path)
    scorer = EnsembleScorer.from_pretrain_dir(tmp_path)
    frames = np.random.default_rng(0).integers(0, 256, (3, 8, 16, 16, 3), dtype=np.uint8)
    ft, fo = scorer.score(frames, np.array([2, 0]), CAPS[:2], CAPS[1:])
    assert ft.shape == fo.shape == (2, 2)
    assert np.all((ft >= 0) & (ft <= 1)) and not np.allclose(ft[0], ft[1])  # members differ
    with pytest.raises(NotFoundError):
        EnsembleScorer.from_pretrain_dir(tmp_path, members=3)
    with pytest.raises(NotFoundError):
        EnsembleScorer.from_pretrain_dir(tmp_path / "nothing")


def test_weight_rows_average_members_then_clamp():
    ft = np.array([[0.9, 0.2], [0.7, 0.4]])
    fo = np.array([[0.1, 0.5], [0.3, 0.5]])
    rows = weight_rows(["s0", "s1"], "procedural", ["object", "flip"], ft, fo, [True, False])
    assert rows[0].f_target == pytest.approx(0.8) and rows[0].f_other == pytest.approx(0.2)
    assert rows[0].weight == pytest.approx(0.6)
    assert rows[1].weight == 0.0  # 0.3 − 0.5 < 0 → clamped


def test_weights_file_rows_match_the_weights_event(tmp_path):
    rows = weight_rows(["s0"], "procedural", ["object"], np.array([[0.9]]), np.array([[0.2]]), [True])
    path = write_weights(tmp_path / "weights.jsonl", rows)
    line = json.loads(path.read_text().splitlines()[0])
    # the fields documented for the `weights` event in synvita/events.py
    assert set(line) == {"sample_id", "generator", "misalignment", "f_target", "f_other", "weight", "faithful"}
    assert read_weights(path) == rows
    assert not list(tmp_path.glob("*.tmp"))
