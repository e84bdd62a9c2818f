"""Every loss formula pinned to hand-computed values (METHOD.md §3–4, items 5–9)."""

import math

import pytest
import torch

from synvita.method import (
    alignment_weight,
    entailment_probability,
    entailment_probability_from_vocab,
    scr_from_scores,
    semantic_consistency_loss,
    token_cross_entropy_sums,
    total_loss,
    weight_rule,
    weighted_cross_entropy,
    build_sequence_batch,
    RealRows,
)
from synvita.errors import UnknownNameError, UserInputError
import numpy as np


def t(*xs):
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


class TestConsistencyHinge:
    def test_label_one_by_hand(self):
        """Real label 1: relu(γ + f(Vr,c′) − f(Vr,c)) + relu(γ + f(Vs,c) − f(Vs,c′)), times ω."""
        # f(Vr,c)=0.9 f(Vr,c′)=0.8 → 0.2+0.8-0.9 = 0.1 ; f(Vs,c)=0.3 f(Vs,c′)=0.4 → 0.2+0.3-0.4 = 0.1
        loss = semantic_consistency_loss(t(0.9), t(0.8), t(0.3), t(0.4), torch.tensor([1]), t(0.5))
        assert loss.item() == pytest.approx(0.5 * (0.1 + 0.1))

    def test_label_zero_by_hand(self):
        """Real label 0: relu(γ + f(Vs,c′) − f(Vs,c)) + relu(γ + f(Vr,c) − f(Vr,c′))."""
        # f(Vs,c)=0.7 f(Vs,c′)=0.6 → 0.2+0.6-0.7 = 0.1 ; f(Vr,c)=0.1 f(Vr,c′)=0.5 → 0.2+0.1-0.5 < 0 → 0
        loss = semantic_consistency_loss(t(0.1), t(0.5), t(0.7), t(0.6), torch.tensor([0]), t(1.0))
        assert loss.item() == pytest.approx(0.1)
        # the same numbers with label 1 use the opposite directions: 0.2+0.5-0.1=0.6 ; 0.2+0.7-0.6=0.3
        loss1 = semantic_consistency_loss(t(0.1), t(0.5), t(0.7), t(0.6), torch.tensor([1]), t(1.0))
        assert loss1.item() == pytest.approx(0.9)

    def test_mean_over_pairs_and_weights(self):
        f_r, f_rs, f_s, f_ss = t(0.9, 0.1), t(0.8, 0.5), t(0.3, 0.7), t(0.4, 0.6)
        loss = semantic_consistency_loss(f_r, f_rs, f_s, f_ss, torch.tensor([1, 0]), t(0.5, 2.0), margin=0.2)
        assert loss.item() == pytest.approx((0.5 * 0.2 + 2.0 * 0.1) / 2)

    def test_margin_is_used(self):
        loss = semantic_consistency_loss(t(0.5), t(0.5), t(0.5), t(0.5), torch.tensor([1]), t(1.0), margin=0.3)
        assert loss.item() == pytest.approx(0.6)

    def test_zero_pairs_is_zero_and_backward_works(self):
        e = torch.zeros(0, requires_grad=True)
        loss = semantic_consistency_loss(e, e, e, e, torch.zeros(0, dtype=torch.long), torch.zeros(0))
        assert loss.item() == 0.0 and loss.dim() == 0
        (loss + e.sum()).backward()

    def test_gradients_reach_all_four_scores(self):
        f = [t(0.5, 0.5) for _ in range(4)]
        loss = semantic_consistency_loss(*f, torch.tensor([1, 0]), t(1.0, 1.0))
        loss.backward()
        for x in f:
            assert x.grad is not None and torch.count_nonzero(x.grad) == 2
        # label 1 pair: d/d f(Vr,c) = −1/P, d/d f(Vr,c′) = +1/P, d/d f(Vs,c) = +1/P, d/d f(Vs,c′) = −1/P
        assert [x.grad[0].item() for x in f] == pytest.approx([-0.5, 0.5, 0.5, -0.5])
        assert [x.grad[1].item() for x in f] == pytest.approx([0.5, -0.5, -0.5, 0.5])

    def test_matches_a_per_pair_loop(self):
        g = torch.Generator().manual_seed(0)
        P = 37
        f = [torch.rand(P, generator=g, dtype=torch.float64) for _ in range(4)]
        label = torch.randint(0, 2, (P,), generator=g)
        w = torch.rand(P, generator=g, dtype=torch.float64)
        total = 0.0
        for i in range(P):
            r, rs, s, ss = (x[i].item() for x in f)
            if label[i] == 1:
                term = max(0, 0.2 + rs - r) + max(0, 0.2 + s - ss)
            else:
                term = max(0, 0.2 + ss - s) + max(0, 0.2 + r - rs)
            total += w[i].item() * term
        assert semantic_consistency_loss(*f, label, w).item() == pytest.approx(total / P)


