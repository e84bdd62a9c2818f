"""`ensemble`: K tiny alignment models, pretrained with different seeds on the world's pretrain corpus.

The stand-in for the paper's ensemble of off-the-shelf VQAScore models: they are trained on broad data with
simple negatives only, never on the fine-tuning split, so they carry none of its linguistic bias.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from synvita.errors import NotFoundError
from synvita.scorers.base import Scorer

if TYPE_CHECKING:
    from synvita.models.base import AlignmentModel

MEMBERS_DIR = "scorers"
"""Under a pretrain run directory: scorers/0, scorers/1, ... (save_pretrained directories)."""


class EnsembleScorer(Scorer):
    name = "ensemble"

    def __init__(self, members: Sequence[AlignmentModel]) -> None:
        if not members:
            raise NotFoundError("the scorer ensemble is empty", hint="pretrain at least one scorer (scorers.members ≥ 1)")
        self.members = list(members)

    @classmethod
    def from_section(cls, section: Any, ctx: Any) -> "EnsembleScorer":
        """The first `members` scorers the upstream pretrain run trained."""
        return cls.from_pretrain_dir(ctx.inputs["pretrain"], section.members)

    @classmethod
    def from_pretrain_dir(cls, run_dir: str | Path, members: int | None = None) -> "EnsembleScorer":
        from synvita.models.base import load_model

        root = Path(run_dir) / MEMBERS_DIR
        dirs = sorted((p for p in root.glob("*") if (p / "config.json").exists()), key=lambda p: int(p.name))
        if not dirs:
            raise NotFoundError(f"no scorer models under {root}", hint="run the pretrain stage first")
        if members is not None:
            if len(dirs) < members:
                raise NotFoundError(f"{len(dirs)} scorers under {root}, {members} requested", hint="re-run pretrain with more members")
            dirs = dirs[:members]
        return cls([load_model(d) for d in dirs])

    def score(self, frames: np.ndarray, video_index: np.ndarray, target_captions: Sequence[str],
              other_captions: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(f_target [K, N], f_other [K, N]); each member encodes each video once for both captions."""
        from synvita.models.base import VideoInputCache

        n = len(video_index)
        idx = np.concatenate([np.asarray(video_index), np.asarray(video_index)])
        caps = list(target_captions) + list(other_captions)
        ft, fo = [], []
        shared = None  # members with the same parameter-free video inputs (tracks) compute them once between them
        for model in self.members:
            if shared is None and model.caches_video_inputs:
                shared = VideoInputCache(model, frames)
            f = model.predict(frames, idx, caps, inputs=shared if shared is not None and shared.serves(model) else None)
            ft.append(f[:n])
            fo.append(f[n:])
        return np.stack(ft), np.stack(fo)
