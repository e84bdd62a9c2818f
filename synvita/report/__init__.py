"""Paper-style benchmark tables and alignment-weight summaries, computed from plain entities (torch-free, Rich-free).

* `table`: the BenchmarkTable model, built from evaluate runs and their results (`build_table`).
* `formats`: its renderers, text / md / latex / csv / json (`format_table`).
* `weights`: per-type distributions of ω and Δ (`summarize_weights`) and their text form (`format_weights`).
* `stats`: mean, sample std (ddof 1), quantiles, AUROC, histograms.
* `text`: durations, unicode bars and ANSI colour, shared with the CLI and the TUI.

Both front ends reach these through `synvita.api`; the names below are the ones used outside this package.
"""

from synvita.report.formats import format_table
from synvita.report.stats import Histogram, auroc, quantile, sample_std
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
from synvita.report.weights import WeightsSummary, WeightStats, format_weights, summarize_weights

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
    "quantile",
    "sample_std",
    "sparkline",
    "summarize_weights",
]
