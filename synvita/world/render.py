"""Scene graph → uint8 clip `[T, H, W, 3]`, in the real look or a synthetic look.

Direction and order are visible only across frames: a moving object travels `motion_px` over its event's time
segment (the whole clip, or one half in a "then" scene, still otherwise); 'appears'/'disappears' switch visibility
at the segment's middle; 'grows'/'shrinks' scale the object. Layouts are rejection-sampled so every object stays in
the frame, objects never overlap, and a relation holds at every frame by at least `relation_min_sep_px`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synvita.world.config import WorldConfig
from synvita.world.scene import Scene

PALETTE = {
    "red": (225, 45, 45),
    "green": (50, 195, 70),
    "blue": (55, 95, 235),
    "yellow": (235, 215, 50),
    "purple": (165, 60, 210),
}
REAL_BACKGROUND = (16.0, 16.0, 24.0)


class LayoutError(Exception):
    """No layout satisfies the scene's constraints (the caller resamples the scene or relaxes)."""


@dataclass(frozen=True)
class SyntheticLook:
    """Visual noise of a generator ("synthetic look"); every strength is in [0, 1] and scaled by `strength`."""

    strength: float = 0.5
    palette: float = 1.0
    """Per-video channel gain/offset on all colours and partial desaturation."""
    texture: float = 1.0
    """Tinted background with a static sinusoidal texture."""
    blur: float = 1.0
    """3×3 box blur mixed in."""
    flicker: float = 1.0
    """Per-frame brightness jitter."""
    noise: float = 1.0
    """Extra pixel noise (σ up to 8)."""


def _segments(scene: Scene, frames: int) -> list[tuple[int, int]]:
    if scene.link == "then":
        half = frames // 2
        return [(0, half), (half, frames)]
    return [(0, frames)] * len(scene.groups)


def trajectories(scene: Scene, cfg: WorldConfig, rng: np.random.Generator | None = None):
    """Per object: (group index, dx [T], dy [T], diameter [T], visible [T]) relative to its start position.

    'appears'/'disappears' switch at a frame drawn uniformly inside the segment (its middle without `rng`), so
    neither the number of visible frames nor any fixed frame index tells one from the other: only the order does.
    """
    T = cfg.frames
    t = np.arange(T, dtype=np.float64)
    out = []
    for gi, (g, (s, e)) in enumerate(zip(scene.groups, _segments(scene, T))):
        p = np.clip((t - s) / max(e - s - 1, 1), 0.0, 1.0)  # progress through the segment
        dx = np.zeros(T)
        dy = np.zeros(T)
        base = cfg.big_px if g.size == "big" else cfg.small_px
        diam = np.full(T, base)
        vis = np.ones(T, dtype=bool)
        mid = s + (e - s) // 2
        if g.action in ("appears", "disappears") and rng is not None and e - s > 2:
            mid = int(rng.integers(s + 1, e))  # the first frame of the new visibility state
        if g.action == "moves left":
            dx = -cfg.motion_px * p
        elif g.action == "moves right":
            dx = cfg.motion_px * p
        elif g.action == "moves up":
            dy = -cfg.motion_px * p
        elif g.action == "moves down":
            dy = cfg.motion_px * p
        elif g.action == "grows":  # nominal/√r → nominal·√r: the same sizes as "shrinks", in the other order
            diam = base * cfg.size_change ** (p - 0.5)
        elif g.action == "shrinks":
            diam = base * cfg.size_change ** (0.5 - p)
        elif g.action == "appears":
            vis = t >= mid
        elif g.action == "disappears":
            vis = t < mid
        for _ in range(g.count):
            out.append((gi, dx, dy, diam, vis))
    return out


