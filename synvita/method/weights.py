"""Alignment-based sample weights ω for synthetic videos (METHOD.md §3) and the weighting ablations.

ω_i = max(0, f̄(V^s_i, t^s_i) − f̄(V^s_i, t^r_i)), f̄ the mean over an ensemble of K independent scorers.
A synthetic video that matches its own prompt t^s no better than the real caption t^r gets ω = 0, which
removes its CE and SCR contributions (a soft filter). The paper's ablations replace the rule by ω = 1 or
ω = f̄(V^s, t^s); `weight_rule(name)` gives the trainer each rule by name.

Missing values: a NaN anywhere in a video's scores makes its ω NaN, which the batch builder reads as
"missing" → 1.0 before clamping (METHOD.md item 7).
"""

from __future__ import annotations

from typing import Callable

import torch

from synvita.errors import UnknownNameError, UserInputError

WeightRule = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _as_scores(name: str, x) -> torch.Tensor:
    t = torch.as_tensor(x, dtype=torch.float32)
    if t.dim() == 1:
        t = t.unsqueeze(0)  # a single scorer: [N] → [1, N]
    if t.dim() != 2:
        raise UserInputError(f"{name} must be [K, N] scores (K scorers, N videos), got shape {tuple(t.shape)}")
    return t


def _means(f_target, f_other) -> tuple[torch.Tensor, torch.Tensor]:
    target, other = _as_scores("f_target", f_target), _as_scores("f_other", f_other)
    if target.shape != other.shape:
        raise UserInputError(
            f"f_target {tuple(target.shape)} and f_other {tuple(other.shape)} differ in shape",
            hint="both are [K, N]: the same K scorers over the same N synthetic videos",
        )
    return target.mean(dim=0), other.mean(dim=0)  # [N], [N]


def alignment_weight(f_target, f_other) -> torch.Tensor:
    """ω [N] = clamp(mean_k f_target − mean_k f_other, min=0).

    f_target [K, N] = f_k(V^s, t^s), f_other [K, N] = f_k(V^s, t^r) from K scorers ([N] means K = 1).
    """
    target, other = _means(f_target, f_other)
    return torch.clamp(target - other, min=0.0)


def alignment_difference(f_target, f_other) -> torch.Tensor:
    """The unclamped f̄(V^s,t^s) − f̄(V^s,t^r) [N] (what the paper's histogram shows)."""
    target, other = _means(f_target, f_other)
    return target - other


def _fixed_one(f_target, f_other) -> torch.Tensor:
    target, _ = _means(f_target, f_other)
    return torch.where(torch.isnan(target), target, torch.ones_like(target))


def _target_score(f_target, f_other) -> torch.Tensor:
    target, _ = _means(f_target, f_other)
    return target


WEIGHT_RULES: dict[str, WeightRule] = {
    "fixed": _fixed_one,  # ω = 1 (ablation; NaN scores stay NaN → 1.0 anyway)
    "target": _target_score,  # ω = f̄(V^s, t^s) (ablation)
    "difference": alignment_weight,  # ω = max(0, f̄(V^s,t^s) − f̄(V^s,t^r)) (SynViTA)
}
"""Weighting rules by name; each maps (f_target [K, N], f_other [K, N]) → ω [N]."""


def weight_rule(name: str) -> WeightRule:
    """The weighting rule called `name` ("fixed", "target", "difference")."""
    try:
        return WEIGHT_RULES[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown weight rule '{name}'", hint=f"weight rules: {', '.join(WEIGHT_RULES)}"
        ) from None
