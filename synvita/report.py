"""Paper-style benchmark tables and alignment-weight summaries, computed from plain entities (torch-free, Rich-free).

The table follows the paper's Tables 1–2: rows are training variants (mean ± std over seeds, n seeds), columns the six
benchmarks and their mean, each cell with its ↑/↓ difference to a baseline row and the best value per column in bold.
The weight summary follows the paper's weight-distribution figure: per misalignment type, the distribution of the
raw difference Δ = f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ) and of ω, and (in the embedded world) the split by ground-truth `faithful`.
Both front ends call these through `synvita.api`; only formatting lives here.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from synvita.entities import BenchmarkResult, Run, SampleWeight

BLOCKS = " ▁▂▃▄▅▆▇█"
"""Eighth blocks for unicode histograms (index 0 = empty)."""


def default_benchmarks() -> list[str]:
    """The six headline benchmarks, in the paper's column order (the default of `[evaluate] benchmarks`)."""
    from synvita.config import EvaluateSection

    return list(EvaluateSection().benchmarks)


#### Small statistics (no numpy needed for a few thousand numbers) ####


def format_duration(seconds: float | None, missing: str = "") -> str:
    """A compact duration for listings (45s, 3m07s, 2h05m, 1d03h); `missing` when unknown. Shared by CLI and TUI."""
    if seconds is None:
        return missing
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    return f"{seconds // 86400}d{(seconds % 86400) // 3600:02d}h"


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def std(values: list[float]) -> float | None:
    """Sample standard deviation (ddof=1), as reported over seeds; None for fewer than two values."""
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
    """P(score of a positive > score of a negative), ties counting half (Mann–Whitney); None if a class is empty."""
    if not positives or not negatives:
        return None
    ranked = sorted([(v, 1) for v in positives] + [(v, 0) for v in negatives])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        average_rank = (i + j) / 2 + 1
        rank_sum += average_rank * sum(1 for k in range(i, j + 1) if ranked[k][1] == 1)
        i = j + 1
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


#### Benchmark table ####


@dataclass
class TableColumn:
    key: str
    benchmark: str
    metric: str | None
    subset: str | None = None
    control: str | None = None
    group: str = "benchmarks"
    """Columns are printed in blocks by group: the headline benchmarks first, then controls and per-type subsets."""
    label: str = ""


@dataclass
class Cell:
    mean: float
    std: float | None
    n: int
    values: list[float]
    delta: float | None = None
    """mean − baseline mean (None for the baseline row or without a baseline)."""
    best: bool = False


@dataclass
class TableRow:
    label: str
    variant: str | None
    generator: str | None
    experiment: str
    sweep: dict[str, Any]
    runs: list[str]
    seeds: list[int]
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.runs)


@dataclass
class BenchmarkTable:
    columns: list[TableColumn]
    rows: list[TableRow]
    baseline: str | None
    """Label of the baseline row, or None when the requested baseline is not among the rows."""
    requested_baseline: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "requested_baseline": self.requested_baseline,
            "columns": [asdict(c) for c in self.columns],
            "rows": [
                {
                    "label": r.label,
                    "variant": r.variant,
                    "generator": r.generator,
                    "experiment": r.experiment,
                    "sweep": r.sweep,
                    "n": r.n,
                    "runs": r.runs,
                    "seeds": r.seeds,
                    "cells": {k: asdict(c) for k, c in r.cells.items()},
                }
                for r in self.rows
            ],
        }


