"""The `tiny` model's video encoders: videos → tokens [V, N, d] that the text attends to.

* `TrackEncoder` (encoder "tracks", the default): the parameter-free object tracker of `synvita.models.tracks`
  (segmentation, per-frame components, linking) gives per track a trajectory [T, 6] (visible, x, y, √area, share of
  the others above / left of it) and an appearance (colour, chromaticity, extent, scale-free silhouette), plus the
  derived groups "timing" (activity over time and its centroid) and "layout" (mean and relative position). Each
  feature group gets its own projection + LayerNorm, so that 6 colour numbers are not drowned by 48 trajectory and
  64 silhouette numbers in one shared projection. A per-track embedding binds a track's tokens, a learned "nothing
  here" token stands for no object, and `video_layers` transformer layers mix them. Order, direction and relative
  position are explicit inputs; what is learned is which words name which track and how trajectories read. The
  tracker has no parameters, so its output (`video_inputs`) is computed once per video and kept by training and
  scoring (`VideoInputCache`).
* `ConvEncoder` (encoder "conv"): RGB + frame-difference channels → a small space-time Conv3d stem that halves time
  early → an adaptive pool to `time_tokens` × (2·grid)² cells → 2×2-cell patches projected to d → time_tokens·grid²
  tokens with learned time / row / column embeddings → `video_layers` transformer layers. On CPU it never learned
  relations or, within the quickstart budget, event order (docs/temporal.md).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from synvita.errors import UserInputError
from synvita.models.tiny.config import EXTRA_GROUP_SIZES, TinyConfig

LOOK_GROUPS = ("colour", "extent", "shape")
"""The feature groups of a track that do not depend on time."""
TRACK_STEP_FEATURES = 6
"""Numbers per frame of a track's trajectory (`synvita.models.tracks.Tracks.trajectory`)."""


def projection(width: int, d: int) -> nn.Sequential:
    """One feature group's own normalised embedding: [..., width] → [..., d]."""
    return nn.Sequential(nn.Linear(width, d), nn.LayerNorm(d))


def token_mixer(config: TinyConfig) -> nn.Module:
    """`video_layers` transformer layers over the video tokens (none: the tokens are not mixed)."""
    d, heads = config.d, config.heads
    if not config.video_layers:
        return nn.Identity()
    return nn.TransformerEncoder(
        nn.TransformerEncoderLayer(d, heads, 2 * d, dropout=0.0, batch_first=True, norm_first=True),
        config.video_layers, enable_nested_tensor=False,
    )


