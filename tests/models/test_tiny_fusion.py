"""`synvita.models.tiny.fusion.fuse` computes what the model's `nn.TransformerDecoder` computes for [CLS]."""

import torch
from torch import nn

from synvita.models.tiny.fusion import fuse


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
