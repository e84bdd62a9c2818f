"""The training loop: every variant runs, losses behave, runs are deterministic and resumable."""

import numpy as np
import pytest
import torch

from synvita.config import VARIANTS
from synvita.data.types import PairSet
from synvita.errors import UnknownNameError, UserInputError
from synvita.models.base import build_model
from synvita.models.tiny import TinyAlignmentModel
from synvita.training.loop import CHECKPOINT, TrainConfig, TrainData, _gather_real, break_time, draw_pairs, step_rows, train
from synvita.training.variants import compute_weights, get_variant

POS = ["one big red circle moves left", "two small blue squares grow", "one green ring moves up then one red cross shrinks"]
NEG = ["one big red square moves left", "one small blue square grows", "one red cross shrinks then one green ring moves up"]


def tiny_data(n_pairs=6, synthetic=True, seed=0):
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, size=(n_pairs, 8, 16, 16, 3), dtype=np.uint8)
    syn = rng.integers(0, 256, size=(n_pairs, 8, 16, 16, 3), dtype=np.uint8)
    pairs = PairSet(
        video=np.arange(n_pairs),
        caption_pos=[POS[i % 3] for i in range(n_pairs)],
        caption_neg=[NEG[i % 3] for i in range(n_pairs)],
        misalignment=["object", "count", "flip"] * (n_pairs // 3),
        syn_video=np.arange(n_pairs) if synthetic else None,
        weight=np.linspace(0.0, 0.8, n_pairs).astype(np.float32) if synthetic else None,
    )
    extra = [[NEG[2]] if i % 3 == 2 else [] for i in range(n_pairs)]
    return TrainData(real_frames=frames, pairs=pairs, syn_frames=syn if synthetic else None, extra_negatives=extra)


def tiny_model(seed=0):
    config = TinyAlignmentModel.example_config(POS + NEG)
    return build_model("tiny", config, seed=seed)


def cfg(variant, **kw):
    base = dict(variant=variant, steps=4, batch_size=3, lr=1e-3, log_every=1, checkpoint_every=2, broken_time=0.0)
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_variant_trains_and_reports_losses(variant):
    logged = []
    result = train(tiny_model(), tiny_data(), cfg(variant), callback=lambda step, m: logged.append((step, m)))
    assert [s for s, _ in logged] == [1, 2, 3, 4]
    spec = get_variant(variant)
    for _, m in logged:
        assert np.isfinite(m["loss"]) and m["loss_real"] > 0
        if not spec.synthetic:
            assert m["loss_synth"] == 0.0
        if not spec.consistency:
            assert m["loss_scr"] == 0.0
    if spec.consistency:
        assert any(m["loss_scr"] > 0 for _, m in logged)
    if spec.synthetic and spec.weight_rule == "one":
        assert all(m["loss_synth"] > 0 for _, m in logged)
    assert result.steps == 4 and result.sequences > 0


def test_sequences_per_step_grow_with_the_variant():
    n = {v: train(tiny_model(), tiny_data(), cfg(v, steps=1, extra_negatives=False)).sequences for v in ("none", "naive", "synvita")}
    assert n == {"none": 6, "naive": 12, "synvita": 24}  # 3 pairs × 2 rows × (1, 2, 4) sequences


def test_none_needs_no_synthetic_data_but_naive_does():
    train(tiny_model(), tiny_data(synthetic=False), cfg("none", steps=1))
    with pytest.raises(UserInputError):
        train(tiny_model(), tiny_data(synthetic=False), cfg("naive", steps=1))


def test_same_seed_same_weights():
    a, b = tiny_model(), tiny_model()
    train(a, tiny_data(), cfg("synvita"))
    train(b, tiny_data(), cfg("synvita"))
    for (k, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), k


def test_resume_equals_uninterrupted(tmp_path):
    full = tiny_model()
    train(full, tiny_data(), cfg("synvita"), run_dir=tmp_path / "full")
    part = tiny_model()
    train(part, tiny_data(), cfg("synvita"), run_dir=tmp_path / "part", stop_after=2)  # "killed" after step 2
    assert (tmp_path / "part" / CHECKPOINT).exists()
    resumed = tiny_model(seed=99)  # a fresh process: weights come from the checkpoint
    out = train(resumed, tiny_data(), cfg("synvita"), run_dir=tmp_path / "part")
    assert out.steps == 4
    for (k, x), (_, y) in zip(full.state_dict().items(), resumed.state_dict().items()):
        torch.testing.assert_close(x, y, rtol=0, atol=0, msg=k)
    assert not list((tmp_path / "part").glob("*.tmp"))


def test_batches_depend_only_on_seed_and_step():
    np.testing.assert_array_equal(draw_pairs(0, 5, 100, 8), draw_pairs(0, 5, 100, 8))
    assert not np.array_equal(draw_pairs(0, 5, 100, 8), draw_pairs(0, 6, 100, 8))


def test_weight_rules():
    ft, fo = np.array([0.9, 0.2, np.nan]), np.array([0.3, 0.5, 0.1])
    np.testing.assert_allclose(compute_weights("diff", ft, fo)[:2], [0.6, 0.0], atol=1e-6)
    assert np.isnan(compute_weights("diff", ft, fo)[2])  # missing → NaN → 1.0 in the batch builder
    np.testing.assert_allclose(compute_weights("target", ft, fo)[:2], [0.9, 0.2], atol=1e-6)
    np.testing.assert_array_equal(compute_weights("one", ft, fo)[:2], [1, 1])
    k2 = compute_weights("diff", np.array([[0.9, 0.1], [0.7, 0.3]]), np.array([[0.1, 0.1], [0.3, 0.5]]))
    np.testing.assert_allclose(k2, [0.6, 0.0], atol=1e-6)  # mean over K scorers, then clamp
    with pytest.raises(UnknownNameError):
        get_variant("bogus")


def test_zero_weights_remove_the_synthetic_loss():
    data = tiny_data()
    data.pairs.weight = np.zeros(len(data.pairs), np.float32)
    logged = []
    train(tiny_model(), data, cfg("synvita"), callback=lambda s, m: logged.append(m))
    assert all(m["loss_synth"] == 0.0 and m["loss_scr"] == 0.0 for m in logged)


def _spearman(perm):
    order = np.arange(len(perm)) - (len(perm) - 1) / 2
    return float((np.asarray(perm) - (len(perm) - 1) / 2) @ order / (order @ order))


def test_broken_time_clips_are_static_or_far_shuffled_copies():
    T = 8
    clips = np.broadcast_to(np.arange(T, dtype=np.uint8)[None, :, None, None, None], (100, T, 2, 2, 3)).copy()  # frame t = t
    clips += (np.arange(100)[:, None, None, None, None] * 7 % 240).astype(np.uint8)  # a clip's own values
    out = break_time(clips, np.random.default_rng(0))
    kinds = []
    for src, got in zip(clips, out):
        order = [int(np.flatnonzero((src == f).all(axis=(1, 2, 3)))[0]) for f in got]  # which source frame each is
        if len(set(order)) == 1:
            kinds.append("static")
        else:
            assert sorted(order) == list(range(T)) and _spearman(order) <= 0.5, order  # a permutation, far from time
            kinds.append("shuffled")
    assert 30 < kinds.count("static") < 70  # a coin per clip (1 random shuffle in 10 is closer to time than 0.5)
    np.testing.assert_array_equal(out, break_time(clips, np.random.default_rng(0)))  # stateless given the rng


def test_broken_time_rows_are_no_rows_of_the_positive_caption_on_the_broken_clip():
    data = tiny_data(n_pairs=6, synthetic=False)
    pair_ids = np.arange(6)
    plain, none = step_rows(data, pair_ids, cfg("none", extra_negatives=False))
    assert none is None and len(plain) == 12
    rows, broken = step_rows(data, pair_ids, cfg("none", extra_negatives=False, broken_time=1.0))
    assert len(rows) == 18 and broken.shape == (6,) + data.real_frames.shape[1:]
    extra = slice(12, 18)
    assert rows.real_label[extra].tolist() == [0] * 6 and rows.syn_video[extra].tolist() == [-1] * 6
    assert rows.caption[extra] == [data.pairs.caption_pos[p] for p in pair_ids]
    np.testing.assert_array_equal(rows.real_video[extra], len(data.real_frames) + np.arange(6))
    gathered = _gather_real(data.real_frames, broken, rows.real_video).numpy()  # what the loop encodes
    np.testing.assert_array_equal(gathered[:12], data.real_frames[rows.real_video[:12]])
    np.testing.assert_array_equal(gathered[12:], broken)
    for p in pair_ids:  # each broken clip is made of its own pair's frames
        assert set(map(bytes, broken[p])) <= set(map(bytes, data.real_frames[data.pairs.video[p]]))
    assert len(step_rows(data, np.arange(6), cfg("none", extra_negatives=False, broken_time=0.5), step=3)[0]) in range(12, 19)


def test_broken_time_negatives_train_and_add_sequences():
    data = tiny_data(synthetic=False)
    base = train(tiny_model(), data, cfg("none", steps=2, extra_negatives=False))
    more = train(tiny_model(), data, cfg("none", steps=2, extra_negatives=False, broken_time=1.0))
    assert more.sequences == base.sequences + 2 * 3 and np.isfinite(more.last["loss"])


@pytest.mark.parametrize("variant", ["none", "synvita"])
def test_cached_video_inputs_train_the_same_weights(variant):
    runs = []
    for cache in (True, False):
        model = tiny_model()
        train(model, tiny_data(), cfg(variant, steps=3, broken_time=0.5, cache_video_inputs=cache))
        runs.append(model.state_dict())
    for key in runs[0]:
        torch.testing.assert_close(runs[0][key], runs[1][key], rtol=0, atol=1e-5, msg=key)


def test_a_non_finite_loss_stops_training_before_it_reaches_a_checkpoint(tmp_path):
    from synvita.errors import StageError

    model = tiny_model()
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    with pytest.raises(StageError, match=r"^loss became NaN at step 1$"):
        train(model, tiny_data(), cfg("none"), run_dir=tmp_path)
    assert not (tmp_path / CHECKPOINT).exists()