class TestCrossEntropy:
    def test_reference_normalisation_by_hand(self):
        """Sum CE per sequence / total label tokens of non-copy sequences; ω after division; copies ignored."""
        # seqs: real(2 tok, ce 1.0), real copy (ce NaN, 2 tok), syn(2 tok, ce 3.0, ω .5), syn copy, real NLE(6 tok, ce 6.0)
        ce = torch.tensor([1.0, float("nan"), 3.0, float("nan"), 6.0], requires_grad=True)
        n_tok = torch.tensor([2, 2, 2, 2, 6])
        is_copy = torch.tensor([False, True, False, True, False])
        is_syn = torch.tensor([False, False, True, True, False])
        w = torch.tensor([1.0, 1.0, 0.5, 0.5, 1.0])
        loss_real, loss_synth = weighted_cross_entropy(ce, n_tok, is_copy, is_syn, w)
        assert loss_real.item() == pytest.approx((1.0 + 6.0) / 10)
        assert loss_synth.item() == pytest.approx(0.5 * 3.0 / 10)
        (loss_real + loss_synth).backward()
        assert ce.grad.tolist() == pytest.approx([0.1, 0.0, 0.05, 0.0, 0.1])

    def test_weights_do_not_change_the_denominator(self):
        ce, n = torch.tensor([2.0, 2.0]), torch.tensor([2, 2])
        no_copy, syn = torch.tensor([False, False]), torch.tensor([False, True])
        _, s1 = weighted_cross_entropy(ce, n, no_copy, syn, torch.tensor([1.0, 1.0]))
        _, s0 = weighted_cross_entropy(ce, n, no_copy, syn, torch.tensor([1.0, 0.0]))
        assert s1.item() == pytest.approx(0.5) and s0.item() == 0.0
        r1, _ = weighted_cross_entropy(ce, n, no_copy, syn, torch.tensor([1.0, 0.0]))
        assert r1.item() == pytest.approx(0.5)  # ω = 0 still counts its tokens in N

    def test_empty_batch(self):
        z = torch.zeros(0)
        b = torch.zeros(0, dtype=torch.bool)
        r, s = weighted_cross_entropy(z, torch.zeros(0, dtype=torch.long), b, b, z)
        assert r.item() == 0.0 and s.item() == 0.0

    def test_token_sums(self):
        logits = torch.zeros(2, 3, 4)  # uniform → CE = log 4 per valid token
        labels = torch.tensor([[1, -100, 2], [-100, -100, 0]])
        sums, n = token_cross_entropy_sums(logits, labels)
        assert n.tolist() == [2, 1]
        assert sums.tolist() == pytest.approx([2 * math.log(4), math.log(4)])

    def test_total(self):
        assert total_loss(torch.tensor(1.0), torch.tensor(0.5), torch.tensor(2.0), 0.01).item() == pytest.approx(1.52)


class TestScores:
    def test_two_way_equals_full_vocab_ratio(self):
        logits = torch.randn(3, 50, generator=torch.Generator().manual_seed(1))
        p = logits.softmax(-1)
        want = p[:, 7] / (p[:, 7] + p[:, 9])
        assert torch.allclose(entailment_probability_from_vocab(logits, 7, 9), want, atol=1e-6)
        assert entailment_probability(torch.tensor(0.0), torch.tensor(0.0)).item() == 0.5

    def test_scr_from_batch_positions(self):
        rows = RealRows(np.array([0, 0]), np.array([1, 0]), ["a b", "a c"], ["a c", "a b"],
                        np.array([5, 5]), np.array([0.5, 0.5], np.float32))
        batch = build_sequence_batch(rows)
        f = torch.tensor([0.9, 0.8, 0.3, 0.4, 0.1, 0.5, 0.7, 0.6])
        want = semantic_consistency_loss(t(0.9, 0.1), t(0.8, 0.5), t(0.3, 0.7), t(0.4, 0.6),
                                         torch.tensor([1, 0]), t(0.5, 0.5))
        assert scr_from_scores(f, batch).item() == pytest.approx(want.item(), abs=1e-6)


class TestWeights:
    def test_ensemble_mean_then_clamp(self):
        f_t = torch.tensor([[0.9, 0.2, 0.5], [0.7, 0.4, 0.5]])
        f_o = torch.tensor([[0.1, 0.6, 0.5], [0.3, 0.4, 0.3]])
        # means: target .8 .3 .5 ; other .2 .5 .4 → diff .6 −.2 .1 → clamp .6 0 .1
        assert alignment_weight(f_t, f_o).tolist() == pytest.approx([0.6, 0.0, 0.1])
        assert weight_rule("difference")(f_t, f_o).tolist() == pytest.approx([0.6, 0.0, 0.1])
        assert weight_rule("target")(f_t, f_o).tolist() == pytest.approx([0.8, 0.3, 0.5])
        assert weight_rule("fixed")(f_t, f_o).tolist() == [1.0, 1.0, 1.0]

    def test_single_scorer_and_shape_errors(self):
        assert alignment_weight([0.5, 0.1], [0.2, 0.3]).tolist() == pytest.approx([0.3, 0.0])
        with pytest.raises(UserInputError):
            alignment_weight(torch.zeros(2, 3), torch.zeros(3, 2))
        with pytest.raises(UnknownNameError) as err:
            weight_rule("nope")
        assert "fixed, target, difference" in err.value.one_line()
