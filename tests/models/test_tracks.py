"""The object-track front end of the `tiny` model against the renderer's ground truth (positions, visibility)."""

import numpy as np
import pytest
import torch

from synvita.benchmarks.world_eval import shuffle_frames, single_frame, visible_objects
from synvita.errors import UserInputError
from synvita.models.tracks import object_tracks, track_layout, track_timing
from synvita.world.config import resolve_config
from synvita.world.render import SyntheticLook, layout, render
from synvita.world.scene import Group, Relation, Scene

CFG = resolve_config("quickstart")

SCENES = {
    "moving": Scene(groups=(Group("circle", "red", "big", "moves left"),)),
    "two at once": Scene(groups=(Group("ring", "blue", "big", "moves up"), Group("square", "yellow", "small", "grows")), link="and"),
    "then": Scene(groups=(Group("triangle", "green", "big", "moves right"), Group("cross", "red", "big", "shrinks")), link="then"),
    "pair of twins": Scene(groups=(Group("circle", "green", "small", "moves down", count=2),)),
    "appears": Scene(groups=(Group("square", "red", "big", "appears"), Group("ring", "yellow", "big", "moves left")), link="and"),
    "relation": Scene(groups=(Group("ring", "blue", "big", "grows"), Group("circle", "red", "big", "moves left")),
                      link="and", relation=Relation(0, "above", 1)),
}


def _render_with_truth(scene, seed, look=None):
    """The clip and the true object centres (x, y float [K, T]) and visibility (bool [K, T])."""
    objs, xs, ys = layout(scene, CFG, np.random.default_rng(seed))  # render() draws its layout first, same rng
    clip = render(scene, CFG, np.random.default_rng(seed), look=look)
    vis = np.stack([o[4] for o in objs])
    return clip, xs, ys, vis


def _to_pixels(traj):  # [K, T, 6] normalised → x, y in pixels
    return (traj[..., 1] + 1.0) * CFG.width / 2.0, (traj[..., 2] + 1.0) * CFG.height / 2.0


@pytest.mark.parametrize("name", list(SCENES))
def test_every_object_gets_one_track_that_follows_it(name):
    clip, xs, ys, vis = _render_with_truth(SCENES[name], seed=3)
    tr = object_tracks(torch.from_numpy(clip[None]))
    traj = tr.trajectory[0].numpy()  # [K, T, 6]
    assert int(tr.present[0].sum()) == len(xs)
    px, py = _to_pixels(traj)
    for k in range(len(xs)):
        # the track whose visible centres are closest to object k's
        err = [np.abs(px[j] - xs[k])[vis[k]].max() + np.abs(py[j] - ys[k])[vis[k]].max() for j in range(len(traj))]
        j = int(np.argmin(err))
        assert err[j] < 1.5, (name, k, err)
        assert np.array_equal(traj[j, :, 0] > 0, vis[k]), (name, k)


def test_relative_position_features_say_which_object_is_above():
    clip, xs, ys, vis = _render_with_truth(SCENES["relation"], seed=5)
    traj = object_tracks(torch.from_numpy(clip[None])).trajectory[0].numpy()
    present = traj[:, :, 0].max(1) > 0
    top = int(np.argmin(np.where(present, traj[:, :, 2].mean(1), np.inf)))  # smallest y = highest in the image
    assert (traj[top, :, 4] == 0).all()  # nobody above the top object
    other = [k for k in np.flatnonzero(present) if k != top][0]
    assert (traj[other, :, 4] == 1).all()


def test_timing_says_which_event_comes_first_and_a_static_clip_has_none():
    scene = SCENES["then"]  # the triangle moves right in the first half, then the cross shrinks in the second
    clip, xs, ys, vis = _render_with_truth(scene, seed=4)
    tr = object_tracks(torch.from_numpy(clip[None]))
    timing = track_timing(tr.trajectory)[0].numpy()  # [K, T]
    present = np.flatnonzero(tr.present[0].numpy())
    assert len(present) == 2
    px, _ = _to_pixels(tr.trajectory[0].numpy())
    first = min(present, key=lambda k: abs(px[k, 0] - xs[0][0]))  # the track that starts where the triangle starts
    second = [k for k in present if k != first][0]
    np.testing.assert_allclose(timing[present, :-1].sum(1), 1.0, atol=1e-5)  # profiles are distributions
    assert timing[first, -1] < -0.3 and timing[second, -1] > 0.3, timing[:, -1]
    static = track_timing(object_tracks(torch.from_numpy(single_frame(clip[None]))).trajectory)
    assert float(static.abs().max()) == 0.0


