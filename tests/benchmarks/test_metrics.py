"""Metrics against brute force (ties included) and sklearn; hand-computed small cases."""

import numpy as np
import pytest

from synvita.benchmarks.metrics import bootstrap_ci, paired_difference, qa_accuracy, retrieval_metrics, roc_auc
from synvita.errors import UserInputError


def _auc_brute(y, s):
    pos, neg = s[y == 1], s[y == 0]
    total = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return total / (len(pos) * len(neg))


def _calc_ssv2_brute(scores, relevant):
    """The official per-query loop, with a stable ranking."""
    aps, r = [], {1: [], 5: [], 10: []}
    for pred, lab in zip(scores, relevant):
        ranks = sorted(range(len(pred)), key=lambda i: -pred[i])  # Python's sort is stable
        hit_precision, hits = [], 0
        for i, idx in enumerate(ranks):
            if lab[idx] == 1:
                hits += 1
                hit_precision.append(hits / (i + 1))
        aps.append(sum(hit_precision) / len(hit_precision))
        for k in r:
            r[k].append(int(any(lab[idx] == 1 for idx in ranks[:k])))
    return {"mAP": np.mean(aps), **{f"R@{k}": np.mean(v) for k, v in r.items()}}


def test_roc_auc_by_hand():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert roc_auc([1, 0, 1], [0.9, 0.1, 0.1]) == pytest.approx(0.75)


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_brute_force_and_sklearn_with_ties(seed):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 60)
    y[:2] = [0, 1]
    s = rng.integers(0, 6, 60) / 5.0  # heavy ties
    assert roc_auc(y, s) == pytest.approx(_auc_brute(y, s))
    assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s))
    s2 = rng.random(60)
    assert roc_auc(y, s2) == pytest.approx(roc_auc_score(y, s2))


def test_roc_auc_errors():
    with pytest.raises(UserInputError, match="both classes"):
        roc_auc([1, 1], [0.2, 0.3])
    with pytest.raises(UserInputError, match="labels"):
        roc_auc([1, 2], [0.2, 0.3])
    with pytest.raises(UserInputError):
        roc_auc([1, 0, 1], [0.2, 0.3])


def test_retrieval_by_hand():
    # query 0: ranked videos 2,0,1,3 ; positives {0,3} → hits at ranks 2 and 4: AP = (1/2 + 2/4)/2 = 0.5
    # query 1: positive {1}, ranked first → AP 1
    scores = np.array([[0.5, 0.2, 0.9, 0.1], [0.0, 0.8, 0.3, 0.2]])
    relevant = np.array([[1, 0, 0, 1], [0, 1, 0, 0]])
    m = retrieval_metrics(scores, relevant)
    assert m["mAP"] == pytest.approx(0.75)
    assert m["R@1"] == pytest.approx(0.5) and m["R@5"] == 1.0 and m["R@10"] == 1.0


def test_retrieval_tie_rule_keeps_gallery_order():
    # all tied: stable order → the positive at gallery index 1 is at rank 2 → AP 1/2, R@1 0
    m = retrieval_metrics(np.zeros((1, 3)), np.array([[0, 1, 0]]))
    assert m["mAP"] == pytest.approx(0.5) and m["R@1"] == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_retrieval_brute_force_with_ties(seed):
    rng = np.random.default_rng(seed)
    Q, N = 7, 40
    scores = rng.integers(0, 8, (Q, N)) / 7.0
    relevant = (rng.random((Q, N)) < 0.2).astype(int)
    relevant[:, 0] = 1
    got, want = retrieval_metrics(scores, relevant), _calc_ssv2_brute(scores, relevant)
    for key in want:
        assert got[key] == pytest.approx(want[key])


def test_retrieval_errors():
    with pytest.raises(UserInputError, match="no relevant"):
        retrieval_metrics(np.zeros((2, 3)), np.array([[1, 0, 0], [0, 0, 0]]))
    with pytest.raises(UserInputError):
        retrieval_metrics(np.zeros((2, 3)), np.zeros((3, 2)))


def test_qa_accuracy_first_max_wins():
    scores = np.array([[0.1, 0.9, 0.2, 0.3, 0.0], [0.5, 0.5, 0.1, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2, 0.3]])
    assert qa_accuracy(scores, [1, 1, 4]) == pytest.approx(2 / 3)  # the tie in row 1 picks option 0
    rng = np.random.default_rng(0)
    s, a = rng.integers(0, 3, (50, 5)), rng.integers(0, 5, 50)
    brute = np.mean([int(np.flatnonzero(row == row.max())[0] == ans) for row, ans in zip(s, a)])
    assert qa_accuracy(s, a) == pytest.approx(brute)
    with pytest.raises(UserInputError):
        qa_accuracy(scores, [0, 5, 1])


def test_bootstrap_and_paired_difference():
    mean, lo, hi = bootstrap_ci([1.0, 2.0, 3.0, 4.0], seed=0)
    assert mean == 2.5 and 1.0 <= lo <= mean <= hi <= 4.0
    assert bootstrap_ci([2.0, 2.0]) == (2.0, 2.0, 2.0)
    d = paired_difference([3.0, 4.0, 5.0], [1.0, 2.0, 3.0])
    assert d == (2.0, 2.0, 2.0)
