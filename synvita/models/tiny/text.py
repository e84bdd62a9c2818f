"""The `tiny` model's text side: a word-level tokenizer over the world's vocabulary and the text embedding.

A caption becomes [CLS] + one id per word, with learned positions and an n-gram convolution (`text_conv` words wide)
so that "small red circle" is bound by relative position from the first step. A masked token (the c′ copy's
non-shared words) keeps its position, is only removed from attention (key padding) and feeds nothing into the
convolution.

The embedding reads the text alone, so a batch computes it once per distinct row (`distinct_rows`): a SynViTA step
scores each caption on its real and on its synthetic video (and each c′ copy on both), so about half its rows repeat.
A masked word's id is read as padding there, so the c′ copies of tʳ and tˢ are one row when their differing words
are equally long; scored on the same video, they are then one sequence (`synvita.models.tiny.model.distinct_sequences`).
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

import numpy as np
import torch
from torch import nn

from synvita.errors import UserInputError
from synvita.models.base import TextBatch

PAD, UNK, CLS = "<pad>", "<unk>", "<cls>"
SPECIALS = (PAD, UNK, CLS)
_WORD = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


def tokenize_words(caption: str) -> list[str]:
    """Lower-cased words and single punctuation marks: "One red circle, then..." → ["one", "red", "circle", ",", ...]."""
    return _WORD.findall(caption.lower())


def build_vocab(captions: Iterable[str]) -> list[str]:
    """Special tokens, then every word seen in `captions`, sorted (deterministic)."""
    words = set()
    for c in captions:
        words.update(tokenize_words(c))
    return list(SPECIALS) + sorted(words - set(SPECIALS))


class WordTokenizer:
    """Captions → `TextBatch` rows of [CLS] + word ids; parameter-free, memoised per caption (training re-reads the
    same captions every epoch)."""

    def __init__(self, vocab: Sequence[str], max_len: int) -> None:
        if len(vocab) < len(SPECIALS) or tuple(vocab[: len(SPECIALS)]) != SPECIALS:
            raise UserInputError("tiny model vocab must start with <pad>, <unk>, <cls>", hint="build it with build_vocab(captions)")
        self.word_to_id = {w: i for i, w in enumerate(vocab)}
        self.max_len = max_len
        self._ids_memo: dict[str, list[int]] = {}
        self._keep_memo: dict[tuple[str, str], list[bool]] = {}

    def ids(self, caption: str) -> list[int]:
        ids = self._ids_memo.get(caption)
        if ids is None:
            unk = self.word_to_id[UNK]
            ids = self._ids_memo[caption] = [self.word_to_id.get(w, unk) for w in tokenize_words(caption)]
        return ids

    def shared_keep(self, caption: str, other: str) -> list[bool]:
        """The shared-semantic mask of `caption` against `other` (synvita.method.mask), memoised per pair."""
        keep = self._keep_memo.get((caption, other))
        if keep is None:
            from synvita.method.mask import shared_semantic_mask

            keep = self._keep_memo[(caption, other)] = list(
                shared_semantic_mask(self.ids(caption), self.ids(other), mode="token"))
        return keep

    def batch(self, captions: Sequence[str], shared_with: Sequence[str | None] | None, device: torch.device) -> TextBatch:
        """[CLS] + word ids, right-padded; c′ rows get the non-shared words masked out of attention."""
        if shared_with is not None and len(shared_with) != len(captions):
            raise UserInputError(f"{len(captions)} captions but {len(shared_with)} shared_with entries", hint="one per caption")
        rows, keeps = [], []
        for i, caption in enumerate(captions):
            ids = self.ids(caption)
            if len(ids) > self.max_len:
                raise UserInputError(
                    f"caption has {len(ids)} words, more than the tiny model's max_len {self.max_len}: {caption[:60]!r}",
                    hint="raise model config max_len",
                )
            other = None if shared_with is None else shared_with[i]
            rows.append(ids)
            keeps.append(None if other is None else self.shared_keep(caption, other))
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
        return TextBatch(torch.from_numpy(ids_np).to(device), torch.from_numpy(attend).to(device), positions.to(device),
                         torch.from_numpy(real).to(device))


def distinct_rows(text: TextBatch) -> tuple[TextBatch, torch.Tensor]:
    """The distinct rows of `text` as the model reads them (`extra` is not carried) and, per row of `text`, the
    index of its row among them (int64 [S]).

    A token no one attends to (padding, a masked c′ word) feeds nothing into the model's output, so its id is read as
    padding: the c′ copies of tʳ and tˢ are one row when their differing words are equally long ("playing ▇ in the
    living room" from "ball" and from "chess"). `distinct.select(rows)` is `text` with those ids set to padding."""
    L = text.ids.shape[1]
    ids = text.ids.masked_fill(~text.attention_mask, 0)  # <pad> is id 0 (SPECIALS)
    key = torch.cat([ids, text.attention_mask.long(), text.positions, text.padding_mask.long()], 1)  # [S, 4L]
    unique, rows = torch.unique(key, dim=0, return_inverse=True)
    ids, attend, positions, real = unique.split(L, 1)
    return TextBatch(ids.contiguous(), attend.bool(), positions.contiguous(), real.bool()), rows


class TextEmbedding(nn.Module):
    """Word + position embeddings, then the n-gram convolution: `TextBatch` → tokens [S, L, d]."""

    def __init__(self, vocab_size: int, max_len: int, d: int, width: int) -> None:
        super().__init__()
        self.word_emb = nn.Embedding(vocab_size, d)
        self.pos_emb = nn.Embedding(max_len + 1, d)
        self.conv = nn.Sequential(nn.Conv1d(d, d, width, padding=width // 2), nn.GELU()) if width else None

    def forward(self, text: TextBatch) -> torch.Tensor:
        x = self.word_emb(text.ids) + self.pos_emb(text.positions)  # [S, L, d]
        if self.conv is not None:  # masked (c′) and padding tokens contribute nothing to their neighbours
            keep = text.attention_mask.unsqueeze(-1).float()  # [S, L, 1]
            x = x + self.conv((x * keep).transpose(1, 2)).transpose(1, 2)
        return x
