"""The `tiny` model's fusion, computed from the weights of its `nn.TransformerDecoder` with the work shared where the
arithmetic allows.

`nn.TransformerDecoder` (pre-norm layers: text self-attention, text → video cross-attention, an MLP) is the model's
definition and holds its weights; `fuse` evaluates the same layers with two shortcuts that leave the result as it is
up to float rounding:

* the cross-attention keys and values are a function of the video alone, so each layer projects the tokens of each
  distinct video once ([V, N, d]) and every sequence gathers its video's; the decoder projects the memory once per
  sequence (a video is shared by up to five sequences in a SynViTA step: c, c′ on Vʳ and on Vˢ, extra negatives);
* only the [CLS] token is read out, so the last layer computes the query side (self-attention query, cross-attention,
  MLP) for position 0 alone; its self-attention still reads the keys and values of every token.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """[S, L, d] → [S, heads, L, d / heads]."""
    S, L, d = x.shape
    return x.view(S, L, heads, d // heads).transpose(1, 2)


def _attend(attn: nn.MultiheadAttention, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
            mask: torch.Tensor | None) -> torch.Tensor:
    """Projected q [S, Lq, d], k and v [S, Lk, d] → the attention output after `attn`'s output projection."""
    H = attn.num_heads
    out = F.scaled_dot_product_attention(_heads(q, H), _heads(k, H), _heads(v, H), attn_mask=mask)  # [S, H, Lq, hd]
    S, _, Lq, _ = out.shape
    return F.linear(out.transpose(1, 2).reshape(S, Lq, -1), attn.out_proj.weight, attn.out_proj.bias)


def fuse(decoder: nn.TransformerDecoder, x: torch.Tensor, memory: torch.Tensor, video_index: torch.Tensor,
         attend: torch.Tensor) -> torch.Tensor:
    """The [CLS] output [S, d] of `decoder` (pre-norm layers, no final norm) for text tokens x [S, L, d] whose
    sequence s attends to the tokens memory[video_index[s]] (memory [V, N, d]); attend bool [S, L]: True = a token
    the others may attend to (False for padding and masked c′ words)."""
    d = x.shape[-1]
    # the decoder's key padding mask, as nn.MultiheadAttention builds it: 0 where attended, −inf elsewhere
    mask = torch.zeros(attend.shape, dtype=x.dtype, device=x.device).masked_fill_(~attend, float("-inf"))[:, None, None, :]
    layers = decoder.layers
    for i, layer in enumerate(layers):
        last = i == len(layers) - 1
        sa, ca = layer.self_attn, layer.multihead_attn
        h = layer.norm1(x)
        if last:  # only [CLS] is read out: one query, keys and values from every token
            q = F.linear(h[:, :1], sa.in_proj_weight[:d], sa.in_proj_bias[:d])
            k, v = F.linear(h, sa.in_proj_weight[d:], sa.in_proj_bias[d:]).chunk(2, -1)
            x = x[:, :1]
        else:
            q, k, v = F.linear(h, sa.in_proj_weight, sa.in_proj_bias).chunk(3, -1)
        x = x + _attend(sa, q, k, v, mask)
        q = F.linear(layer.norm2(x), ca.in_proj_weight[:d], ca.in_proj_bias[:d])
        kv = F.linear(memory, ca.in_proj_weight[d:], ca.in_proj_bias[d:])[video_index]  # per video, then gathered
        k, v = kv.chunk(2, -1)
        x = x + _attend(ca, q, k, v, None)
        x = x + layer.linear2(layer.activation(layer.linear1(layer.norm3(x))))
    return x[:, 0]
