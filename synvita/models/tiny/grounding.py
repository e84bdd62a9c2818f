"""Grounding: each word finds a track by its look and reads that track's motion; the time-free content score.

Each word, from its bare embedding, picks a track by the track's *look* (colour, mean size, shape; or a learned
"nothing" key) and adds that track's *dynamics* (trajectory, timing, layout) to its text token; a second n-gram
convolution then compares what neighbouring words found ("red circle above the blue square", "... moves left then
..."). The same lookup gives each word an evidence score, log p(some track) − log p(nothing). With content_query
"both" the word in context (the n-gram token: "big" of "one big red circle") asks the looks a second time, so colour,
size and shape are checked together. Learned per-word gates sum the evidence into a content score. Keys never see
time, so that score is the same for a clip and its shuffled frames. Without grounding the spatial relation stayed at
chance in every configuration tried; with it, relation, order and direction are learned within the quickstart
budget (docs/temporal.md).
"""

from __future__ import annotations

import torch
from torch import nn

from synvita.models.base import TextBatch
from synvita.models.tiny.config import EXTRA_GROUP_SIZES, TinyConfig
from synvita.models.tiny.encoders import LOOK_GROUPS, TRACK_STEP_FEATURES, projection


def evidence(logits: torch.Tensor) -> torch.Tensor:
    """[S, L, 1 + K] look logits (null key first) → [S, L] log p(some track) − log p(nothing)."""
    return logits[:, :, 1:].logsumexp(-1).clamp_min(-30.0) - logits[:, :, 0]


def look_logits(query: torch.Tensor, keys: torch.Tensor, null: torch.Tensor, look: torch.Tensor) -> torch.Tensor:
    """query [S, L, d] against the null key and K track keys [S, K, d] → logits [S, L, 1 + K]; empty slots −inf."""
    S = query.shape[0]
    keys = torch.cat([null.expand(S, 1, -1), keys], 1)  # [S, 1 + K, d]
    logits = torch.einsum("sld,skd->slk", query, keys) / keys.shape[-1] ** 0.5
    empty = torch.cat([look.new_zeros(S, 1, dtype=torch.bool), look.abs().sum(-1) == 0], 1)  # [S, 1 + K]
    return logits.masked_fill(empty.unsqueeze(1), float("-inf"))


