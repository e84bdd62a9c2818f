"""The renderer, checked from pixels: relations hold at every frame, motion goes the captioned way."""

import numpy as np

from synvita.world.config import TINY
from synvita.world.render import PALETTE, LayoutError, render
from synvita.world.sampling import sample_scene
from synvita.world.scene import ACTION_AXIS

CLEAN = TINY.with_overrides({"real_noise": 0.0, "real_colour_jitter": 0.0})


def _centroids(frames, colour):
    """Per frame (x, y) centre of the pixels of exactly `colour` (NaN where absent)."""
    mask = (np.abs(frames.astype(int) - np.array(colour)).sum(-1) <= 3)  # [T, H, W]
    out = []
    for m in mask:
        ys, xs = np.nonzero(m)
        out.append((xs.mean() + 0.5, ys.mean() + 0.5) if len(xs) else (np.nan, np.nan))
    return np.array(out)


def test_relations_hold_at_every_frame_with_the_minimum_separation():
    rng = np.random.default_rng(0)
    checked = 0
    while checked < 60:
        scene = sample_scene(rng, CLEAN, "relation")
        a, b = scene.groups
        if a.colour == b.colour:
            continue
        try:
            frames = render(scene, CLEAN, rng)
        except LayoutError:  # the world resamples such scenes
            continue
        r = scene.relation
        ca = _centroids(frames, PALETTE[scene.groups[r.subject].colour])
        cb = _centroids(frames, PALETTE[scene.groups[r.object].colour])
        diff = {"above": cb[:, 1] - ca[:, 1], "below": ca[:, 1] - cb[:, 1],
                "left of": cb[:, 0] - ca[:, 0], "right of": ca[:, 0] - cb[:, 0]}[r.relation]
        assert (diff >= CLEAN.relation_min_sep_px - 1.5).all(), (scene, diff)
        for g in scene.groups:  # no motion along the relation's axis
            assert ACTION_AXIS.get(g.action) != {"above": "y", "below": "y"}.get(r.relation, "x")
        checked += 1


def test_motion_follows_the_action_and_only_shows_across_frames():
    rng = np.random.default_rng(1)
    sign = {"moves left": (-1, 0), "moves right": (1, 0), "moves up": (0, -1), "moves down": (0, 1)}
    checked = 0
    while checked < 40:
        scene = sample_scene(rng, CLEAN, "single")
        g = scene.groups[0]
        if g.action not in sign or g.count != 1:
            continue
        try:
            c = _centroids(render(scene, CLEAN, rng), PALETTE[g.colour])
        except LayoutError:
            continue
        move = c[-1] - c[0]
        sx, sy = sign[g.action]
        along = move[0] * sx + move[1] * sy
        assert along >= CLEAN.motion_px - 1.5, (g, move)
        checked += 1


def test_then_events_use_the_two_halves():
    rng = np.random.default_rng(2)
    checked = 0
    while checked < 20:
        scene = sample_scene(rng, CLEAN, "then")
        a, b = scene.groups
        if a.colour == b.colour or a.count != 1 or b.count != 1 or not {a.action, b.action} <= set(ACTION_AXIS):
            continue
        try:
            frames = render(scene, CLEAN, rng)
        except LayoutError:
            continue
        half = CLEAN.frames // 2
        ca, cb = _centroids(frames, PALETTE[a.colour]), _centroids(frames, PALETTE[b.colour])
        assert np.abs(ca[half:] - ca[half - 1]).max() < 0.6  # the first event is over by the second half
        assert np.abs(cb[:half] - cb[0]).max() < 0.6  # the second event has not started in the first half
        checked += 1


def test_grows_and_shrinks_show_the_same_sizes_in_opposite_orders():
    from synvita.world import parse

    grow = render(parse("one big red circle grows"), CLEAN, np.random.default_rng(3))
    shrink = render(parse("one big red circle shrinks"), CLEAN, np.random.default_rng(3))
    red = PALETTE["red"]
    area = lambda clip: (np.abs(clip.astype(int) - np.array(red)).sum(-1) <= 3).sum(axis=(1, 2))  # [T]
    a_grow, a_shrink = area(grow), area(shrink)
    assert (np.diff(a_grow) >= 0).all() and (np.diff(a_shrink) <= 0).all() and a_grow[-1] > 2 * a_grow[0]
    assert np.array_equal(np.sort(a_grow), np.sort(a_shrink))  # no static size cue: only the order differs


def test_appears_and_disappears_differ_only_in_order():
    from synvita.world import parse

    visible = {"appears": [], "disappears": []}
    for action in visible:
        for seed in range(200):
            clip = render(parse(f"one big red circle {action}"), CLEAN, np.random.default_rng(seed))
            shown = (np.abs(clip.astype(int) - np.array(PALETTE["red"])).sum(-1) <= 3).any(axis=(1, 2))  # [T]
            assert 0 < shown.sum() < len(shown) and (np.diff(shown.astype(int)) != 0).sum() == 1
            visible[action].append(shown)
    a, d = np.array(visible["appears"]), np.array(visible["disappears"])
    assert a[:, -1].all() and d[:, 0].all()
    assert abs(a.sum(1).mean() - d.sum(1).mean()) < 0.6  # same number of visible frames on average
    mid = CLEAN.frames // 2
    assert abs(a[:, mid].mean() - d[:, mid].mean()) < 0.3  # a fixed middle frame is (almost) no cue
