"""The in-memory dataset types every component agrees on (numpy only; no torch).

Videos live in a `VideoBank` (uint8 frames `[N, T, H, W, 3]`, often a memmap of the decoded-frame cache);
everything else refers to videos by integer index into a bank. Captions are plain strings; each model tokenizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing this module does not load numpy
    import numpy as np

MISALIGNMENT_TYPES = ("object", "action", "attribute", "count", "relation", "hallucination", "flip")
"""The seven VideoCon misalignment types ("flip" = event-order flip)."""


@dataclass
class VideoBank:
    frames: np.ndarray
    """uint8 [N, T, H, W, 3]."""
    ids: list[str]
    """Stable video ids, e.g. "train_000123" or "syn_procedural_000123"; `ids[i]` names `frames[i]`."""
    paths: list[str] = field(default_factory=list)
    """Dataset-relative mp4 paths, same order (empty when frames were never written to mp4)."""

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class PairSet:
    """VideoCon-style training items: a real video, its caption t^r, a contrast caption t^s of a recorded type."""

    video: np.ndarray
    """int64 [P]: index of the real video V^r in the real bank."""
    caption_pos: list[str]
    """t^r (the real video's positive caption)."""
    caption_neg: list[str]
    """t^s (the contrast caption, made by editing t^r's scene graph)."""
    misalignment: list[str]
    """One of MISALIGNMENT_TYPES per pair."""
    syn_video: np.ndarray | None = None
    """int64 [P]: index of V^s = G(t^s) in the synthetic bank, -1 where none; None before generation."""
    weight: np.ndarray | None = None
    """float32 [P]: ω per synthetic video (NaN = missing → 1.0 before clamping); None before scoring."""

    def __len__(self) -> int:
        return len(self.video)


@dataclass
class EntailmentSet:
    """(video, caption, label) rows scored by ROC-AUC, like VideoCon LLM test / Human / Human-Hard."""

    video: np.ndarray
    """int64 [R] into the benchmark's bank."""
    caption: list[str]
    label: np.ndarray
    """int64 [R]: 1 = the caption entails the video."""
    misalignment: list[str]
    """Type of the contrast that produced a label-0 row; for label-1 rows the type of the pair it belongs to."""
    hard: np.ndarray
    """bool [R]: the temporal/hard subset (Human-Hard analogue)."""
    held_out: np.ndarray
    """bool [R]: the row's video or caption contains a held-out concept (the linguistic-bias probe)."""


@dataclass
class RetrievalSet:
    """Text→video retrieval: Q caption queries against a fixed gallery; several positives per query."""

    queries: list[str]
    """[Q] captions."""
    gallery: np.ndarray
    """int64 [N] into the benchmark's bank."""
    relevant: np.ndarray
    """bool [Q, N]."""


@dataclass
class QASet:
    """5-way multiple choice: one video, five candidate statements, exactly one correct."""

    video: np.ndarray
    """int64 [Q]."""
    statements: list[list[str]]
    """[Q][5]."""
    answer: np.ndarray
    """int64 [Q] in 0..4."""
    qtype: list[str] = field(default_factory=list)
    """e.g. "T" (temporal) / "C" (causal-like), as ATP-Hard's first type letter."""
