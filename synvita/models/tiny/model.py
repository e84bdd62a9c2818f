"""`TinyAlignmentModel`: the parts of the `tiny` model put together, and its persistence.

video (`encoders`) → tokens; text (`text`) → tokens; with grounding (`grounding`) each word reads the track it names
and the caption gets a time-free content score; fusion: `fusion_layers` decoder layers (text self-attention, then
text → video cross-attention, then an MLP); [CLS] → MLP → a Yes − No margin; the "and" readout (`readout`)
combines margin and content score. The video is encoded once per batch and shared by all its captions, what
reads a caption alone (its embedding, its words' grounding queries) is computed once per distinct caption row and
shared by the videos it is scored on, and two sequences that read the same video and the same row are scored once.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from synvita.errors import UserInputError
from synvita.models.base import AlignmentModel, TextBatch, as_video_tensor
from synvita.models.tiny.config import TinyConfig
from synvita.models.tiny.encoders import ConvEncoder, TrackEncoder
from synvita.models.tiny.fusion import fuse
from synvita.models.tiny.grounding import Grounding
from synvita.models.tiny.readout import AndReadout
from synvita.models.tiny.text import TextEmbedding, WordTokenizer, build_vocab, distinct_rows

LEGACY_NAMES = {
    "track_parts": "video.parts", "track_fuse": "video.fuse", "slot_emb": "video.slot_emb",
    "part_emb": "video.part_emb", "null_token": "video.null_token", "stem": "video.stem", "patch": "video.patch",
    "time_emb": "video.time_emb", "row_emb": "video.row_emb", "col_emb": "video.col_emb",
    "video_encoder": "video.layers", "video_norm": "video.norm",
    "word_emb": "text.word_emb", "pos_emb": "text.pos_emb", "text_conv": "text.conv",
    "ground_q": "grounding.query", "ground_k": "grounding.key", "ground_v": "grounding.value",
    "ground_out": "grounding.out", "ground_null": "grounding.null_key", "ground_dynamics": "grounding.dynamics",
    "ground_conv": "grounding.conv", "word_gate": "grounding.word_gate", "content_q": "grounding.context_query",
    "content_k": "grounding.context_key", "content_null": "grounding.context_null_key",
    "context_gate": "grounding.context_gate", "look_size": "grounding.look_size", "content_bias": "readout.content_bias",
}
"""Weights saved when the model was one module (top-level name → where it lives now); `load_state_dict` reads both."""


def upgrade_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state dict in the one-module layout (`LEGACY_NAMES`) → the current names; a current one is returned as is."""
    out = {}
    for key, value in state.items():
        head, dot, rest = key.partition(".")
        out[LEGACY_NAMES[head] + dot + rest if head in LEGACY_NAMES else key] = value
    return out


