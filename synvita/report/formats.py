"""Renderers of a BenchmarkTable: text for the terminal, Markdown, LaTeX (booktabs), CSV and JSON.

Text, Markdown and LaTeX print each cell as mean ± std over seeds (ddof 1), the 95% interval of its mean
`[low, high]`, and its ↑/↓ difference to the baseline row (paired by seed, `±` the half-width of its 95% interval,
`†` where that interval excludes 0); they mark the best value of each column (bold, or `*` in text without colour),
in blocks of columns by group (headline benchmarks, then per-type subsets and controls), and end with a footer that
names the interval rule, each benchmark's chance level, chance band and oracle, and the benchmarks at chance. CSV and
JSON give the same numbers as fields (the CSV's reference numbers as rows '(chance)' and '(oracle)').
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from typing import Any

from synvita.errors import UserInputError
from synvita.report.table import AT_CHANCE_RULE, AT_CHANCE_RULE_NO_BAND, BenchmarkTable, Cell, TableColumn
from synvita.report.text import BOLD, DIM, GREEN, RED, paint


def format_table(table: BenchmarkTable, fmt: str = "text", *, color: bool = False) -> str:
    """Render a BenchmarkTable as text (blocks of columns), md, latex, csv or json."""
    formats = {"text": _format_text, "md": _format_markdown, "latex": _format_latex, "csv": _format_csv, "json": _format_json}
    if fmt not in formats:
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


def _fmt_delta(delta: float | None) -> str:
    """'↑1.20' / '↓0.35'; empty without a delta."""
    if delta is None:
        return ""
    return f"{'↑' if delta >= 0 else '↓'}{abs(delta):.2f}"


SIGNIFICANT = "†"
"""Marks a difference whose paired 95% interval excludes 0."""


def _fmt_difference(cell: Cell | None) -> str:
    """'↑1.20±0.89†': the difference to the baseline, ± the half-width of its paired interval, † when that interval
    excludes 0; '↑1.20' without an interval; empty without a delta."""
    if cell is None or cell.delta is None:
        return ""
    text = _fmt_delta(cell.delta)
    if cell.delta_low is not None and cell.delta_high is not None:
        text += f"±{(cell.delta_high - cell.delta_low) / 2:.2f}"
    return text + (SIGNIFICANT if cell.significant else "")


def _fmt_interval(cell: Cell | None) -> str:
    """'[61.12,62.88]': the 95% interval of the mean; empty for a single run."""
    if cell is None or cell.low is None or cell.high is None:
        return ""
    return f"[{cell.low:.2f},{cell.high:.2f}]"


def footer_lines(table: BenchmarkTable, *, best: str = "in bold") -> list[str]:
    """What the marks mean, which interval rule made the numbers, each benchmark's chance level and which
    benchmarks are at chance (and so left out of the mean); the text, Markdown and LaTeX tables end with these."""
    lines = [
        f"mean ± std (ddof 1) over n seeds; [low,high]: 95% interval of the mean ({table.interval_rule}); best per column {best}"
    ]
    if table.baseline and table.one_seed:
        lines.append(f"↑/↓: difference to the '{table.baseline}' row")
    elif table.baseline:
        lines.append(
            f"↑/↓: difference to the '{table.baseline}' row, paired by seed (same experiment, generator, seed); "
            f"±: half-width of the 95% t-interval over the per-seed differences; {SIGNIFICANT}: that interval excludes 0"
        )
    elif table.requested_baseline:
        lines.append(f"no '{table.requested_baseline}' row to compare against")
    if table.one_seed:
        lines.append("one seed: no intervals, differences are not tested")
    if table.chance_band or table.oracle:
        lines.append(
            "chance [95% band of random scorers on the set] / oracle (a scorer that knows the truth): "
            + ", ".join(_reference_text(table, b) for b in dict.fromkeys([*table.chance, *table.oracle]))
        )
    elif table.chance:
        lines.append("chance: " + ", ".join(f"{b} {c:.2f}" for b, c in table.chance.items()))
    if table.at_chance:
        rule = AT_CHANCE_RULE if any(b in table.chance_band for b in table.at_chance) else AT_CHANCE_RULE_NO_BAND
        lines.append(f"at chance ({rule}): {', '.join(table.at_chance)}; left out of mean")
    return lines


def _reference_text(table: BenchmarkTable, benchmark: str) -> str:
    """'entail-llm 50.00 [47.98,51.90] / 100.00' (parts the table lacks are left out)."""
    text = benchmark
    if benchmark in table.chance:
        text += f" {table.chance[benchmark]:.2f}"
    if benchmark in table.chance_band:
        low, high = table.chance_band[benchmark]
        text += f" [{low:.2f},{high:.2f}]"
    if benchmark in table.oracle:
        text += f" / {table.oracle[benchmark]:.2f}"
    return text


TEXT_FOOTER_WIDTH = 110
"""The text footer's lines are wrapped to this width (a terminal of 120 columns shows them whole)."""

TEXT_MAX_COLUMNS = 7
"""Columns per text block: the six benchmarks and their mean fit; wider groups (controls × subsets) are split."""


