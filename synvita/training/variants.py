"""What each training variant switches on: synthetic videos, the ω rule, the consistency term.

The weight ablations are the full method (weighted CE + consistency) with the weight rule swapped, as in the
paper's ablation table: `omega-one` ≡ `consistency`, `omega-diff` ≡ `synvita`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synvita.config import VARIANTS
from synvita.errors import UnknownNameError


@dataclass(frozen=True)
class Variant:
    name: str
    synthetic: bool
    """Synthetic videos enter training (CE on (Vˢ,c) with the flipped label)."""
    weight_rule: str
    """one | target | diff: how ω is computed from f̄(Vˢ,tˢ) and f̄(Vˢ,tʳ)."""
    consistency: bool
    """The semantic-consistency hinge term (needs the c′ copies)."""


_SPECS = {
    "none": (False, "one", False),
    "naive": (True, "one", False),
    "weighting": (True, "diff", False),
    "consistency": (True, "one", True),
    "synvita": (True, "diff", True),
    "omega-one": (True, "one", True),
    "omega-target": (True, "target", True),
    "omega-diff": (True, "diff", True),
}


def get_variant(name: str) -> Variant:
    if name not in _SPECS or name not in VARIANTS:
        raise UnknownNameError(f"unknown training variant '{name}'", hint=f"one of: {', '.join(VARIANTS)}")
    synthetic, rule, consistency = _SPECS[name]
    return Variant(name, synthetic, rule, consistency)


def compute_weights(rule: str, f_target: np.ndarray, f_other: np.ndarray) -> np.ndarray:
    """ω per synthetic video from the ensemble means (float32 [N]); NaN inputs give ω = 1 (METHOD.md item 7)."""
    import torch

    from synvita.method import alignment_weight

    f_target = np.asarray(f_target, dtype=np.float64)
    f_other = np.asarray(f_other, dtype=np.float64)
    if rule == "one":
        return np.ones(len(f_target), dtype=np.float32)
    if rule == "target":
        w = np.clip(f_target, 0.0, None)
    elif rule == "diff":
        # alignment_weight takes [K, N] per-scorer values; the means are passed as K = 1
        w = alignment_weight(torch.as_tensor(f_target[None]), torch.as_tensor(f_other[None])).numpy()
    else:
        raise UnknownNameError(f"unknown weight rule '{rule}'", hint="one of: one, target, diff")
    w = np.where(np.isnan(w), 1.0, w)
    return w.astype(np.float32)