def build_table(
    runs: list[Run],
    results: list[BenchmarkResult],
    *,
    benchmarks: list[str] | None = None,
    baseline: str | None = "none",
    include_controls: bool = False,
    include_other_metrics: bool = False,
    variant_order: Iterable[str] = (),
) -> BenchmarkTable:
    """Aggregate per-run benchmark results into paper-style rows (one per variant and setting, mean ± std over seeds)."""
    by_run: dict[str, list[BenchmarkResult]] = {}
    for result in results:
        by_run.setdefault(result.run_id, []).append(result)
    runs = [r for r in runs if r.id in by_run]

    # Headline metric per benchmark: the first metric reported with no subset and no control.
    headline_metric: dict[str, str] = {}
    for run in runs:
        for result in by_run[run.id]:
            if result.subset is None and result.control is None:
                headline_metric.setdefault(result.benchmark, result.metric)
    order = benchmarks or default_benchmarks()
    headline = [b for b in order if b in headline_metric or benchmarks] + sorted(
        b for b in headline_metric if b not in order
    )
    columns = [TableColumn(key=b, benchmark=b, metric=headline_metric.get(b), label=b) for b in headline]
    if headline:
        columns.append(TableColumn(key="mean", benchmark="mean", metric=None, label="mean"))

    extra: dict[str, TableColumn] = {}
    if include_controls:
        for run in runs:
            for r in by_run[run.id]:
                secondary = r.metric != headline_metric.get(r.benchmark)
                if (r.subset is None and r.control is None and not secondary) or (secondary and not include_other_metrics):
                    continue
                key = _column_key(r)
                if key not in extra:
                    extra[key] = _extra_column(r, key, secondary)
        columns += sorted(extra.values(), key=lambda c: (_group_rank(c), c.group, _benchmark_rank(c.benchmark, order), c.label))

    experiments = {r.experiment for r in runs}
    generators = {r.generator for r in runs if r.generator}
    variant_rank = {v: i for i, v in enumerate(variant_order)}
    def base_key(run: Run) -> tuple:
        return (
            run.experiment if len(experiments) > 1 else "",
            run.variant or run.stage,
            run.generator if len(generators) > 1 else None,
            tuple(sorted((k, json.dumps(v)) for k, v in (run.config.get("sweep") or {}).items())),
        )

    groups: dict[tuple, list[Run]] = {}
    for run in runs:
        groups.setdefault(base_key(run), []).append(run)
    varying_in = {key: differing_config_keys(group) for key, group in groups.items()}

    rows: dict[tuple, TableRow] = {}
    for run in sorted(runs, key=lambda r: (r.seed is None, r.seed or 0, r.created_at)):
        sweep = dict(run.config.get("sweep") or {})
        varying = varying_in[base_key(run)]
        key = base_key(run) + (tuple((k, json.dumps(flatten(run.config).get(k))) for k in varying),)
        if key not in rows:
            parts = [run.variant or run.stage]
            if len(generators) > 1 and run.generator:
                parts.append(run.generator)
            parts += [f"{k.split('.')[-1]}={v}" for k, v in sorted(sweep.items())]
            parts += [f"{k.split('.')[-1]}={flatten(run.config).get(k)}" for k in varying]
            if len(experiments) > 1:
                parts.insert(0, run.experiment)
            rows[key] = TableRow(
                label=" · ".join(str(p) for p in parts), variant=run.variant, generator=run.generator,
                experiment=run.experiment, sweep=sweep, runs=[], seeds=[],
            )
        row = rows[key]
        row.runs.append(run.id)
        if run.seed is not None:
            row.seeds.append(run.seed)

    run_values: dict[str, dict[str, float]] = {}
    for run in runs:
        values: dict[str, float] = {}
        for r in by_run[run.id]:
            if r.subset is None and r.control is None and r.metric == headline_metric.get(r.benchmark):
                values[r.benchmark] = r.value
            elif _column_key(r) in extra:
                values[_column_key(r)] = r.value
        if headline and all(b in values for b in headline):
            values["mean"] = sum(values[b] for b in headline) / len(headline)
        run_values[run.id] = values

    ordered = sorted(
        rows.values(),
        key=lambda r: (
            r.experiment,
            r.variant != baseline,
            variant_rank.get(r.variant or "", len(variant_rank)),
            r.variant or "",
            r.generator or "",
            json.dumps(r.sweep, sort_keys=True),
        ),
    )
    for row in ordered:
        for column in columns:
            values = [run_values[rid][column.key] for rid in row.runs if column.key in run_values[rid]]
            if values:
                row.cells[column.key] = Cell(mean=sum(values) / len(values), std=std(values), n=len(values), values=values)

    base_row = next((r for r in ordered if baseline and r.label == baseline), None) or next(
        (r for r in ordered if baseline and r.variant == baseline), None
    )
    if base_row is not None:
        for row in ordered:
            if row is base_row:
                continue
            for key, cell in row.cells.items():
                if key in base_row.cells:
                    cell.delta = cell.mean - base_row.cells[key].mean
    for column in columns:
        means = [r.cells[column.key].mean for r in ordered if column.key in r.cells]
        if len(means) > 1:
            best = max(means)
            for row in ordered:
                if column.key in row.cells and row.cells[column.key].mean == best:
                    row.cells[column.key].best = True
    return BenchmarkTable(columns, ordered, base_row.label if base_row else None, baseline)