def layout(scene: Scene, cfg: WorldConfig, rng: np.random.Generator, tries: int = 60, relax: bool = False):
    """Start positions per object satisfying bounds, spacing and the relation at every frame.

    Returns (objs, xs, ys): the trajectories and the centre coordinates, float [K, T] each.
    """
    objs = trajectories(scene, cfg, rng)
    H, W = cfg.height, cfg.width
    gap = -1e9 if relax else cfg.object_gap_px
    dx = np.stack([o[1] for o in objs])  # [K, T]
    dy = np.stack([o[2] for o in objs])
    r = np.stack([o[3] for o in objs]) / 2.0
    vis = np.stack([o[4] for o in objs])
    lo_x, hi_x = (r - dx).max(axis=1) + 0.5, (W - r - dx).min(axis=1) - 0.5  # [K]
    lo_y, hi_y = (r - dy).max(axis=1) + 0.5, (H - r - dy).min(axis=1) - 0.5
    if (lo_x > hi_x).any() or (lo_y > hi_y).any():
        raise LayoutError("object does not fit in the frame")
    K = len(objs)
    iu = np.triu_indices(K, 1)
    both = (vis[:, None, :] & vis[None, :, :])[iu]  # [pairs, T]
    reach = (r[:, None, :] + r[None, :, :])[iu] + gap
    rel = None
    if scene.relation is not None:
        groups = [o[0] for o in objs]
        rel = (groups.index(scene.relation.subject), scene.relation.relation, groups.index(scene.relation.object))
    # all tries at once: candidate starts [N, K] → centres [N, K, T]; the first candidate that passes wins
    x0 = rng.uniform(lo_x, hi_x, size=(tries, K))
    y0 = rng.uniform(lo_y, hi_y, size=(tries, K))
    xs = x0[:, :, None] + dx[None]
    ys = y0[:, :, None] + dy[None]
    ok = np.ones(tries, dtype=bool)
    if K > 1:
        cheb = np.maximum(np.abs(xs[:, :, None] - xs[:, None]), np.abs(ys[:, :, None] - ys[:, None]))
        cheb = cheb[:, iu[0], iu[1]]  # [N, pairs, T]
        ok &= ~(both[None] & (cheb < reach[None])).any(axis=(1, 2))
    if rel is not None:
        sa, word, ob = rel
        diff = {
            "above": ys[:, ob] - ys[:, sa],
            "below": ys[:, sa] - ys[:, ob],
            "left of": xs[:, ob] - xs[:, sa],
            "right of": xs[:, sa] - xs[:, ob],
        }[word]
        ok &= (diff >= cfg.relation_min_sep_px).all(axis=1)
    hits = np.flatnonzero(ok)
    if len(hits):
        return objs, xs[hits[0]], ys[hits[0]]
    raise LayoutError("no layout found")