def distinct_sequences(video_index: torch.Tensor, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sequences that read the same video and the same distinct text row (`distinct_rows`) score the same: the
    first sequence of each such group, in batch order (int64 [Q]), and per sequence the index of its group (int64
    [S]): `scores[first][groups]` are the scores of every sequence."""
    S = len(rows)
    if S == 0:
        return rows, rows
    key = video_index.to(rows.device) * (int(rows.max()) + 1) + rows
    _, group = torch.unique(key, return_inverse=True)
    Q = int(group.max()) + 1
    first = torch.full((Q,), S, dtype=torch.long, device=rows.device).scatter_reduce(
        0, group, torch.arange(S, device=rows.device), "amin")
    order = first.argsort()  # the groups in the order of their first sequence
    rank = torch.empty_like(order)
    rank[order] = torch.arange(Q, device=rows.device)
    return first[order], rank[group]


class TinyAlignmentModel(AlignmentModel):
    """Object-track (or space-time CNN) video tokens + word-level text decoder with cross-attention → Yes/No logits."""

    name = "tiny"

    def __init__(self, config: TinyConfig) -> None:
        super().__init__()
        problems = config.problems()
        if problems:
            raise UserInputError(problems[0], hint="see experiments/README.md ([model] config)")
        self.tiny_config = config
        self.tokenizer = WordTokenizer(config.vocab, config.max_len)
        d, vocab_size = config.d, len(config.vocab)
        self.video = TrackEncoder(config) if config.encoder == "tracks" else ConvEncoder(config)
        self.text = TextEmbedding(vocab_size, config.max_len, d, config.text_conv)
        self.fusion = nn.TransformerDecoder(
            nn.TransformerDecoderLayer(d, config.heads, 2 * d, dropout=0.0, batch_first=True, norm_first=True),
            config.fusion_layers,
        )
        self.head = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d), nn.GELU(), nn.Linear(d, 2))
        grounded = config.grounding and config.encoder == "tracks"
        self.grounding = Grounding(config, vocab_size) if grounded else None
        self.readout = AndReadout(config.cls_nats) if grounded and config.readout == "and" else None
        """None: without grounding f comes from the [CLS] margin alone; with readout "sum" the content score is
        added to it."""

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "TinyAlignmentModel":
        return cls(TinyConfig.from_dict(config))

    @classmethod
    def saved_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """Models saved before the timing group, fused tokens and grounding existed were built without them."""
        return {"extra_groups": [], "track_tokens": "parts", "grounding": False, "readout": "sum", "content_query": "word",
                "look_keys": "extent", **config}

    @property
    def config(self) -> dict[str, Any]:
        return self.tiny_config.to_dict()

    @classmethod
    def example_config(cls, captions: Sequence[str], frames: int = 8, size: int = 32, workdir=None) -> dict[str, Any]:
        return dict(vocab=build_vocab(captions), d=16, heads=2, channels=[4, 8, 16], time_tokens=2, grid=2,
                    video_layers=1, fusion_layers=1, frames=frames)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False):
        return super().load_state_dict(upgrade_state_dict(state_dict), strict=strict, assign=assign)

    # ---- video ---------------------------------------------------------------------------------------------

    @property
    def caches_video_inputs(self) -> bool:
        return isinstance(self.video, TrackEncoder)  # the tracker has no parameters; the conv encoder learns from pixels

    @property
    def video_inputs_key(self) -> tuple:
        if isinstance(self.video, TrackEncoder):
            from synvita.models.tracks import TRACKER_VERSION

            return ("tiny-tracks", TRACKER_VERSION, self.video.frames, self.video.slots, self.video.crop)
        return super().video_inputs_key

    def video_inputs(self, videos: np.ndarray | torch.Tensor) -> dict[str, torch.Tensor]:
        """tracks encoder: uint8 [V, T, H, W, 3] → the parameter-free object tracks (`TrackEncoder.video_inputs`)."""
        if not isinstance(self.video, TrackEncoder):
            return super().video_inputs(videos)
        return self.video.video_inputs(as_video_tensor(videos).to(self.device))

    def encode_inputs(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """tracks encoder: `video_inputs` of V videos → [V, N, d]: the video tokens, then with grounding each track's
        look [V, K, d] and dynamics [V, K, d] (split off again in `forward`)."""
        if not isinstance(self.video, TrackEncoder):
            return super().encode_inputs(inputs)
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        encoded = self.video(inputs)
        if self.grounding is None:
            return encoded.tokens
        look, dynamics = self.grounding.table(encoded.parts, encoded.groups, inputs["present"])
        return torch.cat([encoded.tokens, look, dynamics], 1)  # [V, N + 2K, d]

    def encode_videos(self, videos: np.ndarray | torch.Tensor) -> torch.Tensor:
        """uint8 [V, T, H, W, 3] → video features float [V, N, d] (tracks: N = 1 + G·slots tokens, plus 2·slots rows
        of grounding table with grounding on; conv: time_tokens·grid²)."""
        if isinstance(self.video, TrackEncoder):
            return self.encode_inputs(self.video_inputs(videos))
        return self.video(as_video_tensor(videos).to(self.device))

    # ---- text ----------------------------------------------------------------------------------------------

    def prepare_text(self, captions: Sequence[str], shared_with: Sequence[str | None] | None = None) -> TextBatch:
        """[CLS] + word ids, right-padded; c′ rows get the non-shared words masked out of attention."""
        return self.tokenizer.batch(captions, shared_with, self.device)

    # ---- fusion --------------------------------------------------------------------------------------------

    def forward(self, video_features: torch.Tensor, video_index: torch.Tensor, text: TextBatch) -> torch.Tensor:
        """Yes/No logits [S, 2]; video tokens [V, N, d] are read per sequence, never re-encoded."""
        video_index = video_index.to(video_features.device)
        distinct, rows = distinct_rows(text)  # a caption scored on several videos is embedded once
        first, sequence_of = distinct_sequences(video_index, rows)
        if len(first) == len(rows):
            return self._score(video_features, video_index, distinct, rows, text)
        # a sequence that reads a video and a text row another one reads (the c′ copies of tʳ and tˢ, when their
        # differing words are equally long, on Vʳ and on Vˢ) is scored once
        return self._score(video_features, video_index[first], distinct, rows[first], text.select(first))[sequence_of]

    def _score(self, video_features: torch.Tensor, video_index: torch.Tensor, distinct: TextBatch, rows: torch.Tensor,
               text: TextBatch) -> torch.Tensor:
        """Logits [S, 2] of the sequences `text` (rows of `distinct` named by `rows`) on videos `video_index`."""
        memory = video_features  # [V, N, d]; the fusion projects each video's tokens once (synvita.models.tiny.fusion)
        x = self.text(distinct)  # [U, L, d]
        content = None
        if self.grounding is None:
            x = x[rows]  # [S, L, d]
        else:  # the last 2K video "tokens" are the grounding table (see encode_inputs)
            K = self.tiny_config.slots
            memory, table = video_features[:, : -2 * K], video_features[video_index, -2 * K :]
            look, dynamics = table[:, :K], table[:, K:]  # [S, K, d] each
            x, content = self.grounding(self.text.word_emb(distinct.ids), x, text, rows, look, dynamics)
        logits = self.head(fuse(self.fusion, x, memory, video_index, text.attention_mask))  # [CLS] → [S, 2]
        if content is None:
            return logits
        if self.readout is None:  # readout "sum": the content score added to the [CLS] margin
            return logits + torch.stack([content, -content], -1) / 2
        return self.readout(content, logits).logits
