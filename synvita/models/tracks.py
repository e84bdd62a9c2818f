"""Object tracks from raw frames: the parameter-free, object-centric front end of the `tiny` model.

Why: a CNN over space-time must learn to find objects, bind them across frames and compare their positions before
it can tell "the ring above the square" from "the ring below the square" or "moves left" from "moves right"; on
2 CPU cores it never got there for relations (docs/temporal.md). The world's objects are flat-coloured shapes on a
darker background, so segmenting them is cheap and exact enough; what is left to learn — which word names which
object, and how a trajectory reads as an action, an order or a relation — is what the benchmarks are about.

Pipeline, batched over all videos (no Python loop over videos):

  1. background = per-video, per-channel median colour; foreground = pixels whose colour distance from it (with
     brightness changes down-weighted by `grey_weight`: textures and flicker are grey) exceeds `threshold`;
  2. connected components per frame (8-connectivity; scipy.ndimage.label over the whole batch at once);
  3. the `slots` largest components per frame (at least `min_area` pixels): area, centre, mean colour,
     bounding box, and a scale-normalised `crop`×`crop` silhouette (the shape, independent of size);
  4. tracking: frame by frame, detections are assigned to tracks by the cheapest permutation of a cost that
     compares colour, silhouette and distance to each track's last-seen state, appearance first (tracks may be
     empty for a while: 'appears' / 'disappears'; a shuffled clip keeps its objects' tracks);
  5. per track: a trajectory [T, 6] (visible, x, y, √area, and the share of the other visible objects above /
     left of it; zeros where invisible) and an appearance vector (mean colour, chromaticity, share of frames
     visible, mean size, mean silhouette).

Frame order matters only through step 4 and the trajectory's time axis, so shuffled frames scramble every
trajectory while a single repeated frame gives static ones; appearance is unaffected by either (the controls of
issue 6 rely on both properties).
"""

from __future__ import annotations

import itertools

import numpy as np
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Tracks:
    """Object tracks of V videos with K track slots each."""

    trajectory: torch.Tensor
    """float [V, K, T, 6]: (visible, x, y, √area, share of the other objects above, share left of it) per frame;
    x, y in [-1, 1], √area / (H/4); zeros when unseen."""
    appearance: torch.Tensor
    """float [V, K, 8 + crop²]: mean colour (3, centred), chromaticity (3), share of frames visible (1), mean √area
    over the visible frames (1, same scale as the trajectory's), mean silhouette (crop²)."""
    present: torch.Tensor
    """bool [V, K]: the track was seen in at least one frame."""


TRACKER_VERSION = 1
"""Names what this module computes from pixels: raise it with any change to the output of `object_tracks`,
`track_layout` or `track_timing`, so that tracks kept on disk (`synvita.models.stored_inputs`) by an older tracker
are computed again rather than read."""


_FRAME_CONNECTIVITY = np.zeros((3, 3, 3), dtype=bool)
_FRAME_CONNECTIVITY[1] = True  # 8-connected within a frame, never across frames


