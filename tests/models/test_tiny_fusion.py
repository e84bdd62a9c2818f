"""`synvita.models.tiny.fusion.fuse` computes what the model's `nn.TransformerDecoder` computes for [CLS]."""

import torch
import torch.nn.functional as F
from torch import nn

from synvita.models.tiny.fusion import _attend, fuse


def test_fuse_matches_the_decoder_it_reads_its_weights_from():
    torch.manual_seed(0)
    d, heads, S, L, V, N = 16, 2, 12, 7, 4, 5
    decoder = nn.TransformerDecoder(
        nn.TransformerDecoderLayer(d, heads, 2 * d, dropout=0.0, batch_first=True, norm_first=True), 2)
    x = torch.randn(S, L, d)
    memory = torch.randn(V, N, d)
    video_index = torch.randint(0, V, (S,))
    attend = torch.rand(S, L) > 0.3
    attend[:, 0] = True
    expected = decoder(x, memory[video_index], tgt_key_padding_mask=~attend)[:, 0]
    got = fuse(decoder, x, memory, video_index, attend)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    grads = torch.autograd.grad(got.square().sum(), list(decoder.parameters()))
    want = torch.autograd.grad(expected.square().sum(), list(decoder.parameters()))
    for g, w in zip(grads, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5)



def every_position_fuse(decoder, x, memory, video_index, attend):
    """`fuse` computing the per-token work at every position, padding and masked words included."""
    d = x.shape[-1]
    mask = torch.zeros(attend.shape).masked_fill_(~attend, float("-inf"))[:, None, None, :]
    for i, layer in enumerate(decoder.layers):
        last = i == len(decoder.layers) - 1
        sa, ca = layer.self_attn, layer.multihead_attn
        h = layer.norm1(x)
        if last:
            q = F.linear(h[:, :1], sa.in_proj_weight[:d], sa.in_proj_bias[:d])
            k, v = F.linear(h, sa.in_proj_weight[d:], sa.in_proj_bias[d:]).chunk(2, -1)
            x = x[:, :1]
        else:
            q, k, v = F.linear(h, sa.in_proj_weight, sa.in_proj_bias).chunk(3, -1)
        x = x + F.linear(_attend(sa, q, k, v, mask), sa.out_proj.weight, sa.out_proj.bias)
        q = F.linear(layer.norm2(x), ca.in_proj_weight[:d], ca.in_proj_bias[:d])
        k, v = F.linear(memory, ca.in_proj_weight[d:], ca.in_proj_bias[d:])[video_index].chunk(2, -1)
        x = x + F.linear(_attend(ca, q, k, v, None), ca.out_proj.weight, ca.out_proj.bias)
        x = x + layer.linear2(layer.activation(layer.linear1(layer.norm3(x))))
    return x[:, 0]


def test_fuse_on_the_attended_tokens_alone_is_fuse_on_every_position_bit_for_bit():
    """Padding and masked c′ words reach [CLS] through nothing, so computing them changes no bit; what they hold
    changes nothing either."""
    torch.manual_seed(1)
    d, heads, S, L, V, N = 16, 2, 9, 6, 3, 5
    decoder = nn.TransformerDecoder(
        nn.TransformerDecoderLayer(d, heads, 2 * d, dropout=0.0, batch_first=True, norm_first=True), 3)
    x = torch.randn(S, L, d)
    memory = torch.randn(V, N, d)
    video_index = torch.randint(0, V, (S,))
    attend = torch.rand(S, L) > 0.4
    attend[:, 0] = True
    packed = fuse(decoder, x, memory, video_index, attend)
    assert torch.equal(packed, every_position_fuse(decoder, x, memory, video_index, attend))
    noise = torch.where(attend.unsqueeze(-1), x, torch.randn(S, L, d) * 100)
    assert torch.equal(fuse(decoder, noise, memory, video_index, attend), packed)
