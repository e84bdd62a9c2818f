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


def relative_step_cost(name: str) -> int:
    """How many sequences a training step of `name` scores, relative to `none` (the real rows only): synthetic videos
    double them and the consistency term's c′ copies double them again. The planner starts the costliest first."""
    v = get_variant(name)
    return (2 if v.synthetic else 1) * (2 if v.consistency else 1)


def get_variant(name: str) -> Variant:
    if name not in _SPECS or name not in VARIANTS:
        raise UnknownNameError(f"unknown training variant '{name}'", hint=f"one of: {', '.join(VARIANTS)}")
    synthetic, rule, consistency = _SPECS[name]
    return Variant(name, synthetic, rule, consistency)


_RULE_NAMES = {"one": "fixed", "target": "target", "diff": "difference"}


def compute_weights(rule: str, f_target: np.ndarray, f_other: np.ndarray) -> np.ndarray:
    """ω per synthetic video (float32 [N]) by synvita.method's weight rules, from per-scorer scores [K, N]
    (or ensemble means [N]). NaN stays NaN here; the batch builder reads it as missing → 1.0 before clamping."""
    from synvita.method import weight_rule

    if rule not in _RULE_NAMES:
        raise UnknownNameError(f"unknown weight rule '{rule}'", hint="one of: one, target, diff")
    w = weight_rule(_RULE_NAMES[rule])(np.asarray(f_target, dtype=np.float32), np.asarray(f_other, dtype=np.float32))
    return w.numpy().astype(np.float32)