ROW_INDEPENDENT_KEYS = ("seed", "variant", "generator", "stage", "experiment", "train.variants", "generation.generators")
"""Config keys that never split table rows: seeds are aggregated; variant/generator/experiment label rows already."""


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"train": {"lr": 1}} → {"train.lr": 1} (empty tables kept as values)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def differing_config_keys(runs: list[Run]) -> list[str]:
    """Config keys whose values differ between runs of one row (e.g. the same experiment run with --set λ=0.5 and
    with λ=1.0), so that such runs land in separate rows instead of being averaged together. Swept keys are labelled by the
    sweep itself (a shared `none` run carries an arbitrary sweep point's value for them)."""
    flat = [flatten(r.config) for r in runs]
    swept = {k for r in runs for k in (r.config.get("sweep") or {})}
    keys = sorted({k for f in flat for k in f})
    return [
        k
        for k in keys
        if k not in ROW_INDEPENDENT_KEYS and k not in swept and not k.startswith("sweep.")
        and len({json.dumps(f.get(k), sort_keys=True, default=str) for f in flat}) > 1
    ]


SUBSET_KIND_NAMES = {"id-type": "type, in-distribution rows"}
"""How a subset kind reads in a block title ("entail-llm by type, in-distribution rows")."""


def _extra_column(r: BenchmarkResult, key: str, secondary: bool) -> TableColumn:
    """Where a non-headline result goes: per-subset blocks ("entail-llm by type"), per-control blocks
    ("control: shuffled"), subsets under a control ("entail-llm by type · shuffled"), other metrics."""
    kind, _, value = (r.subset or "").partition("=")
    kind = SUBSET_KIND_NAMES.get(kind, kind)
    if r.subset and r.control:
        group, label = f"{r.benchmark} by {kind} · {r.control}", value or kind
    elif r.subset:
        group, label = f"{r.benchmark} by {kind}", value or kind
    elif r.control:
        group, label = f"control: {r.control}", r.benchmark
    else:
        group, label = f"{r.benchmark}: other metrics", r.metric
    if secondary and (r.control or r.subset):
        label += f" ({r.metric})"
    return TableColumn(key, r.benchmark, r.metric, r.subset, r.control, group, label)


def _group_rank(column: TableColumn) -> int:
    """Block order: per-subset (e.g. per-type AUC), then controls, then subsets under controls, then other metrics."""
    if column.subset and not column.control:
        return 0
    if column.control and not column.subset:
        return 1
    if column.control:
        return 2
    return 3


def _column_key(r: BenchmarkResult) -> str:
    return "|".join([r.benchmark, r.metric, r.subset or "", r.control or ""])


def _benchmark_rank(name: str, order: list[str]) -> int:
    return order.index(name) if name in order else len(order)


#### Table formats ####

