"""Views of a benchmark table (main, held-out probe, per type, controls) and the findings stated from its numbers.

A full table with controls holds several blocks of columns; a terminal answer shows the main block and a few lines
that say what the numbers mean, and names the other views, which `synvita table --view` prints on demand.
"""

from __future__ import annotations

from dataclasses import replace

from synvita.errors import UserInputError
from synvita.report.table import BenchmarkTable, Cell, TableColumn, TableRow

VIEWS = ("main", "probe", "types", "controls", "all")
"""main: the headline benchmarks and their mean; probe: rows with / without a held-out concept; types: AUC per
misalignment type (all rows and in-distribution rows); controls: shuffled / single-frame inputs; all: every block."""

EXTRA_VIEWS = ("probe", "types", "controls")

HELD_OUT, IN_DISTRIBUTION = "held-out=yes", "held-out=no"


def view_of(column: TableColumn) -> str:
    """Which view a column belongs to ('other' for secondary metrics such as R@k, shown only in 'all')."""
    if column.group == "benchmarks":
        return "main"
    if column.control:
        return "controls"
    kind = (column.subset or "").partition("=")[0]
    if kind == "held-out":
        return "probe"
    if kind in ("type", "id-type"):
        return "types"
    return "other"


def views_present(table: BenchmarkTable) -> list[str]:
    """The extra views that have at least one column in this table, in EXTRA_VIEWS order."""
    present = {view_of(c) for c in table.columns}
    return [v for v in EXTRA_VIEWS if v in present]


def select_view(table: BenchmarkTable, view: str) -> BenchmarkTable:
    """The table restricted to one view's columns (and each row's cells to those columns); 'all' keeps everything."""
    if view not in VIEWS:
        raise UserInputError(f"--view {view}: unknown view", hint=f"views: {', '.join(VIEWS)}")
    if view == "all":
        return table
    columns = [c for c in table.columns if view_of(c) == view]
    keys = {c.key for c in columns}
    rows = [replace(r, cells={k: c for k, c in r.cells.items() if k in keys}) for r in table.rows]
    return replace(table, columns=columns, rows=rows)


def findings(table: BenchmarkTable) -> list[str]:
    """One line per row that differs from the baseline: its difference in the mean column and, where the table has
    the held-out probe, the difference on rows with and without a held-out concept.

    e.g. "synvita − none: +7.9 mean; on held-out-concept rows +12.1, on in-distribution rows +3.4 (n = 3 vs 3)"."""
    base = next((r for r in table.rows if r.label == table.baseline), None)
    if base is None:
        return []
    held_out = [c.key for c in table.columns if view_of(c) == "probe" and c.subset == HELD_OUT]
    in_distribution = [c.key for c in table.columns if view_of(c) == "probe" and c.subset == IN_DISTRIBUTION]
    lines = []
    for row in table.rows:
        mean = row.cells.get("mean")
        if row is base or mean is None or mean.delta is None:
            continue
        text = f"{row.label} − {base.label}: {mean.delta:+.1f} mean"
        probe = [
            f"on {name} rows {delta:+.1f}"
            for name, keys in (("held-out-concept", held_out), ("in-distribution", in_distribution))
            if (delta := _mean_delta(row, keys)) is not None
        ]
        if probe:
            text += "; " + ", ".join(probe)
        lines.append(f"{text} (n = {row.n} vs {base.n})")
    return lines


def _mean_delta(row: TableRow, keys: list[str]) -> float | None:
    """Average difference to the baseline over these columns (None when the row has none of them)."""
    cells: list[Cell] = [row.cells[k] for k in keys if k in row.cells and row.cells[k].delta is not None]
    if not cells:
        return None
    return sum(c.delta for c in cells if c.delta is not None) / len(cells)
