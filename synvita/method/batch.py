"""Batch construction: real rows + their synthetic partner → the flat list of (video, caption) sequences.

METHOD.md §3: every real row (V^r, c, label) whose synthetic partner V^s exists becomes four sequences, in this
order: [(V^r, c), (V^r, c′), (V^s, c), (V^s, c′)], c being the real row's caption and c′ its shared-semantic
copy (the tokens that differ from the other caption masked out of attention). Labels: (V^r, c) = real label,
(V^s, c) = 1 − real label; copies carry the label of their original for reference but never enter the CE.
A copy at position k always has its original at k − 1. Rows without a partner emit only (V^r, c).

Both real labels occur: a label-1 row (c = t^r) pairs with (V^s, t^r → No), a label-0 row (c = t^s) with
(V^s, t^s → Yes); `rows_from_pairs` turns each `PairSet` pair into those two rows.

Everything is index arrays (torch tensors) so a model encodes each distinct video once (`unique_videos`) and
reuses the encoding for c and c′; only captions are strings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from collections.abc import Sequence

import numpy as np
import torch

from synvita.errors import UserInputError


@dataclass
class RealRows:
    """Real training rows, each optionally attached to one synthetic video (numpy, length R)."""

    real_video: np.ndarray
    """int64 [R]: V^r index into the real bank."""
    real_label: np.ndarray
    """int64 [R]: 1 = c entails V^r (c = t^r), 0 = c is the contrast caption t^s."""
    caption: list[str]
    """[R] c, the real row's caption."""
    other_caption: list[str]
    """[R] the other caption of the pair (t^s for label 1, t^r for label 0); '' when there is none."""
    syn_video: np.ndarray
    """int64 [R]: V^s index into the synthetic bank, -1 where the row has no synthetic partner."""
    omega: np.ndarray
    """float32 [R]: ω of the synthetic partner; NaN = missing (→ 1.0 before clamping)."""

    def __len__(self) -> int:
        return len(self.real_video)

    def take(self, index: Sequence[int] | np.ndarray) -> RealRows:
        """The rows at `index`, in that order (for shuffled mini-batches)."""
        idx = np.asarray(index, dtype=np.int64)
        return RealRows(
            real_video=self.real_video[idx],
            real_label=self.real_label[idx],
            caption=[self.caption[i] for i in idx],
            other_caption=[self.other_caption[i] for i in idx],
            syn_video=self.syn_video[idx],
            omega=self.omega[idx],
        )


def rows_from_pairs(pairs, index: Sequence[int] | np.ndarray | None = None) -> RealRows:
    """Two real rows per `PairSet` pair: (V^r, t^r, label 1) then (V^r, t^s, label 0), same V^s and ω.

    `index` selects pairs (default: all). A PairSet without `syn_video` gives rows without partners; one
    without `weight` gives ω = NaN (→ 1.0).
    """
    idx = np.arange(len(pairs)) if index is None else np.asarray(index, dtype=np.int64)
    n = len(idx)
    syn = np.full(n, -1, np.int64) if pairs.syn_video is None else np.asarray(pairs.syn_video, np.int64)[idx]
    omega = np.full(n, np.nan, np.float32) if pairs.weight is None else np.asarray(pairs.weight, np.float32)[idx]
    pos = [pairs.caption_pos[i] for i in idx]
    neg = [pairs.caption_neg[i] for i in idx]
    video = np.asarray(pairs.video, np.int64)[idx]
    # interleave: row 2i = (t^r, label 1), row 2i+1 = (t^s, label 0)
    return RealRows(
        real_video=np.repeat(video, 2),
        real_label=np.tile(np.array([1, 0], np.int64), n),
        caption=[c for p, q in zip(pos, neg) for c in (p, q)],
        other_caption=[c for p, q in zip(pos, neg) for c in (q, p)],
        syn_video=np.repeat(syn, 2),
        omega=np.repeat(omega, 2),
    )


def clamp_weight(omega: float | None) -> float:
    """ω as the trainer uses it: missing (None/NaN) → 1.0, *then* clamped at 0."""
    value = 1.0 if omega is None else float(omega)
    if math.isnan(value):
        value = 1.0
    return max(0.0, value)


