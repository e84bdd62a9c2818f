"""Tiny, randomly initialised diffusers text-to-video pipelines built offline (tokenizers made in memory).

Each builder returns a pipeline object; tests save it with `save_pretrained` and load it back through the same
`from_pretrained(local_dir)` path a user's real weights take.
"""

from __future__ import annotations

import torch

from synvita.generators.cogvideox import tiny_cogvideox_pipeline as tiny_cogvideox  # noqa: F401
from synvita.generators.cogvideox import tiny_t5_tokenizer as t5_tokenizer


def tiny_wan():
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanPipeline, WanTransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel

    torch.manual_seed(0)
    tok = t5_tokenizer()
    te = UMT5EncoderModel(UMT5Config(vocab_size=len(tok), d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
                                     relative_attention_num_buckets=8)).eval()
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True]).eval()
    tr = WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16,
                               out_channels=16, text_dim=32, freq_dim=256, ffn_dim=32, num_layers=2,
                               cross_attn_norm=True, qk_norm="rms_norm_across_heads", rope_max_seq_len=32).eval()
    return WanPipeline(tokenizer=tok, text_encoder=te, vae=vae, transformer=tr,
                       scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0))
