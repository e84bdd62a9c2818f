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


# ---- a tiny random CogVideoX, for trying the recipe without weights (and for tests) -------------------------

TINY_WORDS = "a the cat dog red blue ball plays runs jumps on in with table park video of man woman child".split()
TINY_SETTINGS = {"num_frames": 9, "height": 16, "width": 16, "steps": 2}
"""[generation] values the tiny CogVideoX is built for (the released models' defaults would take minutes on it)."""


def tiny_t5_tokenizer():
    """A T5 tokenizer with a small word + character vocabulary, made in memory (no sentencepiece file)."""
    from transformers import T5Tokenizer

    chars = sorted(set("".join(TINY_WORDS)) | set("abcdefghijklmnopqrstuvwxyz"))
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    vocab += [("\u2581" + w, -1.0) for w in TINY_WORDS] + [(c, -5.0) for c in chars]
    return T5Tokenizer(vocab=vocab, extra_ids=0)


def tiny_cogvideox_pipeline():
    """A randomly initialised `CogVideoXPipeline` with the released models' components at toy sizes (~100k
    parameters): T5 text encoder, CogVideoX transformer and VAE, DDIM scheduler; deterministic, offline."""
    import torch
    from diffusers import AutoencoderKLCogVideoX, CogVideoXDDIMScheduler, CogVideoXPipeline, CogVideoXTransformer3DModel
    from transformers import T5Config, T5EncoderModel

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        tok = tiny_t5_tokenizer()
        te = T5EncoderModel(T5Config(vocab_size=len(tok), d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
                                     relative_attention_num_buckets=8)).eval()
        tr = CogVideoXTransformer3DModel(num_attention_heads=4, attention_head_dim=8, in_channels=4, out_channels=4,
                                         time_embed_dim=2, text_embed_dim=32, num_layers=1, sample_width=2,
                                         sample_height=2, sample_frames=9, patch_size=2, temporal_compression_ratio=4,
                                         max_text_seq_length=16).eval()
        vae = AutoencoderKLCogVideoX(down_block_types=("CogVideoXDownBlock3D",) * 4,
                                     up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8,) * 4,
                                     latent_channels=4, layers_per_block=1, norm_num_groups=2).eval()
    return CogVideoXPipeline(tokenizer=tok, text_encoder=te, vae=vae, transformer=tr, scheduler=CogVideoXDDIMScheduler())


def build_tiny_cogvideox(directory: str | os.PathLike[str]) -> str:
    """Write the tiny CogVideoX to `directory` in the released models' layout (model_index.json, scheduler/,
    text_encoder/, tokenizer/, transformer/, vae/), loadable by `CogVideoXGenerator(directory)`."""
    from synvita.hub import no_save_progress_bars

    with no_save_progress_bars():
        tiny_cogvideox_pipeline().save_pretrained(os.fspath(directory))
    return os.fspath(directory)