_GREEN, _RED, _BOLD, _DIM, _RESET = "\x1b[32m", "\x1b[31m", "\x1b[1m", "\x1b[2m", "\x1b[0m"


def format_table(table: BenchmarkTable, fmt: str = "text", *, color: bool = False) -> str:
    """Render a BenchmarkTable as text (blocks of columns), md, latex, csv or json."""
    formats = {"text": _format_text, "md": _format_markdown, "latex": _format_latex, "csv": _format_csv, "json": _format_json}
    if fmt not in formats:
        from synvita.errors import UserInputError

        raise UserInputError(f"unknown table format '{fmt}'", hint=f"formats: {', '.join(formats)}")
    if fmt == "text":
        return _format_text(table, color=color)
    return formats[fmt](table)


def _groups(table: BenchmarkTable, max_columns: int | None = None) -> list[tuple[str, list[TableColumn]]]:
    """Column blocks in order; with `max_columns`, wide blocks are cut into parts (so text fits a terminal)."""
    groups: dict[str, list[TableColumn]] = {}
    for column in table.columns:
        groups.setdefault(column.group, []).append(column)
    if max_columns is None:
        return list(groups.items())
    out = []
    for name, columns in groups.items():
        parts = [columns[i : i + max_columns] for i in range(0, len(columns), max_columns)]
        for i, part in enumerate(parts):
            out.append((name if len(parts) == 1 else f"{name} ({i + 1}/{len(parts)})", part))
    return out


def _header_lines(label: str) -> tuple[str, str]:
    """Two-line header: 'entail-human-hard' → ('entail', 'human-hard')."""
    head, sep, rest = label.partition("-")
    return (head, rest) if sep and rest else ("", label)


def _fmt_delta(delta: float | None, arrow: bool = True) -> str:
    if delta is None:
        return ""
    return f"{'↑' if delta >= 0 else '↓'}{abs(delta):.2f}"


TEXT_MAX_COLUMNS = 7
"""Columns per text block: the six benchmarks and their mean fit; wider groups (controls × subsets) are split."""


def _format_text(table: BenchmarkTable, color: bool = False) -> str:
    if not table.rows:
        return "(no benchmark results)"

    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color and text else text

    blocks = []
    label_width = max(len("variant"), *(len(r.label) for r in table.rows))
    for group, columns in _groups(table, max_columns=TEXT_MAX_COLUMNS):
        headers = [_header_lines(c.label) for c in columns]
        widths = []
        for column, (h1, h2) in zip(columns, headers):
            cell_texts = [_cell_main(r.cells.get(column.key), star=not color) for r in table.rows]
            deltas = [_fmt_delta(r.cells[column.key].delta) for r in table.rows if column.key in r.cells]
            widths.append(max(len(h1), len(h2), *(len(t) for t in cell_texts), *(len(d) for d in deltas), 5))
        lines = []
        if group != "benchmarks":
            lines.append(paint(f"[{group}]", _DIM))
        if any(h1 for h1, _ in headers):
            lines.append(" ".join([" " * label_width, " " * 2] + [h1.rjust(w) for (h1, _), w in zip(headers, widths)]).rstrip())
        lines.append(" ".join(["variant".ljust(label_width), "n".rjust(2)] + [h2.rjust(w) for (_, h2), w in zip(headers, widths)]))
        lines.append("─" * len(lines[-1]))
        for row in table.rows:
            main = [row.label.ljust(label_width), str(row.n).rjust(2)]
            sub = [" " * label_width, "  "]
            for column, width in zip(columns, widths):
                cell = row.cells.get(column.key)
                text = _cell_main(cell, star=not color).rjust(width)
                main.append(paint(text, _BOLD) if cell and cell.best else text)
                delta = _fmt_delta(cell.delta) if cell else ""
                code = _GREEN if cell and cell.delta is not None and cell.delta >= 0 else _RED
                sub.append(paint(delta.rjust(width), code) if delta else " " * width)
            lines.append(" ".join(main).rstrip())
            if any(c.delta is not None for c in row.cells.values()):
                lines.append(" ".join(sub).rstrip())
        blocks.append("\n".join(lines))
    footer = []
    if table.baseline:
        footer.append(f"↑/↓: difference to the '{table.baseline}' row; mean ± std over seeds; best per column " + ("in bold" if color else "marked *"))
    elif table.requested_baseline:
        footer.append(f"no '{table.requested_baseline}' row to compare against; mean ± std over seeds")
    return "\n\n".join(blocks) + ("\n" + paint(footer[0], _DIM) if footer else "")


