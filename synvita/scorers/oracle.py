"""`oracle`: ω from the procedural world's ground truth (analysis only — a real generator has no such flag).

f̄(Vˢ, tˢ) = 1 if the generator rendered its prompt faithfully, else 0; f̄(Vˢ, tʳ) = 1 − that. So ω is 1 for a
faithful generation and 0 for a failed one (which rendered tʳ's content instead).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from synvita.errors import UserInputError
from synvita.scorers.base import Scorer


class OracleScorer(Scorer):
    """`faithful[j]`: the ground-truth flag of synthetic video j (None where unknown)."""

    name = "oracle"

    @classmethod
    def from_section(cls, section: Any, ctx: Any) -> "OracleScorer":
        """The generate run's ground-truth flags, by video; refused for a generator that has none (a real one)."""
        syn = ctx.synthetic
        if not syn.knows_faithful:
            raise UserInputError(
                f"the oracle scorer needs ground-truth faithful flags, which the {syn.generator} generator does not have",
                hint="use scorers.name = \"ensemble\" (or vqascore) for real generators",
            )
        by_video: list[bool | None] = [None] * len(syn.bank.frames)
        for p in np.flatnonzero(syn.pair_index >= 0):
            by_video[int(syn.pair_index[p])] = syn.faithful_or_none(int(p))
        return cls(by_video)

    def __init__(self, faithful: Sequence[bool | None]) -> None:
        self.faithful = np.array([np.nan if f is None else float(bool(f)) for f in faithful], dtype=np.float64)

    def score(self, frames: np.ndarray, video_index: np.ndarray, target_captions: Sequence[str],
              other_captions: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        video_index = np.asarray(video_index)
        if video_index.size and video_index.max() >= len(self.faithful):
            raise UserInputError("oracle scorer: video index beyond the faithful flags", hint="pass one flag per synthetic video")
        f = self.faithful[video_index]
        return f[None], (1.0 - f)[None]
