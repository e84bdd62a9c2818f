"""The embedded `tiny` alignment model: trains on 2 CPU cores in minutes and can see motion and order.

Design (from WORLD-NOTES' follow-up probe, where a per-frame CNN never learned event order):

* video, encoder "tracks" (default): the parameter-free object tracker of `synvita.models.tracks` (segmentation,
  per-frame components, linking) → per track a trajectory [T, 6] (visible, x, y, √area, share of the others
  above / left of it) and an appearance (colour, chromaticity, extent, scale-free silhouette) → one token per
  (track, feature group), each group with its own projection + LayerNorm (with one shared projection the six
  colour numbers were never read) plus a per-track embedding that binds them, and a learned "nothing here"
  token → `video_layers` transformer layers. `extra_groups` adds derived groups: "timing" (default; the track's
  activity profile over time and its centroid, `tracks.track_timing`: event order became learnable within the
  quickstart budget with it) and "layout" (mean position and relative position, `tracks.track_layout`).
  `track_tokens = "fused"` gives one token per track instead (all groups projected together). Order, direction and
  relative position are explicit inputs; what is learned is which words name which track and how trajectories read.
  (On CPU the conv encoder below never learned relations or, within the quickstart budget, event order;
  docs/temporal.md has the measurements.) The tracker has no parameters, so `video_inputs` (tracks and derived
  groups) is computed once per video and kept by training and scoring (`VideoInputCache`); `encode_inputs` is
  the learned part.
* video, encoder "conv": RGB + frame-difference channels → a small space-time Conv3d stem that halves time early →
  an adaptive pool to `time_tokens` × (2·grid)² cells → 2×2-cell patches projected to d → `time_tokens × grid²`
  video tokens with learned time / row / column embeddings → `video_layers` transformer layers.
  Either way the video is encoded once per batch and shared by all its captions.
* text: a word-level tokenizer over the world's vocabulary, a [CLS] token, learned positions, and an n-gram
  convolution (`text_conv` words wide) so "small red circle" is bound by relative position from the first step.
  A masked token (c′) keeps its position, is only removed from attention (key padding) and feeds nothing into the
  convolution.
* grounding (default, tracks encoder only): each word, from its bare embedding, picks a track by the track's *look*
  (colour, extent, shape; or a learned "nothing" key) and adds that track's *dynamics* (trajectory, timing,
  layout) to its text token; a second n-gram convolution then compares what neighbouring words found ("red circle
  above the blue square", "... moves left then ..."). The same lookup gives each word an evidence score,
  log p(some track) − log p(nothing); with `content_query = "both"` (default) the word in context (the n-gram
  token: "big" of "one big red circle") asks the looks a second time, so colour, size and shape are checked
  together. Learned per-word gates sum both into a content score. Keys are colour, mean size and shape
  (`look_keys = "size"`; "extent" adds the share of frames visible), never time, so that score is the same for a
  clip and its shuffled frames. Without grounding the spatial relation stayed at chance in every configuration
  tried; with it, relation, order and direction are learned within the quickstart budget (docs/temporal.md).
* fusion: `fusion_layers` decoder layers — text self-attention, then text → video cross-attention (each word can
  look up "where is the circle" in the video tokens), then an MLP; [CLS] → MLP → a Yes − No margin.
* readout "and" (default, with grounding): f = σ(content) · (ε + (1 − ε)·σ(margin)), ε = e^−`cls_nats`. What a
  clip shows must match what the caption names, and the [CLS] path (time, relations, counts) can take at most
  `cls_nats` off log f, so a clip whose time is wrong still ranks captions by their content: with the [CLS] margin
  simply added ("sum", the fourth pass) it pushed every caption of a shuffled clip to "No" by amounts that varied
  from clip to clip, and object / attribute AUC fell 10 to 25 points under the controls (docs/temporal.md, fifth
  pass).
"""

from __future__ import annotations

import math
import re
from contextlib import contextmanager
from typing import Any, Iterable, Sequence

import numpy as np
import torch
from torch import nn

from synvita.errors import UserInputError
from synvita.models.base import AlignmentModel, TextBatch, as_video_tensor
from synvita.models.tiny_options import EXTRA_GROUP_SIZES, tiny_config_problems

