"""Sequence order, labels, copy/source flags, weights and hinge indices of the batch builder (METHOD.md §3)."""

import math

import numpy as np
import pytest
import torch

from synvita.data.types import PairSet
from synvita.method import RealRows, build_sequence_batch, clamp_weight, hinge_pairs_by_rank, rows_from_pairs


def _rows():
    # row 0: label 1 (c = t^r) with V^s 7, ω 0.3 ; row 1: label 0 (c = t^s) with V^s 7, ω NaN (missing)
    # row 2: unpaired (feedback-style) ; row 3: label 1 with negative ω → clamped to 0
    return RealRows(
        real_video=np.array([10, 10, 11, 12]),
        real_label=np.array([1, 0, 1, 1]),
        caption=["a dog runs", "a cat runs", "why not", "a man sits"],
        other_caption=["a cat runs", "a dog runs", "", "a man stands"],
        syn_video=np.array([7, 7, -1, 8]),
        omega=np.array([0.3, np.nan, 0.9, -0.4], np.float32),
    )


def test_order_labels_and_flags():
    b = build_sequence_batch(_rows())
    assert len(b) == 4 + 4 + 1 + 4
    assert b.video_index.tolist() == [10, 10, 7, 7, 10, 10, 7, 7, 11, 12, 12, 8, 8]
    assert b.is_synthetic.tolist() == [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1]
    assert b.is_copy.tolist() == [0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1]
    # (V^r,c)=real label, (V^s,c)=1−real label, for both real labels
    assert b.label.tolist() == [1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0]
    assert b.captions[:4] == ["a dog runs"] * 4 and b.captions[4:8] == ["a cat runs"] * 4
    assert b.shared_with[:4] == [None, "a cat runs", None, "a cat runs"]
    assert b.shared_with[4:8] == [None, "a dog runs", None, "a dog runs"]
    assert b.item_index.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 2, 3, 3, 3, 3]
    # every copy's original is at k−1 with the same video and caption
    for k in torch.nonzero(b.is_copy).flatten().tolist():
        assert not b.is_copy[k - 1] and b.video_index[k - 1] == b.video_index[k]
        assert b.captions[k - 1] == b.captions[k]
    assert b.ce_index.tolist() == [0, 2, 4, 6, 8, 9, 11]


def test_weights_missing_before_clamp():
    b = build_sequence_batch(_rows())
    assert b.weight.tolist() == pytest.approx([1, 1, 0.3, 0.3, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    assert b.pair_weight.tolist() == pytest.approx([0.3, 1.0, 0.0])
    assert clamp_weight(float("nan")) == 1.0 and clamp_weight(None) == 1.0
    assert clamp_weight(-0.2) == 0.0 and clamp_weight(0.7) == pytest.approx(0.7)


def test_hinge_indices_rank_pairing():
    b = build_sequence_batch(_rows())
    assert b.real_orig.tolist() == [0, 4, 9]
    assert b.real_copy.tolist() == [1, 5, 10]
    assert b.syn_orig.tolist() == [2, 6, 11]
    assert b.syn_copy.tolist() == [3, 7, 12]
    assert b.pair_real_label.tolist() == [1, 0, 1]
    rc, sc = hinge_pairs_by_rank(b.is_copy, b.is_synthetic)
    assert rc.tolist() == b.real_copy.tolist() and sc.tolist() == b.syn_copy.tolist()


def test_variants_without_copies_or_synthetic():
    naive = build_sequence_batch(_rows(), include_copies=False)
    assert naive.video_index.tolist() == [10, 7, 10, 7, 11, 12, 8]
    assert naive.label.tolist() == [1, 0, 0, 1, 1, 1, 0]
    assert not naive.is_copy.any() and naive.n_pairs == 0
    real_only = build_sequence_batch(_rows(), include_synthetic=False)
    assert real_only.video_index.tolist() == [10, 10, 11, 12]
    assert not real_only.is_synthetic.any() and real_only.n_pairs == 0


def test_unique_videos_encode_once():
    b = build_sequence_batch(_rows())
    real_ids, syn_ids, slot = b.unique_videos()
    assert real_ids.tolist() == [10, 11, 12] and syn_ids.tolist() == [7, 8]
    table = torch.cat([real_ids, syn_ids + 100])  # stand-in "encodings"
    want = [v + 100 if s else v for v, s in zip(b.video_index.tolist(), b.is_synthetic.tolist())]
    assert table[slot].tolist() == want


def test_rows_from_pairs_gives_both_labels():
    pairs = PairSet(
        video=np.array([3, 4]), caption_pos=["p0", "p1"], caption_neg=["n0", "n1"],
        misalignment=["object", "flip"], syn_video=np.array([0, -1]), weight=np.array([0.25, np.nan], np.float32),
    )
    rows = rows_from_pairs(pairs)
    assert rows.real_video.tolist() == [3, 3, 4, 4]
    assert rows.real_label.tolist() == [1, 0, 1, 0]
    assert rows.caption == ["p0", "n0", "p1", "n1"]
    assert rows.other_caption == ["n0", "p0", "n1", "p1"]
    assert rows.syn_video.tolist() == [0, 0, -1, -1]
    assert rows.omega[0] == pytest.approx(0.25) and math.isnan(rows.omega[3])
    b = build_sequence_batch(rows.take([1, 0, 2]))
    assert b.label.tolist() == [0, 0, 1, 1, 1, 1, 0, 0, 1]
    assert b.captions[0] == "n0" and b.shared_with[1] == "p0"
    sub = rows_from_pairs(pairs, index=[1])
    assert sub.caption == ["p1", "n1"]
    no_syn = rows_from_pairs(PairSet(np.array([1]), ["a"], ["b"], ["object"]))
    assert no_syn.syn_video.tolist() == [-1, -1] and len(build_sequence_batch(no_syn)) == 2
