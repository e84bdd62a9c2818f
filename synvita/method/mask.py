"""The shared-semantic caption t′: which tokens of the item's own caption survive in the masked copy.

SynViTA's consistency term compares f(V, c) with f(V, c′), where c′ is c with the tokens that differ from the
other caption hidden from attention (METHOD.md §4). Masking is by attention mask only: nothing is deleted and
position ids stay unchanged, so the model-side code needs just a keep/drop flag per token of c. This module
computes those flags:

* `mode="token"`: a true token-level longest common subsequence (LCS) of the two id lists; a token of c is kept
  iff it is part of the chosen LCS alignment.
* `mode="reference"`: what the official code does. Both id lists are written as decimal ids joined by single
  spaces, a *character-level* LCS is run over the two strings (pylcs 0.1.1 `lcs_sequence_idx`: DP table and
  backtrack with its own tie-breaking, reproduced here in pure Python), and a token is kept
  only if every digit character of it is matched. The spaces take part in the character LCS like any other
  character (they can be matched and they shift the alignment) but never decide a token by themselves. The
  two modes can disagree: digits of a differing id can be matched to digits of other ids.

`find_subsequence` / `caption_span` locate the `"desc"?` span inside a full prompt's input_ids (exact
subsequence search), for backends that tokenise the whole conversation.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from synvita.errors import UserInputError

MASK_MODES = ("token", "reference")


def shared_semantic_mask(own_ids: Sequence[int], other_ids: Sequence[int], mode: str = "token") -> list[bool]:
    """Keep flags for the tokens of the item's own caption: True = token kept (attended to) in c′.

    `own_ids`: token ids of the item's own caption c (t^r for real label 1, t^s for real label 0);
    `other_ids`: token ids of the other caption. Returns a list as long as `own_ids`.
    """
    if mode not in MASK_MODES:
        raise UserInputError(f"unknown shared-semantic mask mode '{mode}'", hint=f"use one of: {', '.join(MASK_MODES)}")
    own = tuple(int(t) for t in own_ids)
    other = tuple(int(t) for t in other_ids)
    return list(_cached_mask(own, other, mode))


@functools.lru_cache(maxsize=65536)
def _cached_mask(own: tuple[int, ...], other: tuple[int, ...], mode: str) -> tuple[bool, ...]:
    """Captions repeat every epoch; the pure-Python reference DP is worth caching (a few ms per pair)."""
    if mode == "token":
        return tuple(_token_lcs_keep(list(own), list(other)))
    return tuple(_reference_keep(list(own), list(other)))


# ---------------------------------------------------------------------------------------------- token mode


def _token_lcs_keep(own: list[int], other: list[int]) -> list[bool]:
    """Token-level LCS via rapidfuzz (C++), falling back to an exact DP if rapidfuzz is unavailable."""
    if not own or not other:
        return [False] * len(own)
    try:
        from rapidfuzz.distance import LCSseq
    except ImportError:  # pragma: no cover - rapidfuzz is a dependency; the DP is the documented fallback
        return lcs_keep_dp(own, other)
    keep = [False] * len(own)
    for block in LCSseq.opcodes(own, other):
        if block.tag == "equal":
            for i in range(block.src_start, block.src_end):
                keep[i] = True
    return keep


def lcs_keep_dp(own: Sequence, other: Sequence) -> list[bool]:
    """Exact O(len(own)·len(other)) LCS; True where own[i] is in the alignment (tie rule: see `lcs_match_dp`)."""
    return [j != -1 for j in lcs_match_dp(own, other)]


def lcs_match_dp(text: Sequence, ref: Sequence) -> list[int]:
    """For each element of `text`, the index of the `ref` element it is matched to in one LCS, or -1.

    Classic DP table + backtrack from the end, with pylcs 0.1.1's tie rule: equal elements are always taken
    as a match; otherwise step back in `text` when that keeps the length (dp[i-1][j] >= dp[i][j-1]), else
    in `ref`. This is exactly `pylcs.lcs_sequence_idx` when both arguments are strings.
    """
    m, n = len(text), len(ref)
    matched = [-1] * m
    if m == 0 or n == 0:
        return matched
    # length[i][j] = LCS length of text[:i] and ref[:j]
    length = [[0] * (n + 1) for _ in range(m + 1)]
    for i in range(1, m + 1):
        row, prev = length[i], length[i - 1]
        a = text[i - 1]
        for j in range(1, n + 1):
            if a == ref[j - 1]:
                row[j] = prev[j - 1] + 1
            else:
                up, left = prev[j], row[j - 1]
                row[j] = up if up >= left else left
    i, j = m, n
    while i > 0 and j > 0:
        if text[i - 1] == ref[j - 1]:
            matched[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif length[i - 1][j] >= length[i][j - 1]:
            i -= 1
        else:
            j -= 1
    return matched


# ------------------------------------------------------------------------------------------ reference mode


def ids_to_string(ids: Sequence[int]) -> str:
    """The official code's string form of a token-id list: decimal ids joined by single spaces."""
    return " ".join(str(int(t)) for t in ids)


