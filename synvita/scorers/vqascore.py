"""`vqascore`: ω from an ensemble of off-the-shelf video-LLMs asked a yes/no question (VQAScore-style).

The paper weights each synthetic video by ω = max(0, f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ)) with f̄ the mean over an ensemble of
VQAScore models (METHOD.md §3; which models is unconfirmed). Each member here is a `videollm` model: a plain
transformers Video-LLaVA / LLaVA-NeXT-Video directory (or cached repo id), or a synvita `save_pretrained`
directory (base + LoRA adapter). Two measures:

    p_yes  VQAScore proper: p("Yes" | video, question) from the full-vocabulary softmax (the default)
    ratio  the alignment model's f = p(Yes) / (p(Yes) + p(No))

The question defaults to VQAScore's "Does this video show "{text}"? Please answer yes or no." in the model's
conversation format; a synvita-saved member keeps the prompt it was trained with. Each video is encoded once
per member for both of its captions. Returns (f_target [K, N], f_other [K, N]).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from synvita.errors import NotFoundError, UserInputError
from synvita.scorers.base import Scorer

if TYPE_CHECKING:
    from synvita.models.base import AlignmentModel

VQASCORE_TEMPLATE = 'USER: <video>\nDoes this video show "{caption}"? Please answer yes or no. ASSISTANT:'
MEASURES = ("p_yes", "ratio")


def _is_synvita_dir(path: Path) -> bool:
    import json

    from synvita.models.base import CONFIG_NAME

    cfg = path / CONFIG_NAME
    return cfg.is_file() and "name" in json.loads(cfg.read_text())


class VQAScoreScorer(Scorer):
    """Mean over K video-LLMs of p(Yes) (or the Yes/No ratio) for (Vˢ, tˢ) and (Vˢ, tʳ)."""

    name = "vqascore"

    def __init__(
        self,
        members: Sequence[str | os.PathLike[str] | AlignmentModel],
        *,
        measure: str = "p_yes",
        prompt_template: str | None = VQASCORE_TEMPLATE,
        device: str = "auto",
        dtype: str = "auto",
        batch_videos: int = 8,
    ) -> None:
        if not members:
            raise NotFoundError("the vqascore ensemble is empty", hint="list at least one video-LLM directory or repo id")
        if measure not in MEASURES:
            raise UserInputError(f"unknown vqascore measure '{measure}'", hint=f"use one of: {', '.join(MEASURES)}")
        self.measure = measure
        self.batch_videos = int(batch_videos)
        from synvita.models.base import AlignmentModel

        self.members: list[AlignmentModel] = []
        for member in members:
            if isinstance(member, AlignmentModel):
                self.members.append(member)
                continue
            path = Path(os.fspath(member)).expanduser()
            if _is_synvita_dir(path):
                from synvita.models.base import load_model

                self.members.append(load_model(path))
            else:
                from synvita.models.videollm import VideoLLMAlignmentModel

                cfg = {"model_path": os.fspath(member), "device": device, "dtype": dtype}
                if prompt_template is not None:
                    cfg["prompt_template"] = prompt_template
                self.members.append(VideoLLMAlignmentModel(cfg))
        from synvita.models.videollm import VideoLLMAlignmentModel

        for m in self.members:
            if measure == "p_yes" and not isinstance(m, VideoLLMAlignmentModel):
                raise UserInputError(f"measure p_yes needs video-LLM members, got '{m.name}'", hint="use measure='ratio'")
            m.eval()

    needs_pretrain = False

    @classmethod
    def validate_section(cls, section: Any) -> None:
        """`paths` must be listed, each a model directory (plain transformers or synvita-saved, both with a
        config.json) or a repo id in the HF cache: checked here, offline, before anything runs."""
        from synvita.hub import check_weights
        from synvita.models.videollm_options import EXAMPLE_REPO

        if not section.paths:
            raise UserInputError("scorers.paths must list the video-LLM directories for vqascore",
                                 hint='e.g. paths = ["/weights/Video-LLaVA-7B-hf"]')
        for path in section.paths:
            check_weights(path, key="scorers.paths", example_repo=EXAMPLE_REPO, marker="config.json")

    @classmethod
    def from_section(cls, section: Any, ctx: Any) -> "VQAScoreScorer":
        """The K video-LLMs of the [scorers] section's `paths` (model dirs / cached repo ids), p_yes measure."""
        cls.validate_section(section)
        return cls(list(section.paths))

    def _member_scores(self, model: AlignmentModel, frames: np.ndarray, video_index: np.ndarray, captions: list[str]) -> np.ndarray:
        import torch

        with torch.no_grad():
            return self._member_scores_no_grad(model, frames, video_index, captions)

    def _member_scores_no_grad(self, model: AlignmentModel, frames: np.ndarray, video_index: np.ndarray,
                               captions: list[str]) -> np.ndarray:
        import torch

        from synvita.models.base import as_video_tensor

        if self.measure == "ratio":
            return model.predict(frames, video_index, captions, batch_videos=self.batch_videos)
        out = np.zeros(len(captions), dtype=np.float64)
        uniq = np.unique(video_index)
        for start in range(0, len(uniq), self.batch_videos):
            chunk = uniq[start : start + self.batch_videos]
            rows = np.flatnonzero(np.isin(video_index, chunk))
            feats = model.encode_videos(as_video_tensor(np.asarray(frames[chunk])).to(model.device))
            local = torch.as_tensor(np.searchsorted(chunk, video_index[rows]), device=model.device)
            logits = model(feats, local, model.prepare_text([captions[i] for i in rows]))  # full-vocab log-probs
            out[rows] = logits[:, 0].exp().double().cpu().numpy()
        return out

    def score(self, frames: np.ndarray, video_index: np.ndarray, target_captions: Sequence[str],
              other_captions: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(f_target [K, N], f_other [K, N]) for the N videos `frames[video_index]` (uint8 [*, T, H, W, 3])."""
        video_index = np.asarray(video_index, dtype=np.int64)
        n = len(video_index)
        if len(target_captions) != n or len(other_captions) != n:
            raise UserInputError(f"{n} videos, {len(target_captions)} target and {len(other_captions)} other captions",
                                 hint="one tˢ and one tʳ per synthetic video")
        idx = np.concatenate([video_index, video_index])
        caps = list(target_captions) + list(other_captions)
        per_member = [self._member_scores(m, frames, idx, caps) for m in self.members]
        f = np.stack(per_member)  # [K, 2N]
        return f[:, :n], f[:, n:]