def _format_text(table: BenchmarkTable, color: bool = False) -> str:
    if not table.rows:
        return "(no benchmark results)"

    blocks = []
    label_width = max(len("variant"), *(len(r.label) for r in table.rows))
    for group, columns in _groups(table, max_columns=TEXT_MAX_COLUMNS):
        headers = [_header_lines(c.label) for c in columns]
        widths = []
        for column, (h1, h2) in zip(columns, headers):
            cells = [r.cells.get(column.key) for r in table.rows]
            texts = [_cell_main(c, star=not color) for c in cells] + [_fmt_interval(c) for c in cells]
            texts += [_fmt_difference(c) for c in cells]
            widths.append(max(len(h1), len(h2), *(len(t) for t in texts), 5))
        lines = []
        if group != "benchmarks":
            lines.append(paint(f"[{group}]", DIM, color))
        if any(h1 for h1, _ in headers):
            lines.append(" ".join([" " * label_width, " " * 2] + [h1.rjust(w) for (h1, _), w in zip(headers, widths)]).rstrip())
        lines.append(" ".join(["variant".ljust(label_width), "n".rjust(2)] + [h2.rjust(w) for (_, h2), w in zip(headers, widths)]))
        lines.append("─" * len(lines[-1]))
        for row in table.rows:
            main = [row.label.ljust(label_width), str(row.n).rjust(2)]
            interval = [" " * label_width, "  "]
            sub = [" " * label_width, "  "]
            for column, width in zip(columns, widths):
                cell = row.cells.get(column.key)
                text = _cell_main(cell, star=not color).rjust(width)
                main.append(paint(text, BOLD, color) if cell and cell.best else text)
                bounds = _fmt_interval(cell)
                interval.append(paint(bounds.rjust(width), DIM, color) if bounds else " " * width)
                delta = _fmt_difference(cell)
                code = GREEN if cell and cell.delta is not None and cell.delta >= 0 else RED
                sub.append(paint(delta.rjust(width), code, color) if delta else " " * width)
            lines.append(" ".join(main).rstrip())
            if any(c.low is not None for c in row.cells.values()):
                lines.append(" ".join(interval).rstrip())
            if any(c.delta is not None for c in row.cells.values()):
                lines.append(" ".join(sub).rstrip())
        blocks.append("\n".join(lines))
    footer = [
        wrapped
        for line in footer_lines(table, best="in bold" if color else "marked *")
        for wrapped in textwrap.wrap(line, TEXT_FOOTER_WIDTH, subsequent_indent="  ", break_on_hyphens=False)
    ]
    return "\n\n".join(blocks) + "".join("\n" + paint(line, DIM, color) for line in footer)


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
                if cell.low is not None:
                    text += f" {_fmt_interval(cell)}"
                if cell.delta is not None:
                    text += f" ({_fmt_difference(cell)})"
                cells.append(text)
            out.append(f"| {row.label} | {row.n} | " + " | ".join(cells) + " |")
    out.append("")
    out += [f"_{line}_  " for line in footer_lines(table)]
    return "\n".join(out).rstrip()


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
                if cell.low is not None:
                    text += rf" {{\scriptsize {_fmt_interval(cell)}}}"
                if cell.delta is not None:
                    arrow, colour = (r"$\uparrow$", "green!50!black") if cell.delta >= 0 else (r"$\downarrow$", "red")
                    half = "" if cell.delta_low is None else rf"$\pm${(cell.delta_high - cell.delta_low) / 2:.2f}"
                    mark = r"$^\dagger$" if cell.significant else ""
                    text += rf" {{\scriptsize\textcolor{{{colour}}}{{({arrow}{abs(cell.delta):.2f}{half}{mark})}}}}"
                cells.append(text)
            out.append(f"{_latex_escape(row.label)} & {row.n} & " + " & ".join(cells) + r" \\")
        out.append(r"\bottomrule")
        out.append(r"\end{tabular}")
    out += ["% " + line for line in footer_lines(table)]
    return "\n".join(out)


def _format_csv(table: BenchmarkTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["row", "variant", "generator", "experiment", "n"]
    for column in table.columns:
        header += [f"{column.key}:{field}" for field in CSV_FIELDS]
    writer.writerow(header)
    for row in table.rows:
        line: list[Any] = [row.label, row.variant or "", row.generator or "", row.experiment, row.n]
        for column in table.columns:
            cell = row.cells.get(column.key)
            line += (
                ["", "", 0, "", "", "", "", "", 0, ""]
                if cell is None
                else [
                    _num(cell.mean), _num(cell.std), cell.n, _num(cell.low), _num(cell.high), _num(cell.delta),
                    _num(cell.delta_low), _num(cell.delta_high), cell.delta_n, int(cell.significant),
                ]
            )
        writer.writerow(line)
    for label, values in _reference_rows(table):
        line = [label, "", "", "", 0]
        for column in table.columns:
            mean, low, high = values.get(column.key, (None, None, None))
            line += [_num(mean), "", 0, _num(low), _num(high), "", "", "", 0, ""]
        writer.writerow(line)
    return buffer.getvalue().rstrip("\n")


def _reference_rows(table: BenchmarkTable) -> list[tuple[str, dict[str, tuple[float | None, float | None, float | None]]]]:
    """The CSV's reference rows: '(chance)' (mean: the level, low/high: the band) and '(oracle)', per benchmark."""
    chance = {b: (level, *table.chance_band.get(b, (None, None))) for b, level in table.chance.items()}
    oracle = {b: (value, None, None) for b, value in table.oracle.items()}
    return [(label, values) for label, values in (("(chance)", chance), ("(oracle)", oracle)) if values]


CSV_FIELDS = ("mean", "std", "n", "low", "high", "delta", "delta_low", "delta_high", "delta_n", "significant")
"""Per column: mean, std (ddof 1), n, the mean's 95% interval, the difference to the baseline, its paired 95%
interval, the number of paired seeds and whether that interval excludes 0 (1/0). After the variants, the rows
'(chance)' (mean: the chance level, low/high: the chance band) and '(oracle)' (mean: the oracle's number) carry the
benchmarks' reference numbers; the rest of the footer (interval rule, benchmarks at chance) is in the JSON export."""


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _format_json(table: BenchmarkTable) -> str:
    return json.dumps(table.to_dict(), indent=2)


