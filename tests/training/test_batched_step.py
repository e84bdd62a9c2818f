"""A step encodes its real and synthetic videos in one call of the model where their inputs have the same shapes,
and embeds each distinct caption row once however many videos it is scored on, with the losses of one call per group
and of one text row per sequence, bit for bit."""

import numpy as np
import pytest
import torch

from synvita.data.types import PairSet
from synvita.method.batch import build_sequence_batch
from synvita.models.base import build_model
from synvita.models.tiny import TinyAlignmentModel
from synvita.models.tiny import model as tiny_model
from synvita.training import loop
from synvita.training.loop import TrainConfig, TrainData, _losses, _VideoEncoder, draw_pairs, step_rows
from synvita.training.variants import get_variant

POS = ["one big red circle moves left", "two small blue squares grow", "one green ring moves up then one red cross shrinks"]
NEG = ["one big red square moves left", "one small blue square grows", "one red cross shrinks then one green ring moves up"]


def data(n_pairs=6, syn_size=16):
    rng = np.random.default_rng(0)
    pairs = PairSet(
        video=np.arange(n_pairs), caption_pos=[POS[i % 3] for i in range(n_pairs)],
        caption_neg=[NEG[i % 3] for i in range(n_pairs)], misalignment=["object", "count", "flip"] * (n_pairs // 3),
        syn_video=np.arange(n_pairs), weight=np.linspace(0.0, 0.8, n_pairs).astype(np.float32),
    )
    return TrainData(
        real_frames=rng.integers(0, 256, size=(n_pairs, 8, 16, 16, 3), dtype=np.uint8), pairs=pairs,
        syn_frames=rng.integers(0, 256, size=(n_pairs, 8, syn_size, syn_size, 3), dtype=np.uint8),
        extra_negatives=[[NEG[2]] if i % 3 == 2 else [] for i in range(n_pairs)],
    )


def step_losses(model, train_data, cfg):
    """The losses of step 0 and how many times the model's video encoder ran for them."""
    pair_ids = draw_pairs(cfg.seed, 0, len(train_data.pairs), cfg.batch_size)
    rows, broken = step_rows(train_data, pair_ids, cfg, 0)
    batch = build_sequence_batch(rows)
    encode_real = _VideoEncoder(model, train_data.real_frames, cfg.cache_video_inputs)
    encode_syn = _VideoEncoder(model, train_data.syn_frames, cfg.cache_video_inputs)
    calls = []
    encode_inputs = model.encode_inputs
    model.encode_inputs = lambda inputs: calls.append(1) or encode_inputs(inputs)
    try:
        losses = _losses(model, batch, broken, encode_real, encode_syn, get_variant(cfg.variant), cfg)
    finally:
        del model.encode_inputs
    return losses, len(calls)


def training_model(encoder):
    """A tiny model in train mode, and the `synvita` step config the sharing tests score it with."""
    model = build_model("tiny", {**TinyAlignmentModel.example_config(POS + NEG), "encoder": encoder}, seed=0)
    model.train()
    return model, TrainConfig(variant="synvita", batch_size=6, broken_time=0.5, seed=1)


def losses_and_gradients(model, cfg):
    """Step 0's losses and every parameter's gradient of their sum."""
    model.zero_grad(set_to_none=True)
    losses = step_losses(model, data(), cfg)[0]
    losses["loss"].backward()
    return losses, {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("encoder", ["tracks", "conv"])
@pytest.mark.parametrize("broken_time", [0.0, 0.5])
def test_one_encoder_call_gives_the_losses_of_one_call_per_group(monkeypatch, encoder, broken_time):
    model = build_model("tiny", {**TinyAlignmentModel.example_config(POS + NEG), "encoder": encoder}, seed=0)
    model.train()
    cfg = TrainConfig(variant="synvita", batch_size=4, broken_time=broken_time, seed=3)
    batched, calls = step_losses(model, data(), cfg)
    assert calls == 1
    monkeypatch.setattr(loop, "_same_layout", lambda a, b: False)
    separate, calls = step_losses(model, data(), cfg)
    assert calls == 2
    assert batched.keys() == separate.keys()
    for key in batched:
        assert torch.equal(batched[key], separate[key]), key


def test_videos_of_other_shapes_are_encoded_one_group_at_a_time():
    model = build_model("tiny", {**TinyAlignmentModel.example_config(POS + NEG), "encoder": "conv"}, seed=0)
    losses, calls = step_losses(model, data(syn_size=24), TrainConfig(variant="synvita", batch_size=4, broken_time=0.0))
    assert calls == 2
    assert torch.isfinite(losses["loss"])


@pytest.mark.parametrize("encoder", ["tracks", "conv"])
def test_text_embedded_once_per_distinct_row_gives_the_losses_of_one_row_per_sequence(monkeypatch, encoder):
    model, cfg = training_model(encoder)
    embedded = []
    model.text.register_forward_hook(lambda module, args, out: embedded.append(len(out)))
    shared, _ = step_losses(model, data(), cfg)
    monkeypatch.setattr(tiny_model, "distinct_rows", lambda text: (text, torch.arange(len(text))))
    per_sequence, _ = step_losses(model, data(), cfg)
    distinct_rows, sequences = embedded
    assert distinct_rows < sequences / 2  # c and c′ each on Vʳ and Vˢ, the same captions on several videos
    assert shared.keys() == per_sequence.keys()
    for key in shared:
        assert torch.equal(shared[key], per_sequence[key]), key


@pytest.mark.parametrize("encoder", ["tracks", "conv"])
def test_text_embedded_once_per_distinct_row_gives_the_gradients_of_one_row_per_sequence(monkeypatch, encoder):
    """The shared rows' gradients add up over the sequences that read them; only the order of the sums differs."""
    model, cfg = training_model(encoder)
    _, shared = losses_and_gradients(model, cfg)
    monkeypatch.setattr(tiny_model, "distinct_rows", lambda text: (text, torch.arange(len(text))))
    _, per_sequence = losses_and_gradients(model, cfg)
    assert shared.keys() == per_sequence.keys()
    assert any(name.startswith("text.") for name in shared)
    for name in shared:
        torch.testing.assert_close(shared[name], per_sequence[name], rtol=1e-4, atol=1e-7, msg=name)


@pytest.mark.parametrize("encoder", ["tracks", "conv"])
def test_a_sequence_read_twice_is_scored_once_with_the_losses_and_gradients_of_scoring_each(monkeypatch, encoder):
    """A step reads some (video, text) twice, e.g. where POS[0] / NEG[0] differ in one word, the c′ copies of tʳ and tˢ
    on Vʳ and on Vˢ (the text rows themselves: tests/models/test_tiny_sharing.py)."""
    model, cfg = training_model(encoder)
    scored = []
    score = model._score
    model._score = lambda features, index, *args: scored.append(len(index)) or score(features, index, *args)
    once, once_grads = losses_and_gradients(model, cfg)
    monkeypatch.setattr(tiny_model, "distinct_sequences", lambda index, rows: (torch.arange(len(rows)),) * 2)
    each, each_grads = losses_and_gradients(model, cfg)
    assert scored[0] < scored[1]  # scored[1]: every sequence; some were scored once for two
    for key in once:
        assert torch.equal(once[key], each[key]), key
    assert once_grads.keys() == each_grads.keys()
    for name in once_grads:
        torch.testing.assert_close(once_grads[name], each_grads[name], rtol=1e-4, atol=1e-7, msg=name)