@dataclass
class SequenceBatch:
    """A flat list of S (video, caption) sequences plus the P hinge pairs (tensors, CPU)."""

    video_index: torch.Tensor
    """int64 [S]: index into the real bank, or into the synthetic bank where `is_synthetic`."""
    is_synthetic: torch.Tensor
    """bool [S]: the sequence's video is V^s."""
    captions: list[str]
    """[S] caption text (a copy carries its original's text; the mask hides tokens)."""
    shared_with: list[str | None]
    """[S] for a copy c′ the other caption its mask is computed against; None for originals."""
    label: torch.Tensor
    """int64 [S]: 1 = Yes, 0 = No (copies: the original's label; never used for CE)."""
    is_copy: torch.Tensor
    """bool [S]: shared-semantic copy c′ (excluded from the CE; its original is at k − 1)."""
    weight: torch.Tensor
    """float32 [S]: 1 for real sequences, clamped ω for synthetic ones (copies included)."""
    item_index: torch.Tensor
    """int64 [S]: which real row produced the sequence."""
    real_orig: torch.Tensor
    """int64 [P]: position of (V^r, c) of pair i."""
    real_copy: torch.Tensor
    """int64 [P]: position of (V^r, c′)."""
    syn_orig: torch.Tensor
    """int64 [P]: position of (V^s, c)."""
    syn_copy: torch.Tensor
    """int64 [P]: position of (V^s, c′)."""
    pair_real_label: torch.Tensor
    """int64 [P]: the real row's label (decides the hinge directions)."""
    pair_weight: torch.Tensor
    """float32 [P]: ω of the pair's synthetic copy."""
    n_items: int = 0
    """Number of real rows the batch was built from."""
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.captions)

    @property
    def n_pairs(self) -> int:
        return int(self.real_orig.numel())

    @property
    def ce_index(self) -> torch.Tensor:
        """int64 [S − copies]: positions of the sequences that enter the cross-entropy."""
        return torch.nonzero(~self.is_copy, as_tuple=False).flatten()

    def unique_videos(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode-once helper: (real_ids [Ur], syn_ids [Us], slot [S]).

        Encode `real_ids` then `syn_ids`, concatenate the encodings ([Ur + Us, ...]) and gather with `slot`
        to get one encoding per sequence; each distinct video is encoded once.
        """
        real_mask = ~self.is_synthetic
        real_ids, real_inv = torch.unique(self.video_index[real_mask], sorted=True, return_inverse=True)
        syn_ids, syn_inv = torch.unique(self.video_index[self.is_synthetic], sorted=True, return_inverse=True)
        slot = torch.empty_like(self.video_index)
        slot[real_mask] = real_inv
        slot[self.is_synthetic] = syn_inv + real_ids.numel()
        return real_ids, syn_ids, slot


def build_sequence_batch(rows: RealRows, *, include_synthetic: bool = True, include_copies: bool = True) -> SequenceBatch:
    """Flatten real rows into sequences (METHOD.md §3).

    Per row with a partner (syn_video ≥ 0) and both flags on: [(V^r,c), (V^r,c′), (V^s,c), (V^s,c′)].
    `include_copies=False` (variants without the consistency term) gives [(V^r,c), (V^s,c)] and no pairs;
    `include_synthetic=False` (real only) gives [(V^r,c)] (and no copies either: SCR needs V^s).
    Rows without a partner always give [(V^r,c)].
    """
    n = len(rows)
    if not (len(rows.real_label) == len(rows.caption) == len(rows.other_caption) == len(rows.syn_video) == len(rows.omega) == n):
        raise UserInputError("RealRows fields have different lengths", hint="build rows with rows_from_pairs or take()")
    video: list[int] = []
    synthetic: list[bool] = []
    captions: list[str] = []
    shared: list[str | None] = []
    label: list[int] = []
    copy: list[bool] = []
    weight: list[float] = []
    item: list[int] = []
    real_orig: list[int] = []
    syn_orig: list[int] = []
    pair_label: list[int] = []
    pair_weight: list[float] = []

    def emit(v: int, syn: bool, cap: str, other: str | None, lab: int, is_copy: bool, w: float, r: int) -> int:
        video.append(v)
        synthetic.append(syn)
        captions.append(cap)
        shared.append(other)
        label.append(lab)
        copy.append(is_copy)
        weight.append(w)
        item.append(r)
        return len(video) - 1

    for r in range(n):
        lab = int(rows.real_label[r])
        if lab not in (0, 1):
            raise UserInputError(f"real row {r}: label {lab} is not 0 or 1", hint="labels are 1 (entails) or 0")
        cap, other = rows.caption[r], rows.other_caption[r]
        sv = int(rows.syn_video[r])
        paired = include_synthetic and sv >= 0
        with_copies = paired and include_copies
        k = emit(int(rows.real_video[r]), False, cap, None, lab, False, 1.0, r)
        if with_copies:
            emit(int(rows.real_video[r]), False, cap, other, lab, True, 1.0, r)
        if paired:
            w = clamp_weight(float(rows.omega[r]))
            s = emit(sv, True, cap, None, 1 - lab, False, w, r)
            if with_copies:
                emit(sv, True, cap, other, 1 - lab, True, w, r)
                real_orig.append(k)
                syn_orig.append(s)
                pair_label.append(lab)
                pair_weight.append(w)

    long = lambda xs: torch.tensor(xs, dtype=torch.int64)  # noqa: E731
    ro = long(real_orig)
    so = long(syn_orig)
    return SequenceBatch(
        video_index=long(video),
        is_synthetic=torch.tensor(synthetic, dtype=torch.bool),
        captions=captions,
        shared_with=shared,
        label=long(label),
        is_copy=torch.tensor(copy, dtype=torch.bool),
        weight=torch.tensor(weight, dtype=torch.float32),
        item_index=long(item),
        real_orig=ro,
        real_copy=ro + 1,
        syn_orig=so,
        syn_copy=so + 1,
        pair_real_label=long(pair_label),
        pair_weight=torch.tensor(pair_weight, dtype=torch.float32),
        n_items=n,
    )


def hinge_pairs_by_rank(is_copy: torch.Tensor, is_synthetic: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The official pairing rule: the i-th real copy goes with the i-th synthetic copy (positions [P] each).

    Equivalent to `SequenceBatch.real_copy`/`syn_copy` for batches built here; offered for sequence lists
    assembled elsewhere. Raises when the counts differ (the official code asserts the same).
    """
    real_copies = torch.nonzero(is_copy & ~is_synthetic, as_tuple=False).flatten()
    syn_copies = torch.nonzero(is_copy & is_synthetic, as_tuple=False).flatten()
    if real_copies.numel() != syn_copies.numel():
        raise UserInputError(
            f"{real_copies.numel()} real copies but {syn_copies.numel()} synthetic copies",
            hint="exactly one synthetic row per (video_id, label) is allowed",
        )
    return real_copies, syn_copies
