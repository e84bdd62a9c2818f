"""Small statistics for tables and weight summaries, in plain Python (a few thousand numbers need no numpy).

Every spread the report prints is the sample standard deviation (ddof 1), the usual "± std over seeds".
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def mean(values: list[float]) -> float | None:
    """Arithmetic mean; None for no values."""
    return sum(values) / len(values) if values else None


def sample_std(values: list[float]) -> float | None:
    """Sample standard deviation (ddof 1), as reported over seeds; None for fewer than two values."""
    if len(values) < 2:
        return None
    m = sum(values) / len(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def quantile(sorted_values: list[float], q: float) -> float | None:
    """Linear-interpolation quantile of already sorted values."""
    if not sorted_values:
        return None
    pos = q * (len(sorted_values) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def auroc(positives: list[float], negatives: list[float]) -> float | None:
    """P(score of a positive > score of a negative), ties counting half; None if a class is empty.

    The benchmarks' `roc_auc` computes it (sklearn's numbers, ties included); it is imported here, not at the top,
    so that numpy loads only when a summary has both classes to separate.
    """
    if not positives or not negatives:
        return None
    from synvita.benchmarks.metrics import roc_auc

    return roc_auc([1] * len(positives) + [0] * len(negatives), list(positives) + list(negatives))


@dataclass
class Histogram:
    edges: list[float]
    """bins + 1 bin edges, from lo to hi."""
    counts: list[int]


def histogram(values: list[float], lo: float, hi: float, bins: int) -> Histogram:
    """Counts of `values` in `bins` equal bins over [lo, hi]; values outside go to the end bins."""
    edges = [lo + (hi - lo) * i / bins for i in range(bins + 1)]
    counts = [0] * bins
    for v in values:
        i = int((v - lo) / (hi - lo) * bins)
        counts[min(max(i, 0), bins - 1)] += 1
    return Histogram(edges, counts)
