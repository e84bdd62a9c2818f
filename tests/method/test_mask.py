"""The shared-semantic mask in both modes, the reference char-level LCS, and the prompt-span helpers."""

import random

import pytest

from synvita.errors import UserInputError
from synvita.method import (
    caption_span_text,
    find_subsequence,
    ids_to_string,
    lcs_keep_dp,
    prompt_attention_mask,
    reference_lcs_sequence_idx,
    shared_semantic_mask,
)


def test_token_mode_masks_the_differing_word():
    # "A child is playing ball" vs "A child is playing chess": only "ball" (id 901) differs
    own, other = [1, 22, 5, 77, 901, 9], [1, 22, 5, 77, 45, 9]
    assert shared_semantic_mask(own, other) == [True, True, True, True, False, True]
    assert shared_semantic_mask(own, other, mode="reference") == [True, True, True, True, False, True]


def test_modes_differ_when_digits_match_across_tokens():
    """own "25 7" vs other "2 5 7": token LCS keeps only 7; the char LCS matches '2','5',' ','7' → keeps 25."""
    assert shared_semantic_mask([25, 7], [2, 5, 7], mode="token") == [False, True]
    assert shared_semantic_mask([25, 7], [2, 5, 7], mode="reference") == [True, True]
    # no common token at all, yet the digits '3' and '1' are matched at char level
    assert shared_semantic_mask([3, 11, 1], [13, 2, 12], mode="token") == [False, False, False]
    assert shared_semantic_mask([3, 11, 1], [13, 2, 12], mode="reference") == [True, False, True]


def test_reference_char_lcs_by_hand():
    # pylcs 0.1.1 tie rule: step back in `text` when that keeps the length → "ba" vs "ab" matches the 'b'
    assert reference_lcs_sequence_idx("ba", "ab") == [1, -1]
    assert reference_lcs_sequence_idx("abc", "bc") == [-1, 0, 1]
    assert reference_lcs_sequence_idx("", "a") == [] and reference_lcs_sequence_idx("ab", "") == [-1, -1]
    assert ids_to_string([12, 3]) == "12 3"
    # a token is kept only if *every* digit matched: "12" vs "1": '2' unmatched → dropped
    assert shared_semantic_mask([12, 3], [1, 3], mode="reference") == [False, True]


def test_empty_other_caption_masks_everything():
    assert shared_semantic_mask([4, 5], [], mode="token") == [False, False]
    assert shared_semantic_mask([4, 5], [], mode="reference") == [False, False]
    assert shared_semantic_mask([], [4], mode="token") == []


def test_token_mode_is_a_true_lcs_on_random_inputs():
    rng = random.Random(0)
    for _ in range(300):
        own = [rng.randint(0, 6) for _ in range(rng.randint(0, 14))]
        other = [rng.randint(0, 6) for _ in range(rng.randint(0, 14))]
        keep = shared_semantic_mask(own, other)
        kept = [t for t, k in zip(own, keep) if k]
        assert sum(keep) == sum(lcs_keep_dp(own, other)) == _lcs_len(own, other)
        assert _is_subsequence(kept, other)


def test_unknown_mode():
    with pytest.raises(UserInputError) as err:
        shared_semantic_mask([1], [1], mode="chars")
    assert "token, reference" in err.value.one_line()


def test_pylcs_cross_check_if_available():
    pylcs = pytest.importorskip("pylcs")
    rng = random.Random(1)
    for _ in range(500):
        a = "".join(rng.choice("0123 ") for _ in range(rng.randint(0, 20)))
        b = "".join(rng.choice("0123 ") for _ in range(rng.randint(0, 20)))
        assert reference_lcs_sequence_idx(a, b) == pylcs.lcs_sequence_idx(a, b)


def test_prompt_span_and_attention_mask():
    assert caption_span_text("a dog runs") == '"a dog runs"?'
    prompt = [100, 101, 7, 1, 22, 901, 8, 102]  # 7 = '"', 8 = '"?'
    own_span, other_span = [7, 1, 22, 901, 8], [7, 1, 22, 45, 8]
    assert find_subsequence(prompt, own_span) == 2
    assert find_subsequence(prompt, [22, 1]) == -1 and find_subsequence(prompt, []) == -1
    assert prompt_attention_mask(prompt, own_span, other_span) == [1, 1, 1, 1, 1, 0, 1, 1]
    with pytest.raises(UserInputError, match="not found"):
        prompt_attention_mask(prompt, [5, 5], other_span)


def _lcs_len(a, b):
    dp = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a)):
        for j in range(len(b)):
            dp[i + 1][j + 1] = dp[i][j] + 1 if a[i] == b[j] else max(dp[i][j + 1], dp[i + 1][j])
    return dp[-1][-1]


def _is_subsequence(small, big):
    it = iter(big)
    return all(any(x == y for y in it) for x in small)
