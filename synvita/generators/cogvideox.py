"""CogVideoX (the paper's open-source generator) through diffusers' `CogVideoXPipeline`, from local weights.

Defaults follow the CogVideoX-2b/5b model cards (49 frames at 480×720, 50 steps, guidance 6, 8 fps, bf16 on GPU).
The checks below turn the pipeline's opaque shape errors into one-line `UserInputError`s: height and width must be
multiples of the VAE's spatial factor × the transformer's patch size (16 for every released CogVideoX), and
num_frames must be 4k+1 so the output really has num_frames frames. The prompt length is the transformer's
`max_text_seq_length` (226 for the released models), so no mismatch error can occur.
"""

from __future__ import annotations

import os

from synvita.errors import UserInputError
from synvita.generators.diffusers_pipeline import DiffusersGenerator


class CogVideoXGenerator(DiffusersGenerator):
    """`CogVideoXPipeline.from_pretrained(model_path)`; see `DiffusersGenerator` for the options."""

    name = "cogvideox"
    example_repo = "THUDM/CogVideoX-2b"
    pipeline_class = "CogVideoXPipeline"
    default_fps = 8
    needs_model_path = False

    def __init__(
        self,
        model_path: str | os.PathLike[str] = "THUDM/CogVideoX-2b",
        *,
        num_frames: int | None = 49,
        height: int | None = 480,
        width: int | None = 720,
        steps: int | None = 50,
        guidance: float | None = 6.0,
        **options,
    ) -> None:
        super().__init__(model_path, num_frames=num_frames, height=height, width=width, steps=steps, guidance=guidance, **options)
        pipe = self.pipe
        spatial = int(pipe.vae_scale_factor_spatial) * int(pipe.transformer.config.patch_size)
        temporal = int(pipe.vae_scale_factor_temporal)
        for label, value in (("height", self.height), ("width", self.width)):
            if value is not None and (value <= 0 or value % spatial):
                raise UserInputError(f"CogVideoX {label} {value} is not a multiple of {spatial}", hint=f"use e.g. {max(spatial, value // spatial * spatial)}")
        if self.num_frames is not None and (self.num_frames < 1 or (self.num_frames - 1) % temporal):
            k = max(0, (self.num_frames - 1) // temporal)
            raise UserInputError(f"CogVideoX num_frames {self.num_frames} is not {temporal}k+1", hint=f"use {temporal * k + 1} or {temporal * (k + 1) + 1}")
        self.call_kwargs.setdefault("max_sequence_length", int(pipe.transformer.config.max_text_seq_length))