def _cell_main(cell: Cell | None, star: bool = False) -> str:
    """'62.00±0.71' (and a '*' on the best value of a column when there is no bold)."""
    if cell is None:
        return "— " if star else "—"
    text = f"{cell.mean:.2f}" + (f"±{cell.std:.2f}" if cell.std is not None else "")
    if not star:
        return text
    return text + ("*" if cell.best else " ")  # the space keeps the decimal points aligned


def _format_markdown(table: BenchmarkTable) -> str:
    out = []
    for group, columns in _groups(table):
        if group != "benchmarks":
            out.append(f"\n**{group}**\n")
        out.append("| variant | n | " + " | ".join(c.label for c in columns) + " |")
        out.append("|---|---:|" + "---:|" * len(columns))
        for row in table.rows:
            cells = []
            for column in columns:
                cell = row.cells.get(column.key)
                if cell is None:
                    cells.append("—")
                    continue
                text = f"**{cell.mean:.2f}**" if cell.best else f"{cell.mean:.2f}"
                if cell.std is not None:
                    text += f" ± {cell.std:.2f}"
                if cell.delta is not None:
                    text += f" ({_fmt_delta(cell.delta)})"
                cells.append(text)
            out.append(f"| {row.label} | {row.n} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _latex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"), ("$", r"\$")):
        text = text.replace(a, b)
    return text


def _format_latex(table: BenchmarkTable) -> str:
    out = ["% needs \\usepackage{booktabs,xcolor}"]
    for group, columns in _groups(table):
        out.append(r"\begin{tabular}{lr" + "c" * len(columns) + "}")
        out.append(r"\toprule")
        if group != "benchmarks":
            out.append(rf"\multicolumn{{{len(columns) + 2}}}{{l}}{{{_latex_escape(group)}}} \\")
        out.append("Variant & $n$ & " + " & ".join(_latex_escape(c.label) for c in columns) + r" \\")
        out.append(r"\midrule")
        for row in table.rows:
            cells = []
            for column in columns:
                cell = row.cells.get(column.key)
                if cell is None:
                    cells.append("--")
                    continue
                text = rf"\textbf{{{cell.mean:.2f}}}" if cell.best else f"{cell.mean:.2f}"
                if cell.std is not None:
                    text += rf"$\pm${cell.std:.2f}"
                if cell.delta is not None:
                    arrow, colour = (r"$\uparrow$", "green!50!black") if cell.delta >= 0 else (r"$\downarrow$", "red")
                    text += rf" {{\scriptsize\textcolor{{{colour}}}{{({arrow}{abs(cell.delta):.2f})}}}}"
                cells.append(text)
            out.append(f"{_latex_escape(row.label)} & {row.n} & " + " & ".join(cells) + r" \\")
        out.append(r"\bottomrule")
        out.append(r"\end{tabular}")
    return "\n".join(out)


