"""The [train] settings GPU users need, as the loop honours them: micro-batches with gradient accumulation,
warm-up and schedule, device, precision, max_frames; and their checks at submission."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from test_loop import cfg, tiny_data, tiny_model

from synvita.config import TrainSection
from synvita.errors import UserInputError
from synvita.training.loop import (
    EvenFrames,
    TrainConfig,
    _micro_parts,
    lr_at,
    step_rows,
    train,
)
from synvita.training.settings import check_train_section, micro_batches


def _weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_micro_batches_give_the_update_of_one_pass_when_they_are_even():
    """`none` with no extra rows: every micro-batch has the same number of label tokens, so the mean of the
    micro-batch losses is the step's loss and the accumulated gradient the one-pass gradient."""
    data = tiny_data(n_pairs=6, synthetic=False)
    data.extra_negatives = None
    start = _weights(tiny_model())
    whole, split = tiny_model(), tiny_model()
    logged = {}
    train(whole, data, cfg("none", batch_size=4, steps=2), callback=lambda s, m: logged.setdefault("whole", m))
    train(split, data, cfg("none", batch_size=4, steps=2, grad_accum=2), callback=lambda s, m: logged.setdefault("split", m))
    assert logged["split"]["loss"] == pytest.approx(logged["whole"]["loss"], abs=1e-5)
    a, b = _weights(whole), _weights(split)
    moved = max((a[k] - start[k]).abs().max().item() for k in a)
    # AdamW divides by √v: gradients equal to float rounding move the weights alike, up to a small share of a step
    assert max((a[k] - b[k]).abs().max().item() for k in a) < 0.05 * moved
    other = tiny_model()  # another batch (two pairs a step) moves them differently
    train(other, data, cfg("none", batch_size=2, steps=2))
    assert max((a[k] - _weights(other)[k]).abs().max().item() for k in a) > 0.5 * moved


def test_micro_parts_keep_a_pairs_two_rows_together_and_spread_the_extra_rows():
    data = tiny_data(n_pairs=6)
    rows, _ = step_rows(data, np.arange(6), cfg("synvita", extra_negatives=True, extra_per_pair=0))
    parts = _micro_parts(rows, 12, 3)
    assert len(parts) == 3 and sum(len(p) for p in parts) == len(rows)
    for part in parts:
        paired = part.real_label[: 4]
        assert list(paired) == [1, 0, 1, 0]  # (tʳ → Yes, tˢ → No) of two pairs
    assert sorted(c for p in parts for c in p.caption) == sorted(rows.caption)


@pytest.mark.parametrize("variant", ["synvita", "naive"])
def test_accumulated_steps_train_every_variant(variant):
    logged = []
    train(tiny_model(), tiny_data(), cfg(variant, grad_accum=3, batch_size=3), callback=lambda s, m: logged.append(m))
    assert len(logged) == 4 and all(np.isfinite(m["loss"]) for m in logged)


def test_warm_up_and_schedules():
    c = TrainConfig(steps=10, lr=1.0, warmup_steps=2)
    assert [lr_at(s, c) for s in (0, 1)] == [0.5, 1.0]
    assert lr_at(2, c) == pytest.approx(1.0) and lr_at(9, c) == pytest.approx(0.5 * (1 + np.cos(np.pi * 7 / 8)))
    linear = replace(c, schedule="linear")
    assert lr_at(6, linear) == pytest.approx(0.5) and lr_at(10, linear) == 0.0
    assert lr_at(9, replace(c, schedule="constant")) == 1.0
    assert lr_at(0, TrainConfig(steps=100, lr=1.0)) == pytest.approx(1 / 5)  # omitted: 5% of the steps


def test_train_section_reaches_the_loop():
    section = TrainSection(batch_size=16, micro_batch=4, warmup_steps=200, schedule="linear", weight_decay=1e-4,
                           device="cpu", precision="bf16", max_frames=8, steps=300)
    c = TrainConfig.from_section(section, variant="naive", seed=1, n_pairs=100)
    assert (c.grad_accum, c.warmup_steps, c.schedule, c.weight_decay, c.device, c.precision, c.max_frames) == (
        4, 200, "linear", 1e-4, "cpu", "bf16", 8)
    assert micro_batches(TrainSection(batch_size=10, micro_batch=3)) == 4
    assert micro_batches(TrainSection(grad_accum=2)) == 2 and micro_batches(TrainSection()) == 1


def test_bf16_on_the_cpu_trains():
    model = tiny_model()
    before = _weights(model)
    logged = []
    train(model, tiny_data(), cfg("synvita", steps=2, precision="bf16"), callback=lambda s, m: logged.append(m))
    assert all(np.isfinite(m["loss"]) for m in logged)
    assert all(p.dtype == torch.float32 for p in model.parameters())  # autocast: the weights stay fp32
    assert any((before[k] != v).any() for k, v in model.state_dict().items())


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")
def test_cuda_without_a_gpu_is_one_line():
    with pytest.raises(UserInputError, match="train.device = cuda but no CUDA GPU is visible"):
        train(tiny_model(), tiny_data(), cfg("none", device="cuda"))


def test_even_frames_read_only_the_sampled_frames():
    frames = np.random.default_rng(0).integers(0, 256, (5, 16, 4, 4, 3), dtype=np.uint8)
    view = EvenFrames(frames, 8)
    keep = np.linspace(0, 15, 8, dtype=int)
    assert view.shape == (5, 8, 4, 4, 3) and len(view) == 5
    np.testing.assert_array_equal(view[np.array([3, 1])], frames[[3, 1]][:, keep])
    np.testing.assert_array_equal(view[2], frames[2, keep])


def test_max_frames_cuts_every_clip_the_loop_reads():
    seen = []
    model = tiny_model()
    original = model.video_inputs  # where every clip the loop reads enters the model

    def spy(videos):
        seen.append(tuple(videos.shape))
        return original(videos)

    model.video_inputs = spy
    data = tiny_data()
    data.real_frames = np.repeat(data.real_frames, 2, axis=1)  # 16 frames; the tiny model reads 8
    data.syn_frames = np.repeat(data.syn_frames, 2, axis=1)
    train(model, data, cfg("naive", steps=1, max_frames=8, cache_video_inputs=False))
    assert seen and all(shape[1] == 8 for shape in seen)


@pytest.mark.parametrize("change, message", [
    ({"micro_batch": 4, "grad_accum": 3}, "micro_batch × train.grad_accum = 4 × 3 is not train.batch_size = 32"),
    ({"micro_batch": 64}, "micro_batch = 64 is larger than train.batch_size"),
    ({"grad_accum": 64}, "grad_accum = 64 is larger"),
    ({"schedule": "cosin"}, "train.schedule 'cosin'"),
    ({"precision": "bfloat16"}, "train.precision 'bfloat16'"),
    ({"device": "gpu"}, "train.device 'gpu'"),
    ({"warmup_steps": 2000}, "warmup_steps = 2000 is more than train.steps = 1000"),
])
def test_train_settings_that_do_not_fit_together_are_refused(change, message):
    with pytest.raises(UserInputError, match=message.replace("×", ".").replace("(", r"\(")):
        check_train_section(replace(TrainSection(), **change))
    check_train_section(TrainSection(micro_batch=8, grad_accum=4))