def _mask(shape: str, dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    if shape == "square":
        return np.maximum(np.abs(dx), np.abs(dy)) <= r * 0.85
    if shape == "triangle":
        return (dy >= -r) & (dy <= r * 0.8) & (np.abs(dx) <= (dy + r) * 0.55)
    if shape == "cross":
        thin = r * 0.36
        return ((np.abs(dx) <= thin) & (np.abs(dy) <= r)) | ((np.abs(dy) <= thin) & (np.abs(dx) <= r))
    if shape == "ring":
        d2 = dx * dx + dy * dy
        return (d2 <= r * r) & (d2 >= (r * 0.5) ** 2)
    raise ValueError(f"unknown shape {shape}")


_GRIDS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
_NOISE_TABLE = np.random.default_rng(20250318).standard_normal(1 << 21, dtype=np.float32)


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """n standard-normal values: a random window of a fixed table (drawing fresh normals costs 25x more)."""
    if n > len(_NOISE_TABLE) // 2:
        return rng.standard_normal(n, dtype=np.float32)
    start = int(rng.integers(0, len(_NOISE_TABLE) - n))
    return _NOISE_TABLE[start : start + n]


def _grid(H: int, W: int):
    if (H, W) not in _GRIDS:
        yy, xx = np.meshgrid(np.arange(H) + 0.5, np.arange(W) + 0.5, indexing="ij")
        _GRIDS[(H, W)] = (xx, yy)
    return _GRIDS[(H, W)]


def render(
    scene: Scene,
    cfg: WorldConfig,
    rng: np.random.Generator,
    look: SyntheticLook | None = None,
    relax_on_failure: bool = False,
) -> np.ndarray:
    """uint8 [T, H, W, 3] clip of `scene`; `look=None` is the real look. Raises LayoutError if nothing fits."""
    try:
        objs, xs, ys = layout(scene, cfg, rng)
    except LayoutError:
        if not relax_on_failure:
            raise
        objs, xs, ys = layout(scene, cfg, rng, tries=200, relax=True)
    T, H, W = cfg.frames, cfg.height, cfg.width
    xx, yy = _grid(H, W)
    synthetic = look is not None and look.strength > 0
    s = look.strength if synthetic else 0.0

    bg = np.array(REAL_BACKGROUND) + rng.uniform(-6, 6, size=3)
    gain = np.ones(3)
    offset = np.zeros(3)
    if synthetic:
        gain = 1.0 + s * look.palette * rng.uniform(-0.3, 0.3, size=3)
        offset = s * look.palette * rng.uniform(-25, 25, size=3)
        bg = bg + s * look.texture * rng.uniform(10, 70, size=3)
    canvas = np.empty((T, H, W, 3), dtype=np.float32)
    canvas[:] = bg.astype(np.float32)
    if synthetic and look.texture > 0:
        f = rng.uniform(0.25, 0.9, size=2)
        phase = rng.uniform(0, 2 * np.pi)
        tex = np.sin(f[0] * xx + f[1] * yy + phase) * (18.0 * s * look.texture)  # [H, W]
        canvas += tex.astype(np.float32)[None, :, :, None]
    for k, (gi, _dx, _dy, diam, vis) in enumerate(objs):
        g = scene.groups[gi]
        colour = np.array(PALETTE[g.colour], dtype=np.float64) + rng.normal(0, cfg.real_colour_jitter, size=3)
        r = diam / 2.0
        x_lo, x_hi = max(0, int(np.floor((xs[k] - r).min()))), min(W, int(np.ceil((xs[k] + r).max())) + 1)
        y_lo, y_hi = max(0, int(np.floor((ys[k] - r).min()))), min(H, int(np.ceil((ys[k] + r).max())) + 1)
        ddx = xx[None, y_lo:y_hi, x_lo:x_hi] - xs[k][:, None, None]  # [T, h, w] (the object's bounding box)
        ddy = yy[None, y_lo:y_hi, x_lo:x_hi] - ys[k][:, None, None]
        m = _mask(g.shape, ddx, ddy, r[:, None, None]) & vis[:, None, None]
        canvas[:, y_lo:y_hi, x_lo:x_hi][m] = colour
    if synthetic:
        # palette shift then partial desaturation, as one colour matrix: c' = A (G c + o), A = (1-d) I + (d/3) J
        d = 0.35 * s * look.palette
        A = (1.0 - d) * np.eye(3) + (d / 3.0) * np.ones((3, 3))
        canvas = canvas @ (A @ np.diag(gain)).T.astype(np.float32)
        canvas += (A @ offset).astype(np.float32)
        if look.blur > 0:  # 3×3 box blur (edge-padded, separable), mixed in with weight b
            p = np.empty((T, H + 2, W + 2, 3), dtype=np.float32)
            p[:, 1:-1, 1:-1] = canvas
            p[:, 0, 1:-1], p[:, -1, 1:-1] = canvas[:, 0], canvas[:, -1]
            p[:, :, 0], p[:, :, -1] = p[:, :, 1], p[:, :, -2]
            rows = p[:, :-2] + p[:, 1:-1]
            rows += p[:, 2:]  # [T, H, W+2, 3]
            box = rows[:, :, :-2] + rows[:, :, 1:-1]
            box += rows[:, :, 2:]
            b = min(1.0, s * look.blur * 1.2)
            canvas *= np.float32(1 - b)
            box *= np.float32(b / 9.0)
            canvas += box
        if look.flicker > 0:
            canvas *= (1.0 + 0.15 * s * look.flicker * rng.normal(size=(T, 1, 1, 1))).astype(np.float32)
    sigma = cfg.real_noise + (8.0 * s * look.noise if synthetic else 0.0)
    canvas += _noise(rng, canvas.size).reshape(canvas.shape) * np.float32(sigma)
    canvas += np.float32(0.5)
    return np.clip(canvas, 0, 255, out=canvas).astype(np.uint8)
