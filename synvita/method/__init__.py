"""The SynViTA method as a stable public API: batches, the shared-semantic mask, weights and losses.

    from synvita.method import (rows_from_pairs, build_sequence_batch, shared_semantic_mask,
                                alignment_weight, weight_rule, semantic_consistency_loss,
                                weighted_cross_entropy, total_loss, entailment_probability)

Specification: METHOD.md §3–4 and "What an implementation must get exactly right". Model code supplies f
(per sequence) and the per-sequence token CE; everything here is model-agnostic.
"""

from synvita.method.batch import (
    RealRows,
    SequenceBatch,
    build_sequence_batch,
    clamp_weight,
    hinge_pairs_by_rank,
    rows_from_pairs,
)
from synvita.method.losses import (
    entailment_probability,
    entailment_probability_from_vocab,
    scr_from_scores,
    semantic_consistency_loss,
    token_cross_entropy_sums,
    total_loss,
    weighted_cross_entropy,
)
from synvita.method.mask import (
    MASK_MODES,
    caption_span_text,
    find_subsequence,
    ids_to_string,
    lcs_keep_dp,
    prompt_attention_mask,
    reference_lcs_sequence_idx,
    shared_semantic_mask,
)
from synvita.method.weights import (
    WEIGHT_RULES,
    alignment_difference,
    alignment_weight,
    weight_rule,
)

__all__ = [
    "MASK_MODES",
    "WEIGHT_RULES",
    "RealRows",
    "SequenceBatch",
    "alignment_difference",
    "alignment_weight",
    "build_sequence_batch",
    "caption_span_text",
    "clamp_weight",
    "entailment_probability",
    "entailment_probability_from_vocab",
    "find_subsequence",
    "hinge_pairs_by_rank",
    "ids_to_string",
    "lcs_keep_dp",
    "prompt_attention_mask",
    "reference_lcs_sequence_idx",
    "rows_from_pairs",
    "scr_from_scores",
    "semantic_consistency_loss",
    "shared_semantic_mask",
    "token_cross_entropy_sums",
    "total_loss",
    "weight_rule",
    "weighted_cross_entropy",
]