def _format_csv(table: BenchmarkTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["row", "variant", "generator", "experiment", "n"]
    for column in table.columns:
        header += [f"{column.key}:mean", f"{column.key}:std", f"{column.key}:n", f"{column.key}:delta"]
    writer.writerow(header)
    for row in table.rows:
        line: list[Any] = [row.label, row.variant or "", row.generator or "", row.experiment, row.n]
        for column in table.columns:
            cell = row.cells.get(column.key)
            line += (
                ["", "", 0, ""]
                if cell is None
                else [_num(cell.mean), _num(cell.std), cell.n, _num(cell.delta)]
            )
        writer.writerow(line)
    return buffer.getvalue().rstrip("\n")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _format_json(table: BenchmarkTable) -> str:
    return json.dumps(table.to_dict(), indent=2)


#### Alignment-weight summaries ####


@dataclass
class Histogram:
    edges: list[float]
    counts: list[int]


@dataclass
class WeightStats:
    count: int
    mean: float | None
    """Mean ω."""
    std: float | None
    frac_zero: float | None
    """Fraction of samples with ω = 0 (dropped from training by the weighting)."""
    quantiles: dict[str, float | None]
    """ω at 10/25/50/75/90 %."""
    diff_mean: float | None
    """Mean of Δ = f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ) (the paper figure's red line)."""
    diff_std: float | None
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


def histogram(values: list[float], lo: float, hi: float, bins: int) -> Histogram:
    edges = [lo + (hi - lo) * i / bins for i in range(bins + 1)]
    counts = [0] * bins
    for v in values:
        i = int((v - lo) / (hi - lo) * bins)
        counts[min(max(i, 0), bins - 1)] += 1  # values outside [lo, hi] go to the end bins
    return Histogram(edges, counts)


DIFF_LIMITS = (0.05, 0.1, 0.25, 0.5, 1.0)
"""Half-widths the Δ histograms may use: the smallest that holds every |Δ| (shared by all groups of a summary)."""


def diff_limit(samples: list[SampleWeight]) -> float:
    largest = max((abs(s.f_target - s.f_other) for s in samples), default=1.0)
    return next((lim for lim in DIFF_LIMITS if largest <= lim), 1.0)


def weight_stats(samples: list[SampleWeight], bins: int = 20, diff_lim: float = 1.0) -> WeightStats:
    omegas = sorted(s.weight for s in samples)
    diffs = [s.f_target - s.f_other for s in samples]
    return WeightStats(
        count=len(samples),
        mean=mean(omegas),
        std=std(omegas),
        frac_zero=(sum(1 for w in omegas if w <= 1e-12) / len(omegas)) if omegas else None,
        quantiles={f"q{int(q * 100)}": quantile(omegas, q) for q in QUANTILES},
        diff_mean=mean(diffs),
        diff_std=std(diffs),
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
        by_type.setdefault(s.misalignment, []).append(s)
        by_generator.setdefault(s.generator, []).append(s)
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


def sparkline(counts: list[int], height: int = 1) -> list[str]:
    """Unicode bar chart of histogram counts, `height` text rows tall (top row first), one column per bin."""
    top = max(counts) if counts else 0
    rows = []
    for level in range(height, 0, -1):
        chars = []
        for c in counts:
            filled = (c / top * height * 8) if top else 0  # in eighths of a row
            part = filled - (level - 1) * 8
            chars.append(BLOCKS[8] if part >= 8 else BLOCKS[max(0, int(round(part)))] if part > 0 else " ")
            if c > 0 and level == 1 and chars[-1] == " ":
                chars[-1] = BLOCKS[1]  # a non-empty bin is always visible
        rows.append("".join(chars))
    return rows


def format_weights(summary: WeightsSummary, *, hist: str = "diff", height: int = 1, color: bool = False) -> str:
    """Per-type table (count, mean/std of ω, fraction at zero, mean/std of Δ) with a histogram per type."""
    if summary.count == 0:
        return f"run {summary.run_id}: no sample weights recorded"

    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

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
            diff_text = paint(diff_text, _RED)  # the paper marks negative mean differences in red
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
    width = int(spec.split(".")[0]) if spec[0].isdigit() else 0
    return "—".rjust(width) if value is None else format(value, spec)
