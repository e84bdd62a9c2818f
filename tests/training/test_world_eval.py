"""Evaluation plumbing: the six benchmarks, per-type AUC, the bias probe and the time controls."""

import numpy as np
import pytest

from synvita.benchmarks.world_eval import (
    WORLD_BENCHMARKS, apply_control, evaluate_all, evaluate_benchmark, headline, shuffle_frames, single_frame,
)
from synvita.data.types import MISALIGNMENT_TYPES, EntailmentSet, QASet, RetrievalSet
from synvita.errors import UserInputError


def _clips(n=6, t=8, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, t, 4, 4, 3), dtype=np.uint8)


def test_shuffling_really_permutes_time():
    clips = _clips()
    out = shuffle_frames(clips, seed=3)
    for v in range(len(clips)):
        # the same frames, in another order
        perm = [int(np.flatnonzero([np.array_equal(out[v, i], clips[v, j]) for j in range(8)])[0]) for i in range(8)]
        assert sorted(perm) == list(range(8)) and perm != list(range(8))
    np.testing.assert_array_equal(out, shuffle_frames(clips, seed=3))  # deterministic
    with pytest.raises(UserInputError):
        shuffle_frames(clips[:, :1])


def test_single_frame_video_is_static():
    clips = _clips()
    for frame in ("most-objects", "middle"):
        out = single_frame(clips, frame)
        assert out.shape == clips.shape
        assert np.all(out == out[:, :1])
        for v in range(len(clips)):  # one of the video's own frames
            assert any(np.array_equal(out[v, 0], clips[v, t]) for t in range(clips.shape[1]))
    np.testing.assert_array_equal(single_frame(clips, "middle")[:, 0], clips[:, 4])
    flat = np.zeros_like(clips)  # nothing visible anywhere: the tie goes to the middle frame
    flat[:, :, 0, 0] = np.arange(8, dtype=np.uint8)[None, :, None]  # (frames differ, below the detector's threshold)
    np.testing.assert_array_equal(single_frame(flat)[:, 0], flat[:, 4])
    with pytest.raises(UserInputError):
        single_frame(clips, "first")
    with pytest.raises(UserInputError):
        apply_control(clips, "reversed")


class OrderModel:
    """A fake model that reads time: f is high iff the caption's word 'up' agrees with brightness going up."""

    def predict(self, frames, video_index, captions, shared_with=None):
        frames = np.asarray(frames, dtype=np.float64)
        trend = frames[:, -1].mean(axis=(1, 2, 3)) - frames[:, 0].mean(axis=(1, 2, 3))  # [N]
        sign = np.array([1.0 if "up" in c else -1.0 for c in captions])
        return 1.0 / (1.0 + np.exp(-0.1 * sign * trend[np.asarray(video_index)]))


def _ramp_videos(n):
    """Even videos brighten over time, odd ones darken."""
    t = np.linspace(0, 200, 8)
    out = np.zeros((n, 8, 4, 4, 3), np.uint8)
    for i in range(n):
        ramp = t if i % 2 == 0 else t[::-1]
        out[i] = ramp[:, None, None, None].astype(np.uint8)
    return out


def _benchmarks(n=14):
    videos = _ramp_videos(n)
    cap = lambda i: "goes up" if i % 2 == 0 else "goes down"  # noqa: E731
    anti = lambda i: "goes down" if i % 2 == 0 else "goes up"  # noqa: E731
    types = [MISALIGNMENT_TYPES[i % 7] for i in range(n)]
    ent = EntailmentSet(
        video=np.repeat(np.arange(n), 2), caption=[c for i in range(n) for c in (cap(i), anti(i))],
        label=np.tile([1, 0], n), misalignment=[t for t in types for _ in range(2)],
        hard=np.tile([True, True], n), held_out=np.repeat(np.arange(n) % 3 == 0, 2),
    )
    ret = RetrievalSet(queries=["goes up", "goes down"], gallery=np.arange(n),
                       relevant=np.stack([np.arange(n) % 2 == 0, np.arange(n) % 2 == 1]))
    qa = QASet(video=np.arange(4), statements=[["x", "goes up" if i % 2 == 0 else "goes down", "y", "z", "w"] for i in range(4)],
               answer=np.ones(4, np.int64))
    return {"entail-llm": (videos, ent), "entail-human": (videos, ent), "entail-human-hard": (videos, ent),
            "retrieval-temporal": (videos, ret), "retrieval-events": (videos, ret), "qa-hard": (videos, qa)}


def test_a_temporal_model_is_perfect_and_falls_to_chance_under_the_controls():
    results, raw = evaluate_all(OrderModel(), _benchmarks())
    plain = headline(results)
    assert set(plain) == set(WORLD_BENCHMARKS) | {"mean"}
    assert plain["entail-llm"] == 100.0 and plain["retrieval-temporal"] == 100.0
    for control in ("shuffled", "single-frame"):
        ctrl = headline(results, control)
        assert ctrl["entail-llm"] < 90.0, control
    assert headline(results, "single-frame")["entail-llm"] == pytest.approx(50.0)  # static video: no trend at all
    subsets = {r.subset for r in results if r.benchmark == "entail-llm" and r.control is None}
    assert {f"type={t}" for t in MISALIGNMENT_TYPES} <= subsets
    assert {"held-out=yes", "held-out=no"} <= {r.subset for r in results if r.benchmark == "entail-human"}
    assert raw["retrieval-temporal"].shape == (2, 14) and raw["qa-hard"].shape == (4, 5)


def test_unknown_benchmark_is_a_clear_error():
    with pytest.raises(UserInputError):
        evaluate_all(OrderModel(), _benchmarks(), names=["entail-llm", "bogus"], controls=())


def test_in_distribution_rows_drop_every_row_of_a_video_with_a_held_out_concept():
    from synvita.benchmarks.world_eval import in_distribution_rows

    # video 0: clean; video 1: only its negative caption names a held-out concept; video 2: the video itself
    rows = EntailmentSet(
        video=np.array([0, 0, 1, 1, 2, 2]), caption=["a", "b", "c", "d", "e", "f"], label=np.tile([1, 0], 3),
        misalignment=["flip"] * 6, hard=np.ones(6, bool), held_out=np.array([False, False, False, True, True, True]),
    )
    assert in_distribution_rows(rows).tolist() == [True, True, False, False, False, False]


def test_per_type_auc_on_in_distribution_rows_ignores_the_held_out_videos():
    """A model perfect on clean videos and inverted on held-out ones: "id-type" is 100, "type" is not."""

    class HalfModel:
        def predict(self, frames, video, captions):
            video = np.asarray(video)
            good = np.array([1.0 if c == "yes" else 0.0 for c in captions])
            return np.where(video % 2 == 0, good, 1.0 - good)

    n = 8
    ent = EntailmentSet(
        video=np.repeat(np.arange(n), 2), caption=["yes", "no"] * n, label=np.tile([1, 0], n),
        misalignment=["flip"] * (2 * n), hard=np.ones(2 * n, bool), held_out=np.repeat(np.arange(n) % 2 == 1, 2),
    )
    results, _ = evaluate_benchmark(HalfModel(), "entail-llm", _ramp_videos(n), ent)
    by_subset = {r.subset: r.value for r in results}
    assert by_subset["id-type=flip"] == pytest.approx(100.0)
    assert by_subset["type=flip"] == pytest.approx(50.0)
