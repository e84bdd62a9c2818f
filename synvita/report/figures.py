"""The study's figures as PNG (matplotlib, Agg backend): drawn from numbers already read from the database.

* `delta_histograms`: per misalignment type, the histogram of Δ = f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ) with its mean (dashed red
  line; the legend box in red where the mean is negative), laid out as the paper's weight-distribution figure.
* `benchmark_bars`: a table's rows as bars per benchmark with their 95% intervals, chance and oracle as lines.
* `difference_heatmap`: each row's paired difference to the baseline per benchmark (the Table 2 analogue).

Every figure is written with fixed size, dpi and no timestamps in its metadata, so the same numbers give the same
bytes on one machine (fonts and matplotlib's version may change them across machines).
"""

from __future__ import annotations

from pathlib import Path

from synvita.report.table import BenchmarkTable

DPI = 110
METADATA = {"Software": None}
"""PNG metadata: no matplotlib version string, so that a figure depends only on its numbers."""


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def delta_histograms(deltas_by_type: dict[str, list[float]], path: Path, bins: int = 20) -> Path:
    """One panel per type (and "all" first): the histogram of Δ over [−1, 1] with its mean and std."""
    plt = _pyplot()
    groups = {"all": [d for ds in deltas_by_type.values() for d in ds], **dict(sorted(deltas_by_type.items()))}
    cols = 4
    rows = (len(groups) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
    for ax, (name, values) in zip(axes.flat, groups.items()):
        ax.hist(values, bins=bins, range=(-1.0, 1.0), color="#4c72b0", edgecolor="black", linewidth=0.4)
        if values:
            m = sum(values) / len(values)
            s = (sum((v - m) ** 2 for v in values) / max(1, len(values) - 1)) ** 0.5
            ax.axvline(m, color="red", linestyle="--", linewidth=1.5)
            ax.text(0.97, 0.95, f"Mean: {m:.2f}\nStd: {s:.2f}\nn = {len(values)}", transform=ax.transAxes,
                    ha="right", va="top", color="red" if m < 0 else "black",
                    bbox={"facecolor": "white", "edgecolor": "grey"})
        ax.set_title(name.capitalize())
        ax.set_xlabel("f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ)")
        ax.set_ylabel("Count")
        ax.grid(True, linestyle=":", linewidth=0.5)
    for ax in list(axes.flat)[len(groups):]:
        ax.axis("off")
    return _save(plt, fig, path)


def benchmark_bars(table: BenchmarkTable, path: Path, title: str) -> Path:
    """Bars per benchmark (one per row) with the 95% interval of the mean; chance dotted, oracle dashed."""
    plt = _pyplot()
    benchmarks = [c.key for c in table.columns if c.group == "benchmarks" and c.key != "mean"]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(benchmarks)), 4.0))
    width = 0.8 / max(1, len(table.rows))
    for i, row in enumerate(table.rows):
        xs, means, errors = [], [], [[], []]
        for j, bench in enumerate(benchmarks):
            cell = row.cells.get(bench)
            if cell is None:
                continue
            xs.append(j + (i - (len(table.rows) - 1) / 2) * width)
            means.append(cell.mean)
            errors[0].append(cell.mean - cell.low if cell.low is not None else 0.0)
            errors[1].append(cell.high - cell.mean if cell.high is not None else 0.0)
        ax.bar(xs, means, width, yerr=errors, capsize=2, label=f"{row.label} (n = {row.n})")
    for j, bench in enumerate(benchmarks):
        if bench in table.chance:
            ax.hlines(table.chance[bench], j - 0.45, j + 0.45, colors="black", linestyles="dotted")
        if bench in table.oracle:
            ax.hlines(table.oracle[bench], j - 0.45, j + 0.45, colors="grey", linestyles="dashed")
    ax.set_xticks(range(len(benchmarks)))
    ax.set_xticklabels([b + (" (at chance)" if b in table.at_chance else "") for b in benchmarks], rotation=15)
    ax.set_ylabel("×100 (dotted: chance, dashed: oracle)")
    ax.set_title(title)
    ax.legend(fontsize="small", ncol=2)
    ax.grid(True, axis="y", linestyle=":", linewidth=0.5)
    return _save(plt, fig, path)


def difference_heatmap(table: BenchmarkTable, path: Path, title: str) -> Path:
    """Rows × benchmarks: the paired difference to the baseline row († where its interval excludes 0)."""
    plt = _pyplot()
    benchmarks = [c.key for c in table.columns if c.group == "benchmarks"]
    rows = [r for r in table.rows if r.label != table.baseline]
    grid = [[(r.cells[b].delta if b in r.cells and r.cells[b].delta is not None else 0.0) for b in benchmarks]
            for r in rows]
    limit = max([abs(v) for line in grid for v in line] + [1.0])
    fig, ax = plt.subplots(figsize=(1.4 * len(benchmarks) + 2.5, 0.5 * len(rows) + 1.6))
    image = ax.imshow(grid, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    for i, row in enumerate(rows):
        for j, bench in enumerate(benchmarks):
            cell = row.cells.get(bench)
            if cell is not None and cell.delta is not None:
                ax.text(j, i, f"{cell.delta:+.1f}{'†' if cell.significant else ''}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(benchmarks)))
    ax.set_xticklabels(benchmarks, rotation=20)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r.label for r in rows])
    ax.set_title(f"{title} (difference to {table.baseline}; †: paired 95% interval excludes 0)")
    fig.colorbar(image, ax=ax)
    return _save(plt, fig, path)


def _save(plt, fig, path: Path) -> Path:
    """Write the figure as a PNG (with `METADATA`) and free it."""
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, metadata=METADATA)
    plt.close(fig)
    return path
