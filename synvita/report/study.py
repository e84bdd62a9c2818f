"""`docs/results.md` of a study: its tables (main, Table 1, Table 2, main-table and ablation analogues), the held-out
versus in-distribution split, the mean Δ per misalignment type, the figures and the paper's findings with verdicts.

Everything comes from numbers already in the database (`synvita.api.study` gathers them); nothing is rerun. The
document lists the command that made it and says what varies across machines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from synvita.report import figures
from synvita.report.findings import VERDICT_RULE, Finding
from synvita.report.formats import format_table
from synvita.report.table import BenchmarkTable
from synvita.report.views import findings as split_lines
from synvita.report.views import select_view
from synvita.report.weights import PAPER_DELTA, WeightsSummary


@dataclass
class StudyInputs:
    experiment: str
    command: str
    tables: dict[str, tuple[str, BenchmarkTable]]
    """Key → (title, table): "main", "table1", "table2", "synvita", "ablation" (those the runs make)."""
    weights: WeightsSummary | None
    deltas_by_type: dict[str, list[float]]
    findings: list[Finding]
    machine: str = ""
    runs: int = 0
    seeds: list[int] = field(default_factory=list)


FIGURES = {
    "main": ("main.png", "benchmark_bars"),
    "table2": ("per-type.png", "difference_heatmap"),
    "ablation": ("ablation.png", "benchmark_bars"),
}
"""Table key → (PNG file, figure kind)."""
DELTA_FIGURE = "delta-by-type.png"


def write_study(inputs: StudyInputs, out_dir: Path, doc_path: Path) -> list[Path]:
    """Write the figures under `out_dir` and the document at `doc_path` (figures linked relative to it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    doc_path.parent.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for key, (title, table) in inputs.tables.items():
        if key in FIGURES and table.rows:
            name, kind = FIGURES[key]
            draw = getattr(figures, kind)
            written[key] = draw(select_view(table, "main"), out_dir / name, title)
    if inputs.deltas_by_type:
        written["delta"] = figures.delta_histograms(inputs.deltas_by_type, out_dir / DELTA_FIGURE)
    doc_path.write_text(render(inputs, {k: _relative(p, doc_path.parent) for k, p in written.items()}))
    return [doc_path, *written.values()]


def _relative(path: Path, start: Path) -> str:
    import os

    return os.path.relpath(path, start).replace(os.sep, "/")


def render(inputs: StudyInputs, images: dict[str, str]) -> str:
    """The Markdown document."""
    lines = [
        f"# Results: `{inputs.experiment}`",
        "",
        f"Made by `{inputs.command}` from the database alone (no run is repeated){', on ' + inputs.machine if inputs.machine else ''}; "
        f"{inputs.runs} evaluate runs, seeds {', '.join(map(str, inputs.seeds)) or '—'}.",
        "Every cell is mean ± std (ddof 1) over seeds with the 95% t-interval of the mean; a difference to the baseline "
        "is paired by seed with its own 95% t-interval (`†`: it excludes 0). The footer of each table gives each "
        "benchmark's chance level, the chance band of random scorers on its set, and the oracle (a scorer that "
        "knows the truth); a benchmark within the band for every row is at chance and left out of `mean`.",
        "",
        "On one machine, rerunning the study with the same seeds and as many runs at once (which sets each run's "
        "torch thread count: the cores divided by the runs at once, recorded in each run's env.json) gives the same "
        "tables digit for digit: the trained weights are byte-identical. A different thread count, CPU model, BLAS "
        "or torch build changes the order of floating-point sums in training; the losses part in their last bits "
        "within the first steps and the trained models, and so the numbers, drift apart by about as much as seeds "
        "do, which is what the intervals describe.",
        "",
        "## Findings of the paper on the embedded world",
        "",
        f"Rule: {VERDICT_RULE}",
        "",
    ]
    for finding in inputs.findings:
        lines.append(f"- **{finding.verdict}**: {finding.title}")
        for claim in finding.claims:
            lines.append(f"  - {claim.text}: {claim.verdict}, {claim.numbers()}")
    lines.append("")
    for key, heading in (("main", "Main table: every variant"), ("table1", "Table 1 analogue: naive synthetic data"),
                         ("table2", "Table 2 analogue: one misalignment type of synthetic data at a time"),
                         ("synvita", "Main-table analogue: SynViTA against the VideoCon recipe"),
                         ("ablation", "Ablation analogue: the weight rule φ")):
        if key not in inputs.tables:
            continue
        title, table = inputs.tables[key]
        lines += [f"## {heading}", "", title, "", format_table(select_view(table, "main"), "md"), ""]
        if key in images:
            lines += [f"![{heading}]({images[key]})", ""]
    if "main" in inputs.tables:
        _, main = inputs.tables["main"]
        probe = select_view(main, "probe")
        if probe.columns:
            lines += ["## Held-out concepts versus in-distribution rows", "",
                      "entail-human's rows with a concept never shown in a real training video (held-out=yes) and "
                      "without one (held-out=no); below, each variant's difference to the baseline on each part.", "",
                      format_table(probe, "md"), ""]
            lines += [f"- {line}" for line in split_lines(main)] + [""]
        types = select_view(main, "types")
        if types.columns:
            lines += ["## AUC per misalignment type (entail-llm)", "", format_table(types, "md"), ""]
    if inputs.weights is not None and inputs.weights.count:
        lines += ["## Mean Δ per misalignment type", "",
                  "Δ = f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ) over the score run's synthetic videos, and ω = max(0, Δ) (the paper's "
                  "weight-distribution figure; mean with its 95% t-interval over the videos).", "",
                  "| type | videos | mean Δ | 95% interval | std Δ | paper: mean Δ (std) | mean ω | ω = 0 |",
                  "|---|---:|---:|---|---:|---:|---:|---:|"]
        for name, st in [("all", inputs.weights.overall), *inputs.weights.by_type.items()]:
            interval = _mean_interval(inputs.deltas_by_type, name)
            paper = PAPER_DELTA.get(name)
            paper_cell = f"{paper[0]:+.2f} ({paper[1]:.2f})" if paper else "—"
            lines.append(
                f"| {name} | {st.count} | {_num(st.diff_mean, '+.3f')} | {interval} | {_num(st.diff_std, '.3f')} | "
                f"{paper_cell} | {_num(st.mean, '.3f')} | "
                f"{_num(None if st.frac_zero is None else 100 * st.frac_zero, '.0f')}% |"
            )
        lines.append("")
        if "delta" in images:
            lines += [f"![Δ per misalignment type]({images['delta']})", "",
                      "The paper's column is its weight-distribution figure (mPLUG-Owl scorers on text-to-video "
                      "generations): negative mean Δ for flip and hallucination only, positive for the other five "
                      "types. The sign pattern is the comparison that carries over; the magnitudes depend on the "
                      "scorers and the generator.", ""]
    return "\n".join(lines).rstrip() + "\n"


def _mean_interval(deltas_by_type: dict[str, list[float]], name: str) -> str:
    from synvita.report.stats import t_interval

    values = [d for ds in deltas_by_type.values() for d in ds] if name == "all" else deltas_by_type.get(name, [])
    interval = t_interval(values)
    return "—" if interval is None else f"[{interval[0]:+.3f}, {interval[1]:+.3f}]"


def _num(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)