def _components(fg: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Connected components per frame: bool [N, H, W] → (labels int64 [N, H, W] numbered 1..m_n inside each frame,
    0 = background; M = the largest m_n)."""
    from scipy import ndimage

    fg_np = fg.cpu().numpy()
    labels, _ = ndimage.label(fg_np, structure=_FRAME_CONNECTIVITY)  # raster order: frame n's labels are contiguous
    labels = torch.from_numpy(labels.astype(np.int64)).to(fg.device)
    N = labels.shape[0]
    top = labels.reshape(N, -1).amax(1)  # [N] the last label of each frame (0 if the frame is empty)
    offset = torch.cummax(torch.cat([top.new_zeros(1), top[:-1]]), 0).values  # labels before frame n
    local = torch.where(labels > 0, labels - offset.view(N, 1, 1), labels)
    return local, int(local.max()) if local.numel() else 0


def foreground(x: torch.Tensor, threshold: float, grey_weight: float) -> torch.Tensor:
    """float [V, T, H, W, 3] (0..255) → bool [V·T, H, W]: pixels whose colour differs from the video's background
    (per-video, per-channel median) by more than `threshold`, brightness changes counting `grey_weight` as much."""
    V, T, H, W, _ = x.shape
    bg = x[:, ::2, ::3, ::3].reshape(V, -1, 3).median(dim=1).values  # [V, 3] (objects cover well under half)
    delta = x - bg.view(V, 1, 1, 1, 3)  # [V, T, H, W, 3]
    grey = delta.mean(-1)  # [V, T, H, W] brightness change (textures, flicker) ...
    # ... counts less: |delta − grey|² + 3·w²·grey² = |delta|² − 3·(1 − w²)·grey², compared squared
    dist2 = delta.square().sum(-1) - 3.0 * (1.0 - grey_weight**2) * grey.square()
    return (dist2 > threshold**2).reshape(V * T, H, W)


def count_objects(videos: torch.Tensor, threshold: float = 40.0, min_area: int = 4, grey_weight: float = 0.3) -> torch.Tensor:
    """uint8 [V, T, H, W, 3] → int [V, T]: objects (components of at least `min_area` pixels) visible per frame, as
    `detect_objects` finds them, without measuring them."""
    V, T = videos.shape[:2]
    local, M = _components(foreground(videos.float(), threshold, grey_weight))  # [V·T, H, W]
    area = torch.zeros(V * T, M + 1).scatter_add_(1, local.flatten(1), torch.ones(local.flatten(1).shape))
    return (area[:, 1:] >= min_area).sum(1).reshape(V, T)


def detect_objects(
    videos: torch.Tensor, slots: int, crop: int, threshold: float, min_area: int, grey_weight: float = 0.3
):
    """Per-frame detections of uint8 [V, T, H, W, 3] videos, the `slots` largest per frame.

    Returns (valid bool [V, T, K], centre float [V, T, K, 2] (x, y in [-1, 1]), size float [V, T, K] (√area / (H/4)),
    colour float [V, T, K, 3] (0..1), silhouette float [V, T, K, crop²]); all zero where not valid.
    """
    V, T, H, W, _ = videos.shape
    x = videos.float()  # [V, T, H, W, 3]
    local, M = _components(foreground(x, threshold, grey_weight))
    labels = local.reshape(V * T, H * W)  # [N, HW]
    N, L = V * T, max(M, slots) + 1
    ys, xs = torch.meshgrid(
        torch.arange(H, dtype=torch.float32, device=x.device) + 0.5,
        torch.arange(W, dtype=torch.float32, device=x.device) + 0.5,
        indexing="ij",
    )
    xs, ys = xs.reshape(1, -1).expand(N, -1), ys.reshape(1, -1).expand(N, -1)  # [N, HW]

    # per-component sums of (1, x, y, r, g, b) in one pass: rows n·L + label of a [N·L, 6] table
    slot = (labels + torch.arange(N, device=x.device).unsqueeze(1) * L).reshape(-1)  # [N·HW]
    values = torch.cat([torch.ones(N, H * W, 1, device=x.device), xs.unsqueeze(-1), ys.unsqueeze(-1),
                        x.reshape(N, H * W, 3)], -1).reshape(-1, 6)  # [N·HW, 6]
    sums = torch.zeros(N * L, 6, device=x.device).index_add_(0, slot, values).view(N, L, 6)
    counts = sums[..., 0].clone()  # [N, L]
    counts[:, 0] = 0
    area, ids = counts.topk(slots, dim=1)  # [N, K] the largest components
    valid = area >= min_area
    area = area.clamp_min(1.0)
    picked = sums.gather(1, ids.unsqueeze(-1).expand(N, slots, 6))  # [N, K, 6]
    cx, cy = picked[..., 1] / area, picked[..., 2] / area
    colour = picked[..., 3:] / area.unsqueeze(-1) / 255.0
    # bounding boxes: min and max of (x, y) per component, both coordinates in one scatter each
    both = torch.stack([labels, labels + L], 1).reshape(N, 2 * H * W)  # [N, 2·HW]: x entries, then y entries
    coords = torch.cat([xs, ys], 1)  # [N, 2·HW]
    lo = torch.full((N, 2 * L), 1e4, device=x.device).scatter_reduce_(1, both, coords, reduce="amin")
    hi = torch.full((N, 2 * L), -1e4, device=x.device).scatter_reduce_(1, both, coords, reduce="amax")
    pick = lambda t: t.gather(1, ids)  # noqa: E731  [N, L] → [N, K]
    x0, y0 = pick(lo[:, :L]) - 0.5, pick(lo[:, L:]) - 0.5
    x1, y1 = pick(hi[:, :L]) + 0.5, pick(hi[:, L:]) + 0.5
    # scale-normalised silhouette: sample the label map over each component's bounding box (made square, centred)
    half = torch.maximum(x1 - x0, y1 - y0).clamp(1.0, float(max(H, W))) / 2.0  # [N, K]
    mx, my = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    theta = torch.zeros(N * slots, 2, 3, device=x.device)
    theta[:, 0, 0] = (half / (W / 2.0)).reshape(-1)
    theta[:, 1, 1] = (half / (H / 2.0)).reshape(-1)
    theta[:, 0, 2] = (mx / (W / 2.0) - 1.0).reshape(-1)
    theta[:, 1, 2] = (my / (H / 2.0) - 1.0).reshape(-1)
    grid = F.affine_grid(theta, [N * slots, 1, crop, crop], align_corners=False)
    label_map = labels.float().view(N, 1, H, W).expand(N, slots, H, W).reshape(N * slots, 1, H, W)
    sampled = F.grid_sample(label_map, grid, mode="nearest", align_corners=False).view(N, slots, crop * crop)
    silhouette = (sampled == ids.unsqueeze(-1).float()).float()  # [N, K, crop²]
    vf = valid.float()
    centre = torch.stack([cx / (W / 2.0) - 1.0, cy / (H / 2.0) - 1.0], -1) * vf.unsqueeze(-1)
    size = area.sqrt() / (H / 4.0) * vf
    return (
        valid.reshape(V, T, slots),
        centre.reshape(V, T, slots, 2),
        size.reshape(V, T, slots),
        (colour * vf.unsqueeze(-1)).reshape(V, T, slots, 3),
        silhouette.reshape(V, T, slots, crop * crop) * vf.reshape(V, T, slots, 1),
    )


def _link(valid, centre, colour, silhouette):
    """Assign each frame's detections to K tracks (cheapest permutation per frame). Returns the permutation index
    long [V, T, K]: track k at frame t is detection perm[v, t, k]."""
    V, T, K = valid.shape
    perms = torch.tensor(list(itertools.permutations(range(K))), device=valid.device)  # [P, K]
    out = torch.empty(V, T, K, dtype=torch.long, device=valid.device)
    out[:, 0] = torch.arange(K, device=valid.device)
    seen = valid[:, 0].clone()  # [V, K] track state: last-seen detection
    last_c, last_col, last_sil = centre[:, 0].clone(), colour[:, 0].clone(), silhouette[:, 0].clone()
    rows = torch.arange(V, device=valid.device)
    for t in range(1, T):
        ok = valid[:, t]  # [V, K] detections of this frame
        # pairwise cost track j ↔ detection i: [V, K(track), K(det)]
        d_pos = (last_c.unsqueeze(2) - centre[:, t].unsqueeze(1)).norm(dim=-1)  # 1.0 = half the frame (16 px at 32)
        d_col = (last_col.unsqueeze(2) - colour[:, t].unsqueeze(1)).abs().sum(-1) * 4.0
        d_sil = (last_sil.unsqueeze(2) - silhouette[:, t].unsqueeze(1)).abs().mean(-1) * 4.0
        both = seen.unsqueeze(2) & ok.unsqueeze(1)
        cost = torch.where(both, d_pos + d_col + d_sil, torch.zeros_like(d_pos))
        cost = cost + (seen.unsqueeze(2) ^ ok.unsqueeze(1)).float() * 1.5  # a track starts or pauses
        total = cost[:, torch.arange(K, device=valid.device).unsqueeze(0), perms].sum(-1)  # [V, P]
        best = perms[total.argmin(1)]  # [V, K]
        out[:, t] = best
        took = ok[rows.unsqueeze(1), best]  # [V, K]
        upd = took.unsqueeze(-1)
        last_c = torch.where(upd, centre[:, t][rows.unsqueeze(1), best], last_c)
        last_col = torch.where(upd, colour[:, t][rows.unsqueeze(1), best], last_col)
        last_sil = torch.where(upd, silhouette[:, t][rows.unsqueeze(1), best], last_sil)
        seen = seen | took
    return out


@torch.no_grad()
def object_tracks(
    videos: torch.Tensor, slots: int = 4, crop: int = 8, threshold: float = 40.0, min_area: int = 4, grey_weight: float = 0.3
) -> Tracks:
    """uint8 [V, T, H, W, 3] → `Tracks` with K = `slots` track slots per video (see the module docstring)."""
    valid, centre, size, colour, silhouette = detect_objects(videos, slots, crop, threshold, min_area, grey_weight)
    V, T, K = valid.shape
    perm = _link(valid, centre, colour, silhouette)  # [V, T, K]

    def gather(a: torch.Tensor) -> torch.Tensor:  # [V, T, K, ...] → same, in track order
        idx = perm.view(V, T, K, *([1] * (a.dim() - 3))).expand(V, T, K, *a.shape[3:])
        return a.gather(2, idx)

    vis = gather(valid).float()  # [V, T, K]
    xy = gather(centre)  # [V, T, K, 2]
    # relative position among the objects visible in the same frame: share of the others above / left of this one
    both = vis.unsqueeze(3) * vis.unsqueeze(2)  # [V, T, K, K]
    others = (both.sum(-1) - vis).clamp_min(1.0)  # [V, T, K]
    y_j, y_k = xy[..., 1].unsqueeze(2), xy[..., 1].unsqueeze(3)  # [V, T, 1, K] (the others), [V, T, K, 1]
    x_j, x_k = xy[..., 0].unsqueeze(2), xy[..., 0].unsqueeze(3)
    above = ((y_j < y_k).float() * both).sum(-1) / others  # image y grows downwards
    left = ((x_j < x_k).float() * both).sum(-1) / others
    traj = torch.cat(
        [vis.unsqueeze(-1), xy, gather(size).unsqueeze(-1), above.unsqueeze(-1), left.unsqueeze(-1)], -1
    )  # [V, T, K, 6]
    n = vis.sum(1).clamp_min(1.0).unsqueeze(-1)  # [V, K, 1]
    col = gather(colour).sum(1) / n  # [V, K, 3] mean colour over visible frames
    chroma = col / col.sum(-1, keepdim=True).clamp_min(1e-3)
    sil = gather(silhouette).sum(1) / n
    present = vis.sum(1) > 0
    share = vis.mean(1).unsqueeze(-1)
    mean_size = (gather(size).sum(1) / n.squeeze(-1)).unsqueeze(-1)  # [V, K, 1] √area over visible frames
    appearance = torch.cat([(col - 0.5) * present.unsqueeze(-1), chroma * present.unsqueeze(-1), share, mean_size, sil], -1)
    return Tracks(trajectory=traj.permute(0, 2, 1, 3).contiguous(), appearance=appearance, present=present)


def track_layout(trajectory: torch.Tensor) -> torch.Tensor:
    """float [V, K, T, 6] trajectory → [V, K, 4]: mean x, y, share of the others above and share left of the track,
    over the frames where it is seen (zeros for an empty track). Order-free: where a track is, not when."""
    vis = trajectory[..., :1]  # [V, K, T, 1]
    return (trajectory[..., [1, 2, 4, 5]] * vis).sum(2) / vis.sum(2).clamp_min(1.0)


def track_timing(trajectory: torch.Tensor) -> torch.Tensor:
    """float [V, K, T, 6] trajectory → [V, K, T]: when the track changes. The first T-1 numbers are its activity
    profile over the frame steps (|Δvisible| + |Δx| + |Δy| + |Δsize|, summing to 1; zeros for a track that never
    changes), the last is the profile's centroid on [-1, 1] (−1: everything happens at the first step). "A then B"
    is B's centroid minus A's; frame shuffling scrambles the profile, a single repeated frame zeroes it."""
    change = (trajectory[:, :, 1:, :4] - trajectory[:, :, :-1, :4]).abs().sum(-1)  # [V, K, T-1]
    profile = change / change.sum(-1, keepdim=True).clamp_min(1e-6)
    when = torch.linspace(-1.0, 1.0, change.shape[-1], device=change.device)
    return torch.cat([profile, (profile * when).sum(-1, keepdim=True)], -1)
