"""Alignment-weight summaries: the distribution of ω and of Δ per misalignment type, generator and faithfulness.

Follows the paper's weight-distribution figure: per misalignment type, the distribution of the raw difference
Δ = f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ) and of ω, and (in the embedded world) the split by ground-truth `faithful` with the AUROC of
ω between faithful and unfaithful generations. `format_weights` renders a summary as text for `synvita weights`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from synvita.entities import SampleWeight
from synvita.report.stats import Histogram, auroc, histogram, mean, quantile, sample_std
from synvita.report.text import RED, paint, sparkline
from synvita.text import sanitize_terminal_text


PAPER_DELTA: dict[str, tuple[float, float]] = {
    "all": (0.04, 0.17), "action": (0.09, 0.19), "attribute": (0.15, 0.19), "count": (0.05, 0.14),
    "flip": (-0.03, 0.08), "hallucination": (-0.05, 0.13), "object": (0.15, 0.20), "relation": (0.03, 0.12),
}
"""Mean and std of Δ per misalignment type in the paper's weight-distribution figure (mPLUG-Owl scorers, videos
presumably from CogVideoX), the reference the study report prints beside its own."""


@dataclass
class WeightStats:
    count: int
    mean: float | None
    """Mean ω."""
    std: float | None
    """Sample standard deviation (ddof 1) of ω."""
    frac_zero: float | None
    """Fraction of samples with ω = 0 (dropped from training by the weighting)."""
    quantiles: dict[str, float | None]
    """ω at 10/25/50/75/90 %."""
    diff_mean: float | None
    """Mean of Δ = f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ) (the paper figure's red line)."""
    diff_std: float | None
    """Sample standard deviation (ddof 1) of Δ."""
    omega_hist: Histogram
    diff_hist: Histogram


@dataclass
class WeightsSummary:
    run_id: str
    count: int
    overall: WeightStats
    by_type: dict[str, WeightStats]
    by_generator: dict[str, WeightStats]
    by_faithful: dict[str, dict[str, WeightStats]]
    """Misalignment type (and "all") → "faithful" / "unfaithful" → stats; empty outside the embedded world."""
    faithful_auroc: dict[str, float | None]
    """Per type (and "all"): how well ω separates faithful from unfaithful generations (0.5 = not at all)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
"""The ω quantiles a summary reports."""

DIFF_LIMITS = (0.05, 0.1, 0.25, 0.5, 1.0)
"""Half-widths the Δ histograms may use: the smallest that holds every |Δ| (shared by all groups of a summary)."""


def diff_limit(samples: list[SampleWeight]) -> float:
    """The smallest of DIFF_LIMITS that holds every |Δ| of `samples` (1.0 when none does)."""
    largest = max((abs(s.f_target - s.f_other) for s in samples), default=1.0)
    return next((lim for lim in DIFF_LIMITS if largest <= lim), 1.0)


def weight_stats(samples: list[SampleWeight], bins: int = 20, diff_lim: float = 1.0) -> WeightStats:
    """Statistics of one group of samples; the Δ histogram spans ±`diff_lim`."""
    omegas = sorted(s.weight for s in samples)
    diffs = [s.f_target - s.f_other for s in samples]
    return WeightStats(
        count=len(samples),
        mean=mean(omegas),
        std=sample_std(omegas),
        frac_zero=(sum(1 for w in omegas if w <= 1e-12) / len(omegas)) if omegas else None,
        quantiles={f"q{int(q * 100)}": quantile(omegas, q) for q in QUANTILES},
        diff_mean=mean(diffs),
        diff_std=sample_std(diffs),
        omega_hist=histogram(omegas, 0.0, 1.0, bins),
        diff_hist=histogram(diffs, -diff_lim, diff_lim, bins),
    )


def summarize_weights(
    run_id: str, samples: list[SampleWeight], bins: int = 20, diff_range: float | None = 1.0
) -> WeightsSummary:
    """Weight statistics per group; Δ histograms span ±`diff_range` (None: the smallest of DIFF_LIMITS holding the data)."""
    lim = diff_limit(samples) if diff_range is None else float(diff_range)
    by_type: dict[str, list[SampleWeight]] = {}
    by_generator: dict[str, list[SampleWeight]] = {}
    for s in samples:
        # the group names come from a run's weights file: shown on a terminal, so without control characters
        by_type.setdefault(sanitize_terminal_text(s.misalignment), []).append(s)
        by_generator.setdefault(sanitize_terminal_text(s.generator), []).append(s)
    by_faithful: dict[str, dict[str, WeightStats]] = {}
    faithful_auroc: dict[str, float | None] = {}
    if any(s.faithful is not None for s in samples):
        for name, group in [("all", samples), *sorted(by_type.items())]:
            faithful = [s for s in group if s.faithful is True]
            unfaithful = [s for s in group if s.faithful is False]
            by_faithful[name] = {"faithful": weight_stats(faithful, bins, lim), "unfaithful": weight_stats(unfaithful, bins, lim)}
            faithful_auroc[name] = auroc([s.weight for s in faithful], [s.weight for s in unfaithful])
    return WeightsSummary(
        run_id=run_id,
        count=len(samples),
        overall=weight_stats(samples, bins, lim),
        by_type={k: weight_stats(v, bins, lim) for k, v in sorted(by_type.items())},
        by_generator={k: weight_stats(v, bins, lim) for k, v in sorted(by_generator.items())},
        by_faithful=by_faithful,
        faithful_auroc=faithful_auroc,
    )


def format_weights(summary: WeightsSummary, *, hist: str = "diff", height: int = 1, color: bool = False) -> str:
    """Per-type table (count, mean/std of ω, fraction at zero, mean/std of Δ) with a histogram per type."""
    if summary.count == 0:
        return f"run {summary.run_id}: no sample weights recorded"

    lim = summary.overall.diff_hist.edges[-1]
    which = f"Δ = f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ), −{lim:g} … {lim:g}" if hist == "diff" else "ω, 0 … 1"
    name_width = max(8, *(len(k) for k in summary.by_type))
    header = f"{'type':<{name_width}} {'n':>6} {'mean ω':>7} {'std ω':>6} {'ω=0':>5} {'mean Δ':>7} {'std Δ':>6}  histogram of {which}"
    lines = [header, "─" * len(header)]

    def stat_line(name: str, st: WeightStats) -> list[str]:
        h = st.diff_hist if hist == "diff" else st.omega_hist
        bars = sparkline(h.counts, height)
        diff_text = f"{_opt(st.diff_mean, '7.2f')}"
        if st.diff_mean is not None and st.diff_mean < 0:
            diff_text = paint(diff_text, RED, color)  # the paper marks negative mean differences in red
        first = (
            f"{name:<{name_width}} {st.count:>6} {_opt(st.mean, '7.2f')} {_opt(st.std, '6.2f')} "
            f"{_opt(None if st.frac_zero is None else 100 * st.frac_zero, '4.0f')}% {diff_text} {_opt(st.diff_std, '6.2f')}  "
        )
        pad = " " * len(f"{name:<{name_width}} {st.count:>6} {0:7.2f} {0:6.2f} {0:4.0f}% {0:7.2f} {0:6.2f}  ")
        return [pad + b for b in bars[:-1]] + [first + bars[-1]]

    bins = len(summary.overall.diff_hist.counts)
    axis = (f"−{lim:g}", "0", f"{lim:g}") if hist == "diff" else ("0", ".5", "1")
    pad = " " * len(f"{'':<{name_width}} {0:>6} {0:7.2f} {0:6.2f} {0:4.0f}% {0:7.2f} {0:6.2f}  ")
    axis_line = pad + axis[0] + axis[1].center(bins - len(axis[0]) - len(axis[2])) + axis[2]
    lines += stat_line("all", summary.overall)
    for name, st in summary.by_type.items():
        lines += stat_line(name, st)
    lines.append(axis_line)
    if len(summary.by_generator) > 1:
        lines += ["", "by generator"]
        for name, st in summary.by_generator.items():
            lines += stat_line(name, st)
    if summary.by_faithful:
        lines += ["", "split by ground-truth faithfulness (did the generator render the prompt?)"]
        head = f"{'type':<{name_width}} {'faithful':>8} {'mean ω':>7} {'unfaithful':>10} {'mean ω':>7} {'AUROC(ω)':>9}"
        lines += [head, "─" * len(head)]
        for name, split in summary.by_faithful.items():
            f, u = split["faithful"], split["unfaithful"]
            lines.append(
                f"{name:<{name_width}} {f.count:>8} {_opt(f.mean, '7.2f')} {u.count:>10} {_opt(u.mean, '7.2f')} "
                f"{_opt(summary.faithful_auroc.get(name), '9.2f')}"
            )
    return "\n".join(line.rstrip() for line in lines)


def _opt(value: float | None, spec: str) -> str:
    """`value` formatted with `spec`, or a dash as wide as the spec's width when unknown."""
    width = int(spec.split(".")[0]) if spec[0].isdigit() else 0
    return "—".rjust(width) if value is None else format(value, spec)
