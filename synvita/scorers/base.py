"""The scorer component (built from the spec's [scorers] section), what every scorer returns, and the per-sample
weights file the score stage writes.

A scorer maps N synthetic videos with their target captions tˢ (the prompts) and other captions tʳ to
per-member scores `f_target [K, N]` = f_k(Vˢ, tˢ) and `f_other [K, N]` = f_k(Vˢ, tʳ). ω comes from
`synvita.method.alignment_weight` (mean over K, difference, clamp at 0).

The weights file is JSONL, one row per synthetic video, with exactly the fields of the `weights` event
(`synvita.events`): sample_id, generator, misalignment, f_target, f_other, weight, faithful.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from synvita.registry import Component


class Scorer(Component):
    """Scores synthetic videos against their prompts tˢ and their real captions tʳ.

    `from_section(section, ctx)` builds the scorer for one score run: `ctx.inputs` holds the upstream run
    directories ("world", "generate", and "pretrain" when `needs_pretrain`), `ctx.synthetic` the generate run's
    synthetic set.
    """

    needs_pretrain: bool = True
    """True when the scorer reads the pretrain run (the `ensemble` trains its members there); the planner then
    makes score runs depend on it. False for a scorer of ready-made models (`vqascore`)."""

    def score(
        self, frames: np.ndarray, video_index: np.ndarray, target_captions: Sequence[str], other_captions: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(f_target [K, N], f_other [K, N]) for the N videos `frames[video_index]`."""
        raise NotImplementedError

    @classmethod
    def from_section(cls, section: Any, ctx: Any) -> "Scorer":
        raise NotImplementedError(f"{cls.__name__} does not build from a spec section")


@dataclass
class WeightRow:
    sample_id: str
    generator: str
    misalignment: str
    f_target: float
    """f̄(Vˢ, tˢ), the ensemble mean."""
    f_other: float
    """f̄(Vˢ, tʳ)."""
    weight: float
    """ω = max(0, f_target − f_other)."""
    faithful: bool | None = None


def weight_rows(
    sample_ids: Sequence[str], generator: str, misalignment: Sequence[str], f_target: np.ndarray, f_other: np.ndarray,
    faithful: Sequence[bool | None] | None = None,
) -> list[WeightRow]:
    """One row per video from per-member scores [K, N] (ω by synvita.method.alignment_weight)."""
    from synvita.method import alignment_weight

    import torch

    ft = np.asarray(f_target, dtype=np.float64).reshape(-1, len(sample_ids))
    fo = np.asarray(f_other, dtype=np.float64).reshape(-1, len(sample_ids))
    omega = alignment_weight(torch.as_tensor(ft), torch.as_tensor(fo)).numpy()
    mt, mo = ft.mean(0), fo.mean(0)
    rows = []
    for i, sid in enumerate(sample_ids):
        fl = None if faithful is None or faithful[i] is None else bool(faithful[i])
        rows.append(WeightRow(str(sid), generator, str(misalignment[i]), float(mt[i]), float(mo[i]), float(omega[i]), fl))
    return rows


def write_weights(path: str | Path, rows: Sequence[WeightRow]) -> Path:
    """Atomically write the weights JSONL."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w") as fh:
        for r in rows:
            fh.write(json.dumps(asdict(r), allow_nan=True) + "\n")
    os.replace(tmp, path)
    return path


def read_weights(path: str | Path) -> list[WeightRow]:
    out = []
    with open(path) as fh:
        for line in fh:
            if line.strip():
                out.append(WeightRow(**json.loads(line)))
    return out


def rows_arrays(rows: Sequence[WeightRow]) -> tuple[np.ndarray, np.ndarray]:
    """(f_target [N], f_other [N]) means from weight rows (NaN where missing)."""
    ft = np.array([r.f_target if r.f_target is not None else math.nan for r in rows], dtype=np.float64)
    fo = np.array([r.f_other if r.f_other is not None else math.nan for r in rows], dtype=np.float64)
    return ft, fo
