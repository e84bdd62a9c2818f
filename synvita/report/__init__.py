"""Paper-style benchmark tables and alignment-weight summaries, computed from plain entities (torch-free, Rich-free).

* `table`: the BenchmarkTable model, built from evaluate runs and their results (`build_table`).
* `formats`: its renderers, text / md / latex / csv / json (`format_table`).
* `weights`: per-type distributions of ω and Δ (`summarize_weights`) and their text form (`format_weights`).
* `stats`: mean, sample std (ddof 1), quantiles, AUROC, histograms.
* `text`: durations, unicode bars and ANSI colour, shared with the CLI and the TUI.

Both front ends reach these through `synvita.api`; the names below are the ones used outside this package. They load
on first use, so that a command that only needs `format_duration` does not import the table and its formats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synvita.lazy import lazy_getattr

if TYPE_CHECKING:
    from synvita.report.formats import format_table
    from synvita.report.stats import Histogram, auroc, mean, quantile, sample_std
    from synvita.report.table import (
        BenchmarkTable,
        Cell,
        TableColumn,
        TableRow,
        build_table,
        default_benchmarks,
        flatten,
    )
    from synvita.report.text import BLOCKS, format_duration, sparkline
    from synvita.report.weights import (
        WeightsSummary,
        WeightStats,
        format_weights,
        summarize_weights,
    )

_HOMES = {
    "synvita.report.formats": ("format_table",),
    "synvita.report.stats": ("Histogram", "auroc", "mean", "quantile", "sample_std"),
    "synvita.report.table": (
        "BenchmarkTable", "Cell", "TableColumn", "TableRow", "build_table", "default_benchmarks", "flatten",
    ),
    "synvita.report.text": ("BLOCKS", "format_duration", "sparkline"),
    "synvita.report.weights": ("WeightsSummary", "WeightStats", "format_weights", "summarize_weights"),
}

__all__ = [
    "BLOCKS",
    "BenchmarkTable",
    "Cell",
    "Histogram",
    "TableColumn",
    "TableRow",
    "WeightStats",
    "WeightsSummary",
    "auroc",
    "build_table",
    "default_benchmarks",
    "flatten",
    "format_duration",
    "format_table",
    "format_weights",
    "mean",
    "quantile",
    "sample_std",
    "sparkline",
    "summarize_weights",
]

__getattr__ = lazy_getattr(__name__, _HOMES, globals())
"""A name above, or a submodule, loaded on first use."""