def test_layout_puts_the_upper_object_above_in_every_frame():
    clip, *_ = _render_with_truth(SCENES["relation"], seed=5)  # the ring is above the circle
    tr = object_tracks(torch.from_numpy(clip[None]))
    lay = track_layout(tr.trajectory)[0].numpy()  # [K, 4]: x, y, share above, share left
    present = np.flatnonzero(tr.present[0].numpy())
    top = min(present, key=lambda k: lay[k, 1])
    other = [k for k in present if k != top][0]
    assert lay[top, 2] == 0.0 and lay[other, 2] == 1.0


def test_shuffled_frames_permute_every_trajectory_in_time():
    clip, *_ = _render_with_truth(SCENES["moving"], seed=1)
    shuffled = shuffle_frames(clip[None], seed=4)[0]
    perm = [int(np.flatnonzero((clip == f).all(axis=(1, 2, 3)))[0]) for f in shuffled]
    assert perm != list(range(CFG.frames))
    plain = object_tracks(torch.from_numpy(clip[None])).trajectory[0].numpy()  # [K, T, 6]
    mixed = object_tracks(torch.from_numpy(shuffled[None])).trajectory[0].numpy()

    def seen_at(traj, t):  # the detections of frame t, whichever track holds them
        return traj[traj[:, t, 0] > 0, t]

    for t, source in enumerate(perm):
        np.testing.assert_allclose(seen_at(mixed, t), seen_at(plain, source), atol=1e-5)
    assert (mixed[:, :, 0].max(1) > 0).sum() == 1  # linking follows appearance: one object stays one track
    assert (np.diff(plain[0, :, 1]) < 0).all()  # the plain track moves left monotonically ...
    xs = np.array([seen_at(mixed, t)[0, 1] for t in range(CFG.frames)])
    assert not (np.diff(xs) < 0).all()  # ... the shuffled one does not


def test_single_repeated_frame_gives_static_trajectories_and_the_same_appearance():
    clip, *_ = _render_with_truth(SCENES["two at once"], seed=2)
    static = object_tracks(torch.from_numpy(single_frame(clip[None])))
    traj = static.trajectory[0].numpy()
    np.testing.assert_allclose(traj, np.repeat(traj[:, :1], CFG.frames, axis=1))
    moving = object_tracks(torch.from_numpy(clip[None]))
    # colours (first 6 appearance values) do not depend on time, only on which objects are there
    got = sorted(map(tuple, np.round(static.appearance[0, static.present[0], :3].numpy(), 1)))
    want = sorted(map(tuple, np.round(moving.appearance[0, moving.present[0], :3].numpy(), 1)))
    assert got == want


