"""`oracle`: ω from the procedural world's ground truth (analysis only — a real generator has no such flag).

f̄(Vˢ, tˢ) = 1 if the generator rendered its prompt faithfully, else 0; f̄(Vˢ, tʳ) = 1 − that. So ω is 1 for a
faithful generation and 0 for a failed one (which rendered tʳ's content instead).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from synvita.errors import UserInputError


class OracleScorer:
    name = "oracle"

    def __init__(self, faithful: Sequence[bool | None]) -> None:
        self.faithful = np.array([np.nan if f is None else float(bool(f)) for f in faithful], dtype=np.float64)

    def score(self, frames: np.ndarray, video_index: np.ndarray, target_captions: Sequence[str],
              other_captions: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        video_index = np.asarray(video_index)
        if video_index.size and video_index.max() >= len(self.faithful):
            raise UserInputError("oracle scorer: video index beyond the faithful flags", hint="pass one flag per synthetic video")
        f = self.faithful[video_index]
        return f[None], (1.0 - f)[None]