def track_groups(inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`TrackEncoder.video_inputs` of V videos → every feature group of every track, name → [V, K, width]."""
    trajectory, appearance = inputs["trajectory"], inputs["appearance"]
    return {
        "motion": trajectory.flatten(2),  # [V, K, T·6]
        "colour": appearance[..., :6],  # [V, K, 6] colour, chromaticity
        "extent": appearance[..., 6:8],  # [V, K, 2] share of frames visible, mean size
        "shape": appearance[..., 8:],  # [V, K, crop²]
        "layout": inputs["layout"],  # [V, K, 4]
        "timing": inputs["timing"],  # [V, K, T]
    }


class EncodedTracks(NamedTuple):
    tokens: torch.Tensor
    """[V, 1 + G·K, d] (one token per track with track_tokens "fused"): the "nothing here" token, then the tracks'."""
    parts: dict[str, torch.Tensor]
    """Each feature group the encoder reads, projected: name → [V, K, d] (grounding builds its look keys from them)."""
    groups: dict[str, torch.Tensor]
    """Every feature group before projection (`track_groups`)."""


class TrackEncoder(nn.Module):
    """Object tracks → one token per (track, feature group) and a learned "nothing here" token."""

    def __init__(self, config: TinyConfig) -> None:
        super().__init__()
        d, frames = config.d, config.frames
        self.frames, self.slots, self.crop = frames, config.slots, config.crop
        self.parts = nn.ModuleDict({
            "motion": projection(frames * TRACK_STEP_FEATURES, d),
            "colour": projection(6, d),
            "extent": projection(2, d),
            "shape": projection(config.crop * config.crop, d),
        })
        for name in config.extra_groups:
            self.parts[name] = projection(EXTRA_GROUP_SIZES[name](frames), d)
        self.fused = config.track_tokens == "fused"
        if self.fused:  # one whole-track token: a word that finds the track by its look reads its motion
            self.fuse = projection(len(self.parts) * d, d)
        self.only_dynamics = config.fusion_sees == "dynamics"  # looks reach the text only through grounding
        self.slot_emb = nn.Parameter(torch.randn(1, config.slots, 1, d) * 0.02)  # binds the tokens of one track
        self.part_emb = nn.Parameter(torch.randn(1, 1, len(self.parts), d) * 0.02)
        self.null_token = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.layers = token_mixer(config)
        self.norm = nn.LayerNorm(d)

    def video_inputs(self, videos: torch.Tensor) -> dict[str, torch.Tensor]:
        """uint8 [V, T, H, W, 3] → the object tracks and their derived groups, parameter-free: trajectory
        [V, K, T, 6], appearance [V, K, 8 + crop²], present bool [V, K], layout [V, K, 4], timing [V, K, T]."""
        from synvita.models.tracks import object_tracks, track_layout, track_timing

        if videos.shape[1] != self.frames:
            raise UserInputError(
                f"tiny model (encoder 'tracks') was built for {self.frames} frames, got videos with {videos.shape[1]}",
                hint="set model config frames to the world's frames",
            )
        tracks = object_tracks(videos, slots=self.slots, crop=self.crop)
        return {"trajectory": tracks.trajectory, "appearance": tracks.appearance, "present": tracks.present,
                "layout": track_layout(tracks.trajectory), "timing": track_timing(tracks.trajectory)}

    def forward(self, inputs: dict[str, torch.Tensor]) -> EncodedTracks:
        groups = track_groups(inputs)
        parts = {name: self.parts[name](value) for name, value in groups.items() if name in self.parts}
        embedded = torch.stack(list(parts.values()), 2)  # [V, K, G, d]
        if self.fused:
            embedded = (self.fuse(embedded.flatten(2)).unsqueeze(2) + self.slot_emb).flatten(1, 2)  # [V, K, d]
        else:
            embedded = embedded + self.slot_emb + self.part_emb  # [V, K, G, d]
            if self.only_dynamics:
                embedded = embedded[:, :, [i for i, name in enumerate(parts) if name not in LOOK_GROUPS]]
            embedded = embedded.flatten(1, 2)  # [V, K·G', d]
        tokens = torch.cat([self.null_token.expand(len(embedded), 1, -1), embedded], 1)  # [V, 1 + K·G', d]
        return EncodedTracks(self.norm(self.layers(tokens)), parts, groups)


class ConvEncoder(nn.Module):
    """Pixels → time_tokens·grid² space-time tokens."""

    def __init__(self, config: TinyConfig) -> None:
        super().__init__()
        d, grid, time_tokens = config.d, config.grid, config.time_tokens
        c1, c2, c3 = config.channels
        self.frame_diff = config.frame_diff
        in_ch = 6 if config.frame_diff else 3
        s1, s3 = ((1, 2, 2), 1) if config.stem == "coarse" else (1, (1, 2, 2))

        def block(cin: int, cout: int, stride) -> list[nn.Module]:
            layers: list[nn.Module] = [nn.Conv3d(cin, cout, 3, stride=stride, padding=1)]
            if config.norm == "group":
                layers.append(nn.GroupNorm(4, cout))  # batch-independent: train and eval behave alike
            return layers + [nn.ReLU()]

        self.stem = nn.Sequential(*block(in_ch, c1, s1), *block(c1, c2, (2, 2, 2)), *block(c2, c3, s3))
        self.pool = nn.AdaptiveAvgPool3d((time_tokens, 2 * grid, 2 * grid))
        self.patch = nn.Conv3d(c3, d, kernel_size=(1, 2, 2), stride=(1, 2, 2))  # 2×2 cells → one token
        self.time_emb = nn.Parameter(torch.randn(time_tokens, 1, 1, d) * 0.02)
        self.row_emb = nn.Parameter(torch.randn(1, grid, 1, d) * 0.02)
        self.col_emb = nn.Parameter(torch.randn(1, 1, grid, d) * 0.02)
        self.layers = token_mixer(config)
        self.norm = nn.LayerNorm(d)

    def forward(self, videos: torch.Tensor) -> torch.Tensor:
        """uint8 [V, T, H, W, 3] → tokens [V, time_tokens·grid², d]."""
        x = videos.permute(0, 4, 1, 2, 3).float() / 255.0 - 0.5  # [V, 3, T, H, W]
        if self.frame_diff:
            diff = torch.zeros_like(x)
            diff[:, :, 1:] = x[:, :, 1:] - x[:, :, :-1]  # frame t minus frame t-1; zero at t = 0
            x = torch.cat([x, diff], dim=1)  # [V, 6, T, H, W]
        h = self.patch(self.pool(self.stem(x)))  # [V, d, Tt, g, g]
        h = h.permute(0, 2, 3, 4, 1) + self.time_emb + self.row_emb + self.col_emb  # [V, Tt, g, g, d]
        return self.norm(self.layers(h.flatten(1, 3)))  # [V, Tt·g·g, d]