def test_single_frame_control_keeps_an_object_that_is_missing_from_the_middle_frame():
    clips, vis = [], []
    for seed in range(40):  # the red square appears at a random frame; find clips where it is not yet there mid-way
        clip, _, _, v = _render_with_truth(SCENES["appears"], seed=seed)
        clips.append(clip)
        vis.append(v.sum(0))  # [T] objects visible per frame, from the renderer
    clips, vis = np.stack(clips), np.stack(vis)
    np.testing.assert_array_equal(visible_objects(clips), vis)  # the detector counts what the renderer drew
    late = vis[:, CFG.frames // 2] < vis.max(1)
    assert late.any() and (~late).any()
    static = single_frame(clips)
    middle = single_frame(clips, "middle")
    assert (visible_objects(static)[:, 0] == vis.max(1)).all()  # every object is in the static clip ...
    assert (visible_objects(middle)[late, 0] < vis.max(1)[late]).all()  # ... the middle frame misses one
    np.testing.assert_array_equal(static[~late], middle[~late])  # and the middle frame is kept when it shows all


def test_silhouettes_are_scale_free_and_tell_shapes_apart():
    def silhouette(shape, size):
        scene = Scene(groups=(Group(shape, "red", size, "moves left"),))
        clip, *_ = _render_with_truth(scene, seed=0)
        tr = object_tracks(torch.from_numpy(clip[None]))
        return tr.appearance[0, int(tr.present[0].float().argmax()), 8:].numpy()

    circle_big, circle_small, ring = silhouette("circle", "big"), silhouette("circle", "small"), silhouette("ring", "big")
    assert np.abs(circle_big - circle_small).mean() < np.abs(circle_big - ring).mean()


def test_synthetic_look_at_moderate_strength_keeps_the_object_count():
    for seed, scene in enumerate(SCENES.values()):
        clip, xs, *_ = _render_with_truth(scene, seed=seed, look=SyntheticLook(strength=0.5))
        assert int(object_tracks(torch.from_numpy(clip[None])).present[0].sum()) == len(xs)


def test_tiny_model_refuses_videos_with_another_frame_count():
    from synvita.models.base import build_model
    from synvita.models.tiny import TinyAlignmentModel

    config = TinyAlignmentModel.example_config(["one red circle moves left"], frames=8)
    model = build_model("tiny", config, seed=0)
    with pytest.raises(UserInputError, match="built for 8 frames"):
        model.encode_videos(np.zeros((1, 6, 32, 32, 3), np.uint8))


def test_the_conv_encoder_is_still_available():
    from synvita.models.base import build_model
    from synvita.models.tiny import TinyAlignmentModel

    config = {**TinyAlignmentModel.example_config(["one red circle moves left"], frames=8), "encoder": "conv"}
    model = build_model("tiny", config, seed=0)
    assert not model.caches_video_inputs  # pixels in, nothing to track
    f = model.predict(np.zeros((1, 8, 32, 32, 3), np.uint8), np.array([0]), ["one red circle moves left"])
    assert f.shape == (1,) and 0.0 <= float(f[0]) <= 1.0


def test_a_masked_word_reaches_nothing_through_the_text_convolution():
    """c′ rows: the masked (non-shared) word must not leak into its neighbours via the n-gram convolution."""
    from synvita.models.base import build_model
    from synvita.models.tiny import TinyAlignmentModel

    words = ["one red circle moves left", "one green circle moves left", "one blue circle moves left"]
    config = TinyAlignmentModel.example_config(words, frames=8)
    assert config.get("text_conv", 5) == 5
    model = build_model("tiny", config, seed=0).eval()
    clip, *_ = _render_with_truth(SCENES["moving"], seed=0)
    feats = model.encode_videos(clip[None])
    text = model.prepare_text(words[:2], shared_with=[words[2], words[2]])  # "red" / "green" masked out
    with torch.no_grad():
        f = model.score(feats, torch.zeros(2, dtype=torch.long), text)
        plain = model.score(feats, torch.zeros(2, dtype=torch.long), model.prepare_text(words[:2]))
    assert torch.allclose(f[0], f[1], atol=1e-6)
    assert not torch.allclose(plain[0], plain[1], atol=1e-6)


@pytest.mark.parametrize("config", [{"track_tokens": "fused"}, {"extra_groups": ["timing", "layout"]}, {"extra_groups": []},
                                    {"grounding": False}, {"fusion_sees": "dynamics"}, {"video_layers": 0},
                                    {"readout": "sum"}, {"content_query": "word"}, {"content_query": "context"},
                                    {"look_keys": "extent"}, {"cls_nats": 3}, {"context_gate_init": 0}])
def test_tiny_track_token_options_score_videos(config):
    from synvita.models.base import build_model
    from synvita.models.tiny import TinyAlignmentModel

    words = ["one red circle moves left", "one red circle moves right"]
    model = build_model("tiny", {**TinyAlignmentModel.example_config(words, frames=8), **config}, seed=0)
    clip, *_ = _render_with_truth(SCENES["moving"], seed=0)
    f = model.predict(clip[None], np.array([0, 0]), words)
    assert f.shape == (2,) and ((0 < f) & (f < 1)).all()


@pytest.mark.parametrize("config", [{"track_tokens": "slots"}, {"extra_groups": ["speed"]}, {"grounding": "yes"},
                                    {"fusion_sees": "looks"}, {"fusion_sees": "dynamics", "grounding": False},
                                    {"fusion_layers": 0}, {"video_layers": -1}, {"readout": "or"}, {"cls_nats": 0},
                                    {"cls_nats": "2"}, {"content_query": "all"}, {"look_keys": "time"},
                                    {"context_gate_init": -1.0}])
def test_tiny_refuses_unknown_track_options(config):
    from synvita.models.base import build_model
    from synvita.models.tiny import TinyAlignmentModel

    with pytest.raises(UserInputError, match="tiny model config"):
        build_model("tiny", {**TinyAlignmentModel.example_config(["one red circle moves left"]), **config}, seed=0)


def test_a_model_saved_before_the_timing_group_loads_as_it_was_built(tmp_path):
    import json

    from synvita.models.base import build_model, load_model
    from synvita.models.tiny import TinyAlignmentModel

    words = ["one red circle moves left", "one red circle moves right"]
    old = build_model("tiny", {**TinyAlignmentModel.example_config(words, frames=8), "extra_groups": [],
                               "grounding": False}, seed=0)
    old.save_pretrained(tmp_path)
    payload = json.loads((tmp_path / "config.json").read_text())
    for key in ("extra_groups", "track_tokens", "grounding", "readout", "cls_nats", "content_query", "look_keys",
                "context_gate_init"):  # what an older synvita wrote
        del payload["config"][key]
    (tmp_path / "config.json").write_text(json.dumps(payload))
    loaded = load_model(tmp_path)
    assert loaded.config["extra_groups"] == [] and "timing" not in loaded.video.parts and loaded.grounding is None
    assert loaded.config["readout"] == "sum"
    clip, *_ = _render_with_truth(SCENES["moving"], seed=0)
    np.testing.assert_allclose(loaded.predict(clip[None], np.array([0, 0]), words),
                               old.eval().predict(clip[None], np.array([0, 0]), words), atol=1e-6)


def _grounding(model, clip, caption):
    """(found [L, d], evidence [L]) of one caption's words on one clip, straight from the model's grounding step."""
    K = model.tiny_config.slots
    feats = model.encode_videos(clip[None])  # [1, N + 2K, d]
    text = model.prepare_text([caption])
    with torch.no_grad():
        found, evidence = model.grounding.find(model.text.word_emb(text.ids), feats[:, -2 * K : -K], feats[:, -K:])
    return found[0], evidence[0]


def test_grounding_finds_tracks_by_look_alone_and_reads_their_motion():
    """Keys are appearance only: shuffling time leaves every word's evidence (and which track it picks) as it was,
    while what it reads (trajectory, timing) changes; an empty clip leaves every word with nothing to read."""
    from synvita.models.base import build_model
    from synvita.models.tiny import TinyAlignmentModel

    caption = "one big red circle moves left then one small blue square grows"
    model = build_model("tiny", TinyAlignmentModel.example_config([caption], frames=8), seed=0).eval()
    assert model.grounding is not None  # the default
    clip, *_ = _render_with_truth(SCENES["moving"], seed=0)
    found, evidence = _grounding(model, clip, caption)
    found_shuffled, evidence_shuffled = _grounding(model, shuffle_frames(clip[None], seed=3)[0], caption)
    torch.testing.assert_close(evidence_shuffled, evidence, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(found_shuffled, found, atol=1e-3)
    found_empty, evidence_empty = _grounding(model, np.zeros_like(clip), caption)
    assert torch.count_nonzero(found_empty - model.grounding.out.bias) == 0  # only the null key: zero value
    assert (evidence_empty < evidence).all()


def test_the_evidence_of_masked_words_does_not_count():
    """c′ rows: a masked word's gate is zero, so what it names (found or not) cannot move f(V, c′)."""
    from synvita.models.base import build_model
    from synvita.models.tiny import TinyAlignmentModel

    words = ["one red circle moves left", "one green circle moves left", "one blue circle moves left"]
    model = build_model("tiny", TinyAlignmentModel.example_config(words, frames=8), seed=0).eval()
    with torch.no_grad():
        model.grounding.word_gate.weight.fill_(3.0)  # make the content score dominate
    clip, *_ = _render_with_truth(SCENES["moving"], seed=0)
    feats = model.encode_videos(clip[None])
    with torch.no_grad():
        masked = model.score(feats, torch.zeros(2, dtype=torch.long), model.prepare_text(words[:2], shared_with=[words[2]] * 2))
        plain = model.score(feats, torch.zeros(2, dtype=torch.long), model.prepare_text(words[:2]))
    assert torch.allclose(masked[0], masked[1], atol=1e-6) and not torch.allclose(plain[0], plain[1], atol=1e-4)


def test_a_grounding_model_saved_before_the_and_readout_loads_as_it_was_built(tmp_path):
    import json

    from synvita.models.base import build_model, load_model
    from synvita.models.tiny import TinyAlignmentModel

    words = ["one red circle moves left", "one red circle moves right"]
    old = build_model("tiny", {**TinyAlignmentModel.example_config(words, frames=8), "readout": "sum",
                               "content_query": "word", "look_keys": "extent"}, seed=0)
    old.save_pretrained(tmp_path)
    payload = json.loads((tmp_path / "config.json").read_text())
    for key in ("readout", "cls_nats", "content_query", "look_keys", "context_gate_init"):  # the previous release
        del payload["config"][key]
    (tmp_path / "config.json").write_text(json.dumps(payload))
    loaded = load_model(tmp_path)
    assert loaded.grounding is not None and loaded.readout is None
    assert not hasattr(loaded.grounding, "context_query") and not hasattr(loaded.grounding, "look_size")
    clip, *_ = _render_with_truth(SCENES["moving"], seed=0)
    np.testing.assert_allclose(loaded.predict(clip[None], np.array([0, 0]), words),
                               old.eval().predict(clip[None], np.array([0, 0]), words), atol=1e-6)


def _and_model(words, **config):
    from synvita.models.base import build_model
    from synvita.models.tiny import TinyAlignmentModel

    model = build_model("tiny", {**TinyAlignmentModel.example_config(words, frames=8), **config}, seed=0).eval()
    config = model.tiny_config
    assert config.readout == "and" and config.content_query == "both" and config.look_keys == "size"  # the defaults
    return model


def _set_cls_margin(model, margin: float) -> None:
    """Make the [CLS] head say Yes − No = margin for every input (weights of its last layer zero)."""
    with torch.no_grad():
        last = model.head[-1]
        last.weight.zero_()
        last.bias.copy_(torch.tensor([margin / 2, -margin / 2]))


def test_the_and_readout_lets_the_cls_path_take_at_most_cls_nats_off_log_f():
    """f = σ(content)·(ε + (1 − ε)·σ(margin)): a [CLS] path sure of No lowers log f by cls_nats, no more, so captions
    keep the order their content gives them; Yes and No logits are log f and log(1 − f)."""
    words = ["one big red circle moves left", "one big blue square moves left"]
    clip, *_ = _render_with_truth(SCENES["moving"], seed=0)  # a big red circle moving left
    for nats in (1.5, 4.0):
        model = _and_model(words, cls_nats=nats)
        with torch.no_grad():
            model.grounding.word_gate.weight.fill_(1.0)
        _set_cls_margin(model, 60.0)
        sure_yes = model.predict(clip[None], np.array([0, 0]), words)
        _set_cls_margin(model, -60.0)
        sure_no = model.predict(clip[None], np.array([0, 0]), words)
        np.testing.assert_allclose(np.log(sure_no) - np.log(sure_yes), [-nats, -nats], atol=1e-4)
        assert (np.argsort(sure_no) == np.argsort(sure_yes)).all() and sure_yes[0] != sure_yes[1]
        feats = model.encode_videos(clip[None])
        with torch.no_grad():
            logits = model(feats, torch.zeros(2, dtype=torch.long), model.prepare_text(words))
        np.testing.assert_allclose(logits.exp().sum(-1).numpy(), [1.0, 1.0], atol=1e-5)  # f + (1 − f) = 1


def test_the_content_score_is_the_same_for_a_clip_and_its_shuffled_frames():
    """With the [CLS] margin held fixed, f is the content score alone: it reads looks (colour, mean size, shape),
    never time, so shuffling the frames leaves it exactly as it was; another object changes it."""
    words = ["one big red circle moves left", "one small red circle moves left", "one big blue circle moves right"]
    model = _and_model(words)
    _set_cls_margin(model, 0.0)
    clip, *_ = _render_with_truth(SCENES["moving"], seed=0)
    plain = model.predict(clip[None], np.zeros(3, int), words)
    shuffled = model.predict(shuffle_frames(clip[None], seed=3), np.zeros(3, int), words)
    np.testing.assert_allclose(shuffled, plain, rtol=1e-4)
    other, *_ = _render_with_truth(SCENES["two at once"], seed=0)
    assert not np.allclose(model.predict(other[None], np.zeros(3, int), words), plain, rtol=1e-3)
