"""Benchmark metrics exactly as the official evaluation scripts compute them (METHOD.md §6); numpy only.

* `roc_auc`: entailment benchmarks (VideoCon LLM / Human / Human-Hard), equal to sklearn's `roc_auc_score`
  including ties (tied scores get the average rank, which is the trapezoid rule on the ROC curve).
* `retrieval_metrics`: SSv2-Temporal / SSv2-Events text→video retrieval, as `calc_ssv2.py`: per query rank the
  gallery by −score, AP = mean of precision@rank over the positive hits, R@k = 1 if any positive is in the
  top k; means over queries. **Tie rule**: the official script uses `np.argsort(-pred)` (numpy's default,
  non-stable sort) over a gallery sorted by video path, so its order among tied scores is unspecified; here
  the sort is stable, i.e. tied videos keep gallery order (lower gallery index ranks first).
* `qa_accuracy`: ATP-Hard, prediction = argmax of the five option scores in option order (first maximum
  wins on ties, as `np.argmax`).

All values are fractions in [0, 1]; multiply by 100 for the paper's tables. `bootstrap_ci` and
`paired_difference` summarise several seeds.
"""

from __future__ import annotations

import numpy as np

from synvita.errors import UserInputError


def roc_auc(labels, scores) -> float:
    """Area under the ROC curve of `scores` for binary `labels` (1 = positive), ties as sklearn.

    Uses the Mann–Whitney form: (Σ ranks of positives − n₊(n₊+1)/2) / (n₊·n₋) with average ranks for ties.
    Raises UserInputError when only one class is present (sklearn raises too).
    """
    y = np.asarray(labels).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if y.shape != s.shape:
        raise UserInputError(f"roc_auc: {y.size} labels but {s.size} scores")
    if not np.isin(y, (0, 1, True, False)).all():
        raise UserInputError("roc_auc: labels must be 0/1")
    if np.isnan(s).any():
        raise UserInputError("roc_auc: scores contain NaN", hint="check the model's outputs")
    y = y.astype(bool)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise UserInputError(
            f"roc_auc needs both classes, got {n_pos} positives and {n_neg} negatives",
            hint="the benchmark subset is empty or one-sided",
        )
    ranks = _average_ranks(s)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks, ties get the mean of the ranks they span (scipy's rankdata 'average')."""
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    # start of each run of equal values
    new_run = np.concatenate(([True], sorted_x[1:] != sorted_x[:-1]))
    run_id = np.cumsum(new_run) - 1  # [n]
    run_start = np.flatnonzero(new_run)  # [R]
    run_end = np.concatenate((run_start[1:], [x.size]))  # exclusive
    run_rank = (run_start + 1 + run_end) / 2.0  # mean of ranks start+1 .. end
    ranks = np.empty(x.size, dtype=np.float64)
    ranks[order] = run_rank[run_id]
    return ranks


def retrieval_metrics(scores, relevant) -> dict[str, float]:
    """{"mAP", "R@1", "R@5", "R@10"} over a [Q, N] score matrix and a [Q, N] 0/1 relevance matrix.

    Every query needs at least one relevant video (the official script divides by the hit count). R@k with
    k > N counts any positive in the whole gallery.
    """
    s = np.asarray(scores, dtype=np.float64)
    rel = np.asarray(relevant)
    if s.ndim != 2 or s.shape != rel.shape:
        raise UserInputError(f"retrieval_metrics: scores {s.shape} and relevant {rel.shape} must both be [Q, N]")
    if s.shape[0] == 0:
        raise UserInputError("retrieval_metrics: no queries")
    if np.isnan(s).any():
        raise UserInputError("retrieval_metrics: scores contain NaN", hint="check the model's outputs")
    rel = rel.astype(bool)
    n_pos = rel.sum(axis=1)  # [Q]
    if (n_pos == 0).any():
        q = int(np.flatnonzero(n_pos == 0)[0])
        raise UserInputError(f"retrieval_metrics: query {q} has no relevant video", hint="drop it or fix the labels")
    order = np.argsort(-s, axis=1, kind="stable")  # [Q, N] best first
    hits = np.take_along_axis(rel, order, axis=1)  # [Q, N] relevance in ranked order
    cum_hits = np.cumsum(hits, axis=1)  # [Q, N]
    precision_at = cum_hits / np.arange(1, s.shape[1] + 1)  # [Q, N]
    ap = (precision_at * hits).sum(axis=1) / n_pos  # [Q]
    out = {"mAP": float(ap.mean())}
    for k in (1, 5, 10):
        out[f"R@{k}"] = float(hits[:, :k].any(axis=1).mean())
    return out


def qa_accuracy(scores, answers) -> float:
    """Fraction of questions whose highest-scoring option (first on ties) is the answer; scores [Q, C], answers [Q]."""
    s = np.asarray(scores, dtype=np.float64)
    a = np.asarray(answers).reshape(-1)
    if s.ndim != 2 or s.shape[0] != a.size or s.shape[0] == 0:
        raise UserInputError(f"qa_accuracy: scores {s.shape} must be [Q, options] with Q = {a.size} answers > 0")
    if ((a < 0) | (a >= s.shape[1])).any():
        raise UserInputError(f"qa_accuracy: answers must be option indices 0..{s.shape[1] - 1}")
    return float((np.argmax(s, axis=1) == a).mean())


def bootstrap_ci(values, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """(mean, low, high): percentile bootstrap interval of the mean of `values` (e.g. one metric over seeds)."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size == 0:
        raise UserInputError("bootstrap_ci: no values")
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(n_boot, v.size))].mean(axis=1)  # [n_boot]
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(v.mean()), float(low), float(high)


def paired_difference(a, b, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """(mean, low, high) of a − b over paired runs (same seeds), by `bootstrap_ci` on the differences."""
    x, y = np.asarray(a, dtype=np.float64).reshape(-1), np.asarray(b, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise UserInputError(f"paired_difference: {x.size} vs {y.size} values; pair runs by seed")
    return bootstrap_ci(x - y, n_boot=n_boot, level=level, seed=seed)