class Grounding(nn.Module):
    """Words ↔ object tracks: the lookup table of a video (`table`), and per caption what its words found and how
    well (`forward`)."""

    def __init__(self, config: TinyConfig, vocab_size: int) -> None:
        super().__init__()
        d, frames = config.d, config.frames
        self.query = nn.Linear(d, d)  # from the bare word embedding: "red" finds the red track in any clause
        self.key = nn.Linear(d, d)  # from the track's look only (colour, size or extent, shape)
        self.value = nn.Linear(d, d)  # from the track's dynamics only (trajectory, timing, layout)
        self.out = nn.Linear(d, d)
        self.null_key = nn.Parameter(torch.randn(1, 1, d) * 0.02)  # "no track looks like this"
        self.dynamics = nn.ModuleDict({  # one normalised projection each, so layout's 4 numbers count
            "motion": projection(frames * TRACK_STEP_FEATURES, d),
            "timing": projection(EXTRA_GROUP_SIZES["timing"](frames), d),
            "layout": projection(EXTRA_GROUP_SIZES["layout"](frames), d),
        })
        width = max(config.text_conv, 3)  # compares what neighbouring words found: "red circle above the blue square"
        self.conv = nn.Sequential(nn.Conv1d(d, d, width, padding=width // 2), nn.GELU())
        self.word_gate = nn.Embedding(vocab_size, 1)  # how much finding (or missing) each word's thing counts
        nn.init.constant_(self.word_gate.weight, 0.1)
        self.word_asks = config.content_query in ("word", "both")
        self.context_asks = config.content_query in ("context", "both")
        if self.context_asks:  # the word in context asks too: "big" of "one big red circle"
            self.context_query = nn.Linear(d, d)
            self.context_key = nn.Linear(d, d)
            self.context_null_key = nn.Parameter(torch.randn(1, 1, d) * 0.02)
            self.context_gate = nn.Embedding(vocab_size, 1)
            nn.init.constant_(self.context_gate.weight, config.context_gate_init)
        self.size_keys = config.look_keys == "size"
        if self.size_keys:  # keys from colour, mean size and shape; the share of frames visible is time
            self.look_size = projection(1, d)

    def table(self, parts: dict[str, torch.Tensor], groups: dict[str, torch.Tensor],
              present: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The tracks of V videos (`EncodedTracks.parts` / `.groups`, present bool [V, K]) → per track a look
        [V, K, d] (zero for an empty slot) and its dynamics [V, K, d]."""
        if self.size_keys:
            look = parts["colour"] + parts["shape"] + self.look_size(groups["extent"][..., 1:])  # [V, K, d]
        else:
            look = sum(parts[name] for name in LOOK_GROUPS)  # [V, K, d]
        look = look.masked_fill(~present.unsqueeze(-1), 0.0)
        g = self.dynamics
        dynamics = g["motion"](groups["motion"]) + g["timing"](groups["timing"]) + g["layout"](groups["layout"])
        return look, dynamics

    def find(self, words: torch.Tensor, look: torch.Tensor, dynamics: torch.Tensor,
             rows: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Each word picks a track by its look (or the null key) and reads that track's dynamics.

        words [S, L, d] (bare word embeddings; or [U, L, d], one per distinct caption, with `rows` int64 [S] naming
        each sequence's), look / dynamics [S, K, d] (zero look = empty slot) → (found [S, L, d], evidence [S, L]).
        Keys see only appearance and values only trajectories, so "red circle" carries the red circle's position and
        timing into the text, where "above" or "then" compares the two objects it names."""
        S = look.shape[0]
        values = torch.cat([dynamics.new_zeros(S, 1, dynamics.shape[-1]), self.value(dynamics)], 1)  # [S, 1 + K, d]
        query = self.query(words) if rows is None else self.query(words)[rows]  # a query reads the word alone
        logits = look_logits(query, self.key(look), self.null_key, look)  # [S, L, 1 + K]
        return self.out(torch.einsum("slk,skd->sld", logits.softmax(-1), values)), evidence(logits)

    def forward(self, words: torch.Tensor, x: torch.Tensor, text: TextBatch, rows: torch.Tensor, look: torch.Tensor,
                dynamics: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Bare word embeddings and text tokens [U, L, d] of the distinct text rows, `rows` int64 [S] naming each
        sequence's (`synvita.models.tiny.text.distinct_rows`), the sequences' `text` and the tables of each one's
        video [S, K, d] → (x with what each word found, compared across neighbours [S, L, d]; content score [S]:
        every thing the caption names is found, summed over words by their gates; masked c′ words and [CLS] count 0).
        What reads the text alone (the word and in-context queries) is computed once per distinct row."""
        keep = text.attention_mask.unsqueeze(-1).float()  # [S, L, 1]
        found, word_evidence = self.find(words, look, dynamics, rows)
        if self.context_asks:  # the n-gram token (before grounding) asks the looks too
            context_evidence = evidence(look_logits(self.context_query(x)[rows], self.context_key(look),
                                                    self.context_null_key, look))  # [S, L]
        x = x[rows] + found
        x = x + self.conv((x * keep).transpose(1, 2)).transpose(1, 2)
        counted = text.attention_mask.float().masked_fill(text.positions == 0, 0.0)  # [S, L]
        score = torch.zeros_like(counted[:, 0])  # [S]
        if self.word_asks:
            score = score + (self.word_gate(text.ids).squeeze(-1) * counted * word_evidence).sum(1)
        if self.context_asks:
            score = score + (self.context_gate(text.ids).squeeze(-1) * counted * context_evidence).sum(1)
        return x, score
