"""The SynViTA objective: entailment score f, weighted cross-entropy, semantic-consistency hinge, total loss.

Formulas follow METHOD.md ("What an implementation must get exactly right", items 1, 5, 6, 8, 9):

* f = p(Yes) / (p(Yes) + p(No)) at the position that predicts the answer token;
* CE: per-sequence *summed* token CE over the answer tokens, divided by the total number of valid label
  tokens of all non-copy (real + synthetic) sequences in the micro-batch; synthetic sequences are then
  multiplied by ω; ω never enters the denominator; c′ copies never enter the CE;
* SCR: per pair, two hinge terms whose direction depends on the real label, times ω, averaged over pairs;
* total = loss_real + loss_synth + λ · loss_scr.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def entailment_probability(yes_logit: torch.Tensor, no_logit: torch.Tensor) -> torch.Tensor:
    """f = p(Yes) / (p(Yes) + p(No)) from the Yes and No logits (any matching shapes).

    With a full-vocabulary softmax, p(Yes)/(p(Yes)+p(No)) = e^{y}/(e^{y}+e^{n}) because the softmax
    normaliser cancels, so this equals the 2-way softmax sigmoid(yes − no): computing the full softmax first
    gives the same value (up to float rounding). Differentiable; never detached.
    """
    return torch.sigmoid(yes_logit - no_logit)


def entailment_probability_from_vocab(logits: torch.Tensor, yes_id: int, no_id: int) -> torch.Tensor:
    """f from full-vocabulary logits `[..., V]` at the answer-predicting position (the one before the answer)."""
    return entailment_probability(logits[..., yes_id], logits[..., no_id])


def token_cross_entropy_sums(
    logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = -100
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sequence summed token CE and the count of valid label tokens.

    logits [S, L, V], labels [S, L] already aligned (logits[:, t] predicts labels[:, t]; shift before calling
    for causal LMs); positions with `ignore_index` do not count. Returns (seq_ce_sum [S], n_label_tokens [S]).
    """
    S, L, V = logits.shape
    token_ce = F.cross_entropy(logits.reshape(S * L, V).float(), labels.reshape(S * L), ignore_index=ignore_index,
                               reduction="none").reshape(S, L)  # [S, L], 0 at ignored positions
    valid = labels != ignore_index  # [S, L]
    return token_ce.sum(dim=1), valid.sum(dim=1)


def weighted_cross_entropy(
    seq_ce_sum: torch.Tensor,
    n_label_tokens: torch.Tensor,
    is_copy: torch.Tensor,
    is_synthetic: torch.Tensor,
    weight: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss_real, loss_synth) with the reference normalisation (METHOD.md item 8).

    All inputs are [S]. N = Σ n_label_tokens over non-copy sequences (real and synthetic);
    loss_real = Σ_{real, non-copy} seq_ce_sum / N; loss_synth = Σ_{synthetic, non-copy} ω · seq_ce_sum / N.
    Copies are excluded by selection (their seq_ce_sum may be anything, even NaN). N = 0 gives zeros.
    """
    keep = ~is_copy.bool()
    real = keep & ~is_synthetic.bool()
    syn = keep & is_synthetic.bool()
    n_tokens = n_label_tokens[keep].sum().to(seq_ce_sum.dtype)  # weights are not in the denominator
    denom = torch.clamp(n_tokens, min=1.0)
    zero = seq_ce_sum.new_zeros(())
    per_seq = torch.where(keep, seq_ce_sum, zero) / denom  # [S]
    loss_real = torch.where(real, per_seq, zero).sum()
    loss_synth = torch.where(syn, per_seq * weight.to(per_seq.dtype), zero).sum()
    return loss_real, loss_synth


def semantic_consistency_loss(
    f_real: torch.Tensor,
    f_real_shared: torch.Tensor,
    f_syn: torch.Tensor,
    f_syn_shared: torch.Tensor,
    real_label: torch.Tensor,
    weight: torch.Tensor,
    margin: float = 0.2,
) -> torch.Tensor:
    """SCR hinge (METHOD.md §4) averaged over P pairs; all inputs 1-D [P].

    f_real = f(V^r, c), f_real_shared = f(V^r, c′), f_syn = f(V^s, c), f_syn_shared = f(V^s, c′).
      real label 1 (c = t^r): relu(γ + f(V^r,c′) − f(V^r,c)) + relu(γ + f(V^s,c) − f(V^s,c′))
      real label 0 (c = t^s): relu(γ + f(V^s,c′) − f(V^s,c)) + relu(γ + f(V^r,c) − f(V^r,c′))
    i.e. the video whose positive is c must prefer c over c′ by γ, the other video c′ over c by γ.
    Returns Σ_i ω_i·(terms_i) / P; P = 0 gives a 0 that is still attached to the inputs' graph.
    """
    P = f_real.numel()
    if P == 0:
        return (f_real.sum() + f_real_shared.sum() + f_syn.sum() + f_syn_shared.sum()) * 0.0
    sign = torch.where(real_label.bool(), 1.0, -1.0).to(f_real.dtype)  # +1 label 1, −1 label 0
    real_term = F.relu(margin + sign * (f_real_shared - f_real))  # [P]
    syn_term = F.relu(margin - sign * (f_syn_shared - f_syn))  # [P]
    return (weight.to(f_real.dtype) * (real_term + syn_term)).sum() / P


def total_loss(
    loss_real: torch.Tensor, loss_synth: torch.Tensor, loss_scr: torch.Tensor, lambda_scr: float = 1.0
) -> torch.Tensor:
    """L = L_real + Σω·L_syn + λ·L_scr (loss_synth already carries ω; λ = 1.0 is the official default)."""
    return loss_real + loss_synth + lambda_scr * loss_scr


def scr_from_scores(f: torch.Tensor, batch, margin: float = 0.2) -> torch.Tensor:
    """`semantic_consistency_loss` for a `SequenceBatch` given f over all S sequences ([S])."""
    return semantic_consistency_loss(
        f[batch.real_orig], f[batch.real_copy], f[batch.syn_orig], f[batch.syn_copy],
        batch.pair_real_label.to(f.device), batch.pair_weight.to(f.device), margin=margin,
    )
