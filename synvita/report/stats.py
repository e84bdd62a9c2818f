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


T_QUANTILE_975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
    11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086,
    21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042,
    40: 2.021, 60: 2.000, 120: 1.980,
}
"""The 0.975 quantile of Student's t by degrees of freedom (the two-sided 95% critical value), from the standard
table; a plain table so that the benchmark table needs no scipy."""

INTERVAL_RULE = "t-interval, mean ± t(0.975, n−1)·s/√n"
"""How `t_interval` computes an interval, as the table's footer names it."""


def t_quantile_975(df: int) -> float:
    """Two-sided 95% critical value of t with `df` degrees of freedom; between tabulated values, the one of the
    next smaller tabulated df (slightly wider, so the interval never claims more than it has); 1.96 beyond 120."""
    if df < 1:
        raise ValueError(f"t quantile needs df >= 1, got {df}")
    if df > 120:
        return 1.960
    return T_QUANTILE_975[max(k for k in T_QUANTILE_975 if k <= df)]


def t_interval(values: list[float]) -> tuple[float, float] | None:
    """95% confidence interval of the mean of `values`: mean ± t(0.975, n−1)·s/√n with s the sample std;
    None for fewer than two values."""
    std = sample_std(values)
    if std is None:
        return None
    m = sum(values) / len(values)
    half = t_quantile_975(len(values) - 1) * std / math.sqrt(len(values))
    return m - half, m + half


def paired_t_interval(values: list[float], reference: list[float]) -> tuple[float, tuple[float, float] | None]:
    """(mean difference, its 95% t-interval) of `values` − `reference`, paired position by position (the same
    seed); the interval is None for fewer than two pairs."""
    if len(values) != len(reference) or not values:
        raise ValueError(f"paired_t_interval: {len(values)} values against {len(reference)}; pair them by seed")
    differences = [a - b for a, b in zip(values, reference)]
    return sum(differences) / len(differences), t_interval(differences)