LOOK_GROUPS = ("colour", "extent", "shape")  # the time-free feature groups of a track
TRACK_STEP_FEATURES = 6  # per frame of a track (synvita.models.tracks.Tracks.trajectory)
PAD, UNK, CLS = "<pad>", "<unk>", "<cls>"
SPECIALS = (PAD, UNK, CLS)
_WORD = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


def _projection(width: int, d: int) -> nn.Sequential:
    """One feature group's own normalised embedding: [..., width] → [..., d]."""
    return nn.Sequential(nn.Linear(width, d), nn.LayerNorm(d))


def tokenize_words(caption: str) -> list[str]:
    """Lower-cased words and single punctuation marks: "One red circle, then..." → ["one", "red", "circle", ",", ...]."""
    return _WORD.findall(caption.lower())


def build_vocab(captions: Iterable[str]) -> list[str]:
    """Special tokens, then every word seen in `captions`, sorted (deterministic)."""
    words = set()
    for c in captions:
        words.update(tokenize_words(c))
    return list(SPECIALS) + sorted(words - set(SPECIALS))


class TinyAlignmentModel(AlignmentModel):
    """Space-time CNN video tokens + word-level text decoder with cross-attention → Yes/No logits."""

    name = "tiny"

    def __init__(
        self,
        vocab: Sequence[str],
        d: int = 64,
        heads: int = 4,
        channels: Sequence[int] = (24, 32, 64),
        time_tokens: int = 4,
        grid: int = 3,
        video_layers: int = 1,
        fusion_layers: int = 3,
        max_len: int = 40,
        frame_diff: bool = True,
        stem: str = "coarse",
        norm: str = "none",
        encoder: str = "tracks",
        frames: int = 8,
        slots: int = 4,
        crop: int = 8,
        text_conv: int = 5,
        track_tokens: str = "parts",
        extra_groups: Sequence[str] = ("timing",),
        grounding: bool = True,
        fusion_sees: str = "all",
        readout: str = "and",
        cls_nats: float = 1.5,
        content_query: str = "both",
        look_keys: str = "size",
        context_gate_init: float = 0.5,
    ) -> None:
        super().__init__()
        self._readout_record: list[tuple[torch.Tensor, torch.Tensor]] | None = None  # see recording_readout
        self._ids_memo: dict[str, list[int]] = {}
        self._keep_memo: dict[tuple[str, str], list[bool]] = {}
        if len(vocab) < len(SPECIALS) or tuple(vocab[: len(SPECIALS)]) != SPECIALS:
            raise UserInputError("tiny model vocab must start with <pad>, <unk>, <cls>", hint="build it with build_vocab(captions)")
        problems = tiny_config_problems(dict(encoder=encoder, track_tokens=track_tokens, stem=stem, norm=norm,
                                             extra_groups=list(extra_groups), text_conv=text_conv,
                                             grounding=grounding, fusion_sees=fusion_sees,
                                             video_layers=video_layers, fusion_layers=fusion_layers,
                                             readout=readout, cls_nats=cls_nats, content_query=content_query,
                                             look_keys=look_keys, context_gate_init=context_gate_init))
        if problems:
            raise UserInputError(problems[0], hint="see experiments/README.md ([model] config)")
        self._config = dict(
            vocab=list(vocab), d=d, heads=heads, channels=list(channels), time_tokens=time_tokens, grid=grid,
            video_layers=video_layers, fusion_layers=fusion_layers, max_len=max_len, frame_diff=frame_diff, stem=stem,
            norm=norm, encoder=encoder, frames=frames, slots=slots, crop=crop, text_conv=text_conv,
            track_tokens=track_tokens, extra_groups=list(extra_groups), grounding=grounding,
            fusion_sees=fusion_sees, readout=readout, cls_nats=cls_nats, content_query=content_query,
            look_keys=look_keys, context_gate_init=context_gate_init,
        )
        self.word_to_id = {w: i for i, w in enumerate(vocab)}
        self.frame_diff = frame_diff
        self.max_len = max_len
        self.encoder = encoder
        self.fusion_sees = fusion_sees
        self.frames, self.slots, self.crop = frames, slots, crop
        if encoder == "tracks":  # ---- one token per object track (trajectory + appearance), a "nothing" token ----
            # each feature group gets its own normalised embedding, so that 6 colour numbers are not drowned by
            # 48 trajectory and 64 silhouette numbers (with one shared projection colour was never learned)
            self.track_parts = nn.ModuleDict({
                "motion": _projection(frames * TRACK_STEP_FEATURES, d),
                "colour": _projection(6, d),
                "extent": _projection(2, d),
                "shape": _projection(crop * crop, d),
            })
            self.track_tokens = track_tokens
            for name in extra_groups:
                self.track_parts[name] = _projection(EXTRA_GROUP_SIZES[name](frames), d)
            if track_tokens == "fused":  # one whole-track token: a word that finds the track by its look reads its motion
                self.track_fuse = _projection(len(self.track_parts) * d, d)
            self.slot_emb = nn.Parameter(torch.randn(1, slots, 1, d) * 0.02)  # binds the tokens of one track
            self.part_emb = nn.Parameter(torch.randn(1, 1, len(self.track_parts), d) * 0.02)
            self.null_token = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        else:  # ---- encoder "conv": space-time stem; time stride 2 in the second conv ----
            c1, c2, c3 = channels
            in_ch = 6 if frame_diff else 3
            s1, s3 = ((1, 2, 2), 1) if stem == "coarse" else (1, (1, 2, 2))

            def block(cin: int, cout: int, stride) -> list[nn.Module]:
                layers: list[nn.Module] = [nn.Conv3d(cin, cout, 3, stride=stride, padding=1)]
                if norm == "group":
                    layers.append(nn.GroupNorm(4, cout))  # batch-independent: train and eval behave alike
                return layers + [nn.ReLU()]

            self.stem = nn.Sequential(*block(in_ch, c1, s1), *block(c1, c2, (2, 2, 2)), *block(c2, c3, s3))
            self.pool = nn.AdaptiveAvgPool3d((time_tokens, 2 * grid, 2 * grid))
            self.patch = nn.Conv3d(c3, d, kernel_size=(1, 2, 2), stride=(1, 2, 2))  # 2×2 cells → one token
            self.time_emb = nn.Parameter(torch.randn(time_tokens, 1, 1, d) * 0.02)
            self.row_emb = nn.Parameter(torch.randn(1, grid, 1, d) * 0.02)
            self.col_emb = nn.Parameter(torch.randn(1, 1, grid, d) * 0.02)
        self.video_encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(d, heads, 2 * d, dropout=0.0, batch_first=True, norm_first=True),
            video_layers, enable_nested_tensor=False,
        ) if video_layers else nn.Identity()  # 0: video tokens are not mixed (looks stay free of motion)
        self.video_norm = nn.LayerNorm(d)
        # ---- text + fusion ----
        self.word_emb = nn.Embedding(len(vocab), d)
        self.pos_emb = nn.Embedding(max_len + 1, d)
        self.text_conv = (  # n-gram stem: "small red circle", "the square above the ring" bound by relative position
            nn.Sequential(nn.Conv1d(d, d, text_conv, padding=text_conv // 2), nn.GELU()) if text_conv else None
        )
        self.fusion = nn.TransformerDecoder(
            nn.TransformerDecoderLayer(d, heads, 2 * d, dropout=0.0, batch_first=True, norm_first=True),
            fusion_layers,
        )
        self.head = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d), nn.GELU(), nn.Linear(d, 2))
        self.grounding = grounding and encoder == "tracks"
        if self.grounding:  # each word finds a track by its look and reads where / when / how that track moves
            self.ground_q = nn.Linear(d, d)  # from the bare word embedding: "red" finds the red track in any clause
            self.ground_k = nn.Linear(d, d)  # from the track's look only (colour, size or extent, shape)
            self.ground_v = nn.Linear(d, d)  # from the track's dynamics only (trajectory, timing, layout)
            self.ground_out = nn.Linear(d, d)
            self.ground_null = nn.Parameter(torch.randn(1, 1, d) * 0.02)  # key of "no track looks like this"
            self.ground_dynamics = nn.ModuleDict({  # one normalised projection each, so layout's 4 numbers count
                "motion": _projection(frames * TRACK_STEP_FEATURES, d),
                "timing": _projection(EXTRA_GROUP_SIZES["timing"](frames), d),
                "layout": _projection(EXTRA_GROUP_SIZES["layout"](frames), d),
            })
            width = max(text_conv, 3)  # compares what neighbouring words found: "red circle above the blue square"
            self.ground_conv = nn.Sequential(nn.Conv1d(d, d, width, padding=width // 2), nn.GELU())
            self.word_gate = nn.Embedding(len(vocab), 1)  # how much finding (or missing) each word's thing counts
            nn.init.constant_(self.word_gate.weight, 0.1)
            self.content_query, self.look_keys, self.readout, self.cls_nats = content_query, look_keys, readout, cls_nats
            if content_query in ("context", "both"):  # the word in context asks too: "big" of "one big red circle"
                self.content_q = nn.Linear(d, d)
                self.content_k = nn.Linear(d, d)
                self.content_null = nn.Parameter(torch.randn(1, 1, d) * 0.02)
                self.context_gate = nn.Embedding(len(vocab), 1)
                nn.init.constant_(self.context_gate.weight, context_gate_init)
            if look_keys == "size":  # keys from colour, mean size and shape; the share of frames visible is time
                self.look_size = _projection(1, d)
            if readout == "and":
                self.content_bias = nn.Parameter(torch.zeros(1))

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "TinyAlignmentModel":
        return cls(**config)

    @classmethod
    def saved_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """Models saved before the timing group, fused tokens and grounding existed were built without them."""
        return {"extra_groups": [], "track_tokens": "parts", "grounding": False, "readout": "sum", "content_query": "word",
                "look_keys": "extent", **config}

    @property
    def config(self) -> dict[str, Any]:
        return dict(self._config)

    @classmethod
    def example_config(cls, captions: Sequence[str], frames: int = 8, size: int = 32, workdir=None) -> dict[str, Any]:
        return dict(vocab=build_vocab(captions), d=16, heads=2, channels=[4, 8, 16], time_tokens=2, grid=2,
                    video_layers=1, fusion_layers=1, frames=frames)

    # ---- video ---------------------------------------------------------------------------------------------

    @property
    def caches_video_inputs(self) -> bool:
        return self.encoder == "tracks"  # the tracker has no parameters; the conv encoder learns from pixels

    @property
    def video_inputs_key(self) -> tuple:
        return ("tiny-tracks", self.frames, self.slots, self.crop) if self.encoder == "tracks" else super().video_inputs_key

    def video_inputs(self, videos: np.ndarray | torch.Tensor) -> dict[str, torch.Tensor]:
        """tracks encoder: uint8 [V, T, H, W, 3] → the object tracks and their derived groups, parameter-free:
        trajectory [V, K, T, 6], appearance [V, K, 8 + crop²], present bool [V, K], layout [V, K, 4], timing
        [V, K, T] (`synvita.models.tracks`)."""
        if self.encoder != "tracks":
            return super().video_inputs(videos)
        from synvita.models.tracks import object_tracks, track_layout, track_timing

        x = as_video_tensor(videos).to(self.device)
        if x.shape[1] != self.frames:
            raise UserInputError(
                f"tiny model (encoder 'tracks') was built for {self.frames} frames, got videos with {x.shape[1]}",
                hint="set model config frames to the world's frames",
            )
        tr = object_tracks(x, slots=self.slots, crop=self.crop)
        return {"trajectory": tr.trajectory, "appearance": tr.appearance, "present": tr.present,
                "layout": track_layout(tr.trajectory), "timing": track_timing(tr.trajectory)}

    def encode_inputs(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        if self.encoder != "tracks":
            return super().encode_inputs(inputs)
        return self._encode_tracks({k: v.to(self.device) for k, v in inputs.items()})

    def encode_videos(self, videos: np.ndarray | torch.Tensor) -> torch.Tensor:
        """uint8 [V, T, H, W, 3] → video features float [V, N, d] (tracks: N = 1 + G·slots tokens, plus 2·slots rows
        of grounding table with grounding on; conv: time_tokens·grid²)."""
        if self.encoder == "tracks":
            return self.encode_inputs(self.video_inputs(videos))
        x = as_video_tensor(videos).to(self.device)
        x = x.permute(0, 4, 1, 2, 3).float() / 255.0 - 0.5  # [V, 3, T, H, W]
        if self.frame_diff:
            diff = torch.zeros_like(x)
            diff[:, :, 1:] = x[:, :, 1:] - x[:, :, :-1]  # frame t minus frame t-1; zero at t = 0
            x = torch.cat([x, diff], dim=1)  # [V, 6, T, H, W]
        h = self.patch(self.pool(self.stem(x)))  # [V, d, Tt, g, g]
        h = h.permute(0, 2, 3, 4, 1) + self.time_emb + self.row_emb + self.col_emb  # [V, Tt, g, g, d]
        tokens = h.flatten(1, 3)  # [V, Tt·g·g, d]
        return self.video_norm(self.video_encoder(tokens))

    def _encode_tracks(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """`video_inputs` of V videos → [V, 1 + G·slots, d]: a learned "nothing here" token, then per track one token
        for each feature group (motion, colour, extent, shape, extra groups); with grounding, then [V, slots, d] looks
        (zero for an empty slot) and [V, slots, d] dynamics, split off again in `forward`."""
        trajectory, appearance = inputs["trajectory"], inputs["appearance"]
        groups = {
            "motion": trajectory.flatten(2),  # [V, K, T·6]
            "colour": appearance[..., :6],  # [V, K, 6] colour, chromaticity
            "extent": appearance[..., 6:8],  # [V, K, 2] share of frames visible, mean size
            "shape": appearance[..., 8:],  # [V, K, crop²]
        }
        derived = {"layout": inputs["layout"], "timing": inputs["timing"]}  # [V, K, 4], [V, K, T]
        groups.update({name: value for name, value in derived.items() if name in self.track_parts})
        parts = {name: self.track_parts[name](value) for name, value in groups.items()}  # name → [V, K, d]
        embedded = torch.stack(list(parts.values()), 2)  # [V, K, G, d]
        if self.track_tokens == "fused":  # one whole-track token: a word that finds the track by its look reads its motion
            embedded = (self.track_fuse(embedded.flatten(2)).unsqueeze(2) + self.slot_emb).flatten(1, 2)  # [V, K, d]
        else:
            embedded = embedded + self.slot_emb + self.part_emb  # [V, K, G, d]
            if self.fusion_sees == "dynamics":  # looks reach the text only through grounding
                embedded = embedded[:, :, [i for i, name in enumerate(parts) if name not in LOOK_GROUPS]]
            embedded = embedded.flatten(1, 2)  # [V, K·G', d]
        tokens = torch.cat([self.null_token.expand(len(trajectory), 1, -1), embedded], 1)  # [V, 1 + K·G, d]
        tokens = self.video_norm(self.video_encoder(tokens))
        if not self.grounding:
            return tokens
        # grounding lookup table, appended after the fusion tokens: per track a look key and a dynamics value
        if self.look_keys == "size":
            look = parts["colour"] + parts["shape"] + self.look_size(groups["extent"][..., 1:])  # [V, K, d]
        else:
            look = sum(parts[name] for name in LOOK_GROUPS)  # [V, K, d]
        look = look.masked_fill(~inputs["present"].unsqueeze(-1), 0.0)
        g = self.ground_dynamics
        dynamics = (g["motion"](trajectory.flatten(2)) + g["timing"](derived["timing"])
                    + g["layout"](derived["layout"]))  # [V, K, d]
        return torch.cat([tokens, look, dynamics], 1)  # [V, N + 2K, d]

    # ---- text ----------------------------------------------------------------------------------------------

    def _ids(self, caption: str) -> list[int]:
        ids = self._ids_memo.get(caption)  # training re-reads the same captions every epoch
        if ids is None:
            unk = self.word_to_id[UNK]
            ids = self._ids_memo[caption] = [self.word_to_id.get(w, unk) for w in tokenize_words(caption)]
        return ids

    def _shared_keep(self, caption: str, other: str) -> list[bool]:
        """The shared-semantic mask of `caption` against `other` (synvita.method.mask), memoised per pair."""
        keep = self._keep_memo.get((caption, other))
        if keep is None:
            from synvita.method.mask import shared_semantic_mask

            keep = self._keep_memo[(caption, other)] = list(shared_semantic_mask(self._ids(caption), self._ids(other), mode="token"))
        return keep

    def prepare_text(self, captions: Sequence[str], shared_with: Sequence[str | None] | None = None) -> TextBatch:
        """[CLS] + word ids, right-padded; c′ rows get the non-shared words masked out of attention."""
        if shared_with is not None and len(shared_with) != len(captions):
            raise UserInputError(f"{len(captions)} captions but {len(shared_with)} shared_with entries", hint="one per caption")
        rows, keeps = [], []
        for i, caption in enumerate(captions):
            ids = self._ids(caption)
            if len(ids) > self.max_len:
                raise UserInputError(
                    f"caption has {len(ids)} words, more than the tiny model's max_len {self.max_len}: {caption[:60]!r}",
                    hint="raise model config max_len",
                )
            other = None if shared_with is None else shared_with[i]
            rows.append(ids)
            keeps.append(None if other is None else self._shared_keep(caption, other))
        length = 1 + max(len(r) for r in rows)
        S = len(rows)
        ids_np = np.zeros((S, length), dtype=np.int64)
        ids_np[:, 0] = self.word_to_id[CLS]
        real = np.zeros((S, length), dtype=bool)
        attend = np.zeros((S, length), dtype=bool)
        for i, (r, k) in enumerate(zip(rows, keeps)):
            ids_np[i, 1 : 1 + len(r)] = r
            real[i, : 1 + len(r)] = True
            attend[i, : 1 + len(r)] = True if k is None else [True] + k
        positions = torch.arange(length).unsqueeze(0).expand(S, length).clone()
        dev = self.device
        return TextBatch(torch.from_numpy(ids_np).to(dev), torch.from_numpy(attend).to(dev), positions.to(dev),
                         torch.from_numpy(real).to(dev))

    # ---- fusion --------------------------------------------------------------------------------------------

    def _ground(self, query: torch.Tensor, look: torch.Tensor, dynamics: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each word picks a track by its look (or the null key) and reads that track's dynamics.

        query [S, L, d] (word embeddings), look / dynamics [S, K, d] (zero look = empty slot) →
        (found [S, L, d], evidence [S, L]). Keys see only appearance and values only trajectories, so "red circle"
        carries the red circle's position and timing into the text, where "above" or "then" compares the two
        objects it names. evidence = log p(some track) − log p(no track): how well the word's thing is found."""
        S = query.shape[0]
        values = torch.cat([dynamics.new_zeros(S, 1, dynamics.shape[-1]), self.ground_v(dynamics)], 1)  # [S, 1 + K, d]
        logits = self._look_logits(self.ground_q(query), self.ground_k(look), self.ground_null, look)  # [S, L, 1 + K]
        return self.ground_out(torch.einsum("slk,skd->sld", logits.softmax(-1), values)), self._evidence(logits)

    @staticmethod
    def _evidence(logits: torch.Tensor) -> torch.Tensor:
        """[S, L, 1 + K] look logits (null key first) → [S, L] log p(some track) − log p(nothing)."""
        return logits[:, :, 1:].logsumexp(-1).clamp_min(-30.0) - logits[:, :, 0]

    @staticmethod
    def _look_logits(query: torch.Tensor, keys: torch.Tensor, null: torch.Tensor, look: torch.Tensor) -> torch.Tensor:
        """query [S, L, d] against the null key and K track keys [S, K, d] → logits [S, L, 1 + K]; empty slots −inf."""
        S = query.shape[0]
        keys = torch.cat([null.expand(S, 1, -1), keys], 1)  # [S, 1 + K, d]
        logits = torch.einsum("sld,skd->slk", query, keys) / keys.shape[-1] ** 0.5
        empty = torch.cat([look.new_zeros(S, 1, dtype=torch.bool), look.abs().sum(-1) == 0], 1)  # [S, 1 + K]
        return logits.masked_fill(empty.unsqueeze(1), float("-inf"))

    def forward(self, video_features: torch.Tensor, video_index: torch.Tensor, text: TextBatch) -> torch.Tensor:
        """Yes/No logits [S, 2]; video tokens [V, N, d] are gathered per sequence, never re-encoded."""
        memory = video_features[video_index.to(video_features.device)]  # [S, N, d]
        keep = text.attention_mask.unsqueeze(-1).float()  # [S, L, 1]
        x = self.word_emb(text.ids) + self.pos_emb(text.positions)  # [S, L, d]
        if self.text_conv is not None:  # masked (c′) and padding tokens contribute nothing to their neighbours
            x = x + self.text_conv((x * keep).transpose(1, 2)).transpose(1, 2)
        evidence = None
        if self.grounding:  # the last 2K video "tokens" are the grounding table (see _encode_tracks)
            K = self.slots
            memory, look, dynamics = memory[:, : -2 * K], memory[:, -2 * K : -K], memory[:, -K:]
            found, evidence = self._ground(self.word_emb(text.ids), look, dynamics)
            if self.content_query in ("context", "both"):  # the n-gram token (before grounding) asks the looks too
                context_evidence = self._evidence(  # [S, L]
                    self._look_logits(self.content_q(x), self.content_k(look), self.content_null, look))
            x = x + found
            x = x + self.ground_conv((x * keep).transpose(1, 2)).transpose(1, 2)
        x = self.fusion(x, memory, tgt_key_padding_mask=~text.attention_mask)  # [S, L, d]
        logits = self.head(x[:, 0])  # [CLS] → [S, 2]
        if evidence is None:
            return logits
        # the time-free content score: every thing the caption names is found (masked c′ words and [CLS] count 0)
        counted = text.attention_mask.float().masked_fill(text.positions == 0, 0.0)  # [S, L]
        score = torch.zeros_like(counted[:, 0])  # [S]
        if self.content_query in ("word", "both"):
            score = score + (self.word_gate(text.ids).squeeze(-1) * counted * evidence).sum(1)
        if self.content_query in ("context", "both"):
            score = score + (self.context_gate(text.ids).squeeze(-1) * counted * context_evidence).sum(1)
        if self.readout == "sum":  # content score added to the [CLS] margin
            return logits + torch.stack([score, -score], -1) / 2
        return self._and_readout(score + self.content_bias, logits[:, 0] - logits[:, 1])

    @contextmanager
    def recording_readout(self):
        """Within the block, every forward of the "and" readout appends the two log factors of f to the yielded
        list: (log σ(content + b) [S], log(ε + (1 − ε)·σ(margin)) [S]), for diagnostics
        (`python -m synvita.training.decompose`)."""
        if not self.grounding or self.readout != "and":
            raise UserInputError("only the tiny model's \"and\" readout has two factors to record",
                                 hint="a model built with readout = \"and\" and grounding on (the defaults)")
        self._readout_record = []
        try:
            yield self._readout_record
        finally:
            self._readout_record = None

    def _and_readout(self, content: torch.Tensor, margin: torch.Tensor) -> torch.Tensor:
        """f = σ(content) · (ε + (1 − ε)·σ(margin)), ε = e^−cls_nats, as Yes/No logits (log f, log(1 − f)) [S, 2].

        content, margin [S]. The [CLS] path (time, relations, counts: everything the looks alone cannot tell) can
        lower log f by at most cls_nats, so a clip whose time is wrong (shuffled, static) still ranks captions by
        what they name, while a wrong look lowers f without bound."""
        log_eps = -self.cls_nats
        log_content = nn.functional.logsigmoid(content)  # [S]
        log_cls = torch.logaddexp(torch.full_like(content, log_eps),
                                  math.log1p(-math.exp(log_eps)) + nn.functional.logsigmoid(margin))  # [S], ≥ log ε
        if self._readout_record is not None:
            self._readout_record.append((log_content.detach(), log_cls.detach()))
        log_f = (log_content + log_cls).clamp_max(-1e-6)  # [S]; f < 1 so that log(1 − f) is finite
        log_not = torch.where(log_f > -math.log(2), torch.log(-torch.expm1(log_f)), torch.log1p(-torch.exp(log_f)))
        return torch.stack([log_f, log_not], -1)
