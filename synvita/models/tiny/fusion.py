"""The `tiny` model's fusion, computed from the weights of its `nn.TransformerDecoder` with the work shared where the
arithmetic allows.

`nn.TransformerDecoder` (pre-norm layers: text self-attention, text → video cross-attention, an MLP) is the model's
definition and holds its weights; `fuse` evaluates the same layers with three shortcuts that leave the result as it
is up to float rounding:

* the cross-attention keys and values are a function of the video alone, so each layer projects the tokens of each
  distinct video once ([V, N, d]) and every sequence gathers its video's; the decoder projects the memory once per
  sequence (a video is shared by up to five sequences in a SynViTA step: c, c′ on Vʳ and on Vˢ, extra negatives);
* only the [CLS] token is read out, so the last layer computes the query side (self-attention query, cross-attention,
  MLP) for position 0 alone; its self-attention still reads the keys and values of every token;
* a token no other token attends to (padding, the masked words of a c′ copy) cannot reach [CLS], so the per-token
  work (norms, projections, MLP) runs on the attended tokens alone, packed [T, d]; only the attention itself lays them
  out again as [S, L, d]. About 45% of a step's text positions are padding or masked words.
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
    """Projected q [S, Lq, d], k and v [S, Lk, d] → the heads' outputs side by side [S, Lq, d], before `attn`'s output
    projection."""
    out = F.scaled_dot_product_attention(_heads(q, attn.num_heads), _heads(k, attn.num_heads), _heads(v, attn.num_heads),
                                         attn_mask=mask)  # [S, H, Lq, hd]
    S, _, Lq, _ = out.shape
    return out.transpose(1, 2).reshape(S, Lq, -1)


def fuse(decoder: nn.TransformerDecoder, x: torch.Tensor, memory: torch.Tensor, video_index: torch.Tensor,
         attend: torch.Tensor) -> torch.Tensor:
    """The [CLS] output [S, d] of `decoder` (pre-norm layers, no final norm) for text tokens x [S, L, d] whose
    sequence s attends to the tokens memory[video_index[s]] (memory [V, N, d]); attend bool [S, L]: True = a token
    the others may attend to (False for padding and masked c′ words; True for every [CLS] at position 0)."""
    S, L, d = x.shape
    # the decoder's key padding mask, as nn.MultiheadAttention builds it: 0 where attended, −inf elsewhere
    mask = torch.zeros(attend.shape, dtype=x.dtype, device=x.device).masked_fill_(~attend, float("-inf"))[:, None, None, :]
    live = attend.flatten().nonzero().squeeze(1)  # [T]: the attended tokens, row by row
    counts = attend.sum(1)
    cls = counts.cumsum(0) - counts  # [S]: where each row's [CLS] is among them

    def laid_out(tokens: torch.Tensor) -> torch.Tensor:
        """Packed [T, w] → [S, L, w], zero at the tokens no one attends to."""
        return tokens.new_zeros(S * L, tokens.shape[-1]).index_copy(0, live, tokens).view(S, L, -1)

    def packed(tokens: torch.Tensor) -> torch.Tensor:
        """[S, L, w] → the attended tokens [T, w]."""
        return tokens.reshape(S * L, -1).index_select(0, live)

    x = packed(x)  # [T, d]
    layers = decoder.layers
    for i, layer in enumerate(layers):
        last = i == len(layers) - 1
        sa, ca = layer.self_attn, layer.multihead_attn
        h = layer.norm1(x)
        if last:  # only [CLS] is read out: one query, keys and values from every token
            q = F.linear(h.index_select(0, cls), sa.in_proj_weight[:d], sa.in_proj_bias[:d]).unsqueeze(1)  # [S, 1, d]
            k, v = laid_out(F.linear(h, sa.in_proj_weight[d:], sa.in_proj_bias[d:])).chunk(2, -1)
            attended = _attend(sa, q, k, v, mask)[:, 0]
            x = x.index_select(0, cls) + F.linear(attended, sa.out_proj.weight, sa.out_proj.bias)  # [S, d]
        else:
            q, k, v = laid_out(F.linear(h, sa.in_proj_weight, sa.in_proj_bias)).chunk(3, -1)
            x = x + F.linear(packed(_attend(sa, q, k, v, mask)), sa.out_proj.weight, sa.out_proj.bias)
        q = F.linear(layer.norm2(x), ca.in_proj_weight[:d], ca.in_proj_bias[:d])
        kv = F.linear(memory, ca.in_proj_weight[d:], ca.in_proj_bias[d:])[video_index]  # per video, then gathered
        k, v = kv.chunk(2, -1)
        if last:  # one query per sequence [S, d]
            attended = _attend(ca, q.unsqueeze(1), k, v, None)[:, 0]
        else:  # the packed queries [T, d], laid out per sequence for the attention
            attended = packed(_attend(ca, laid_out(q), k, v, None))
        x = x + F.linear(attended, ca.out_proj.weight, ca.out_proj.bias)
        x = x + layer.linear2(layer.activation(layer.linear1(layer.norm3(x))))
    return x