def reference_lcs_sequence_idx(text: str, ref: str) -> list[int]:
    """Per character of `text`, the index of the character of `ref` it is matched to in the LCS, or -1.

    Reproduces `pylcs.lcs_sequence_idx` of pylcs 0.1.1 (the release `pip install pylcs` gives; the official
    code pins no version), including its choice among equally long alignments. Characters are Python str
    characters (pylcs splits UTF-8 code points; the strings here are ASCII digits and spaces).
    """
    return lcs_match_dp(text, ref)


def _reference_keep(own: list[int], other: list[int]) -> list[bool]:
    own_str, other_str = ids_to_string(own), ids_to_string(other)
    matched = reference_lcs_sequence_idx(own_str, other_str)
    keep: list[bool] = []
    start = 0
    for tok in own:
        width = len(str(tok))
        keep.append(all(idx != -1 for idx in matched[start : start + width]))
        start += width + 1  # skip the joining space
    return keep


# --------------------------------------------------------------------------------- prompt-span helpers


def caption_span_text(description: str) -> str:
    """The text whose tokens are masked in the official code: the description with its quotes and '?'."""
    return f'"{description}"?'


def find_subsequence(haystack: Sequence[int], needle: Sequence[int]) -> int:
    """Start index of the first exact occurrence of `needle` in `haystack`, or -1 (an empty needle gives -1)."""
    hay = [int(t) for t in haystack]
    nee = [int(t) for t in needle]
    k = len(nee)
    if k == 0 or k > len(hay):
        return -1
    first = nee[0]
    for start in range(len(hay) - k + 1):
        if hay[start] == first and hay[start : start + k] == nee:
            return start
    return -1


def prompt_attention_mask(
    input_ids: Sequence[int], own_span_ids: Sequence[int], other_span_ids: Sequence[int], mode: str = "reference"
) -> list[int]:
    """Attention mask over a full prompt for the c′ copy: all ones except the differing own-caption tokens.

    `own_span_ids` / `other_span_ids` are the tokens of `caption_span_text(...)` for the own and the other
    caption, tokenised without special tokens. Raises if the own span does not occur in `input_ids`; tokens
    past the end of `input_ids` (truncation) are ignored, as in the official code.
    """
    ids = [int(t) for t in input_ids]
    start = find_subsequence(ids, own_span_ids)
    if start < 0:
        raise UserInputError(
            "caption span not found in the prompt's input_ids",
            hint="tokenise the span as it appears in the prompt (same tokenizer, no special tokens)",
        )
    mask = [1] * len(ids)
    for offset, kept in enumerate(shared_semantic_mask(own_span_ids, other_span_ids, mode=mode)):
        if not kept and start + offset < len(ids):
            mask[start + offset] = 0
    return mask
