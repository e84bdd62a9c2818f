"""ω of a scoring run, as in the paper's weight-distribution figure: one histogram per misalignment type with
its mean and std, and the same split by generator or by the embedded world's ground-truth `faithful` flag.

Opened on a train or evaluate run, the screen follows its lineage to the score run whose weights it used
(`api.weights_source`, the lookup `synvita weights RUN` makes); when there is none it says why in one line.

The numbers come from `api.weights_summary` (the CLI's `synvita weights` prints the same); this screen only
lays them out: a table of groups (count, mean, std, fraction at zero, quantiles, a sparkline of the histogram)
and a large histogram of the highlighted group with its mean marked.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static
from textual_plotext import PlotextPlot

from tui.formatting import sparkline
from tui.messages import WeightsLoaded
from tui.screens.base import SynvitaScreen

GROUPINGS = ("misalignment", "generator", "faithful")
"""What `g` cycles through: the paper's per-type panels, per generator, and the world's ground truth."""


def summary_groups(summary: Any, by: str) -> list[tuple[str, Any, float | None]]:
    """(label, WeightStats, faithful-vs-unfaithful AUROC or None) rows for one grouping of a WeightsSummary."""
    if by == "misalignment":
        return [("all", summary.overall, None)] + [(k, v, None) for k, v in summary.by_type.items()]
    if by == "generator":
        return [("all", summary.overall, None)] + [(k, v, None) for k, v in summary.by_generator.items()]
    rows = []
    for kind, split in summary.by_faithful.items():
        auroc = summary.faithful_auroc.get(kind)
        for flag, stats in split.items():
            rows.append((f"{kind} · {flag}", stats, auroc if flag == "faithful" else None))
    return rows


def why_no_weights(run: Any) -> str:
    """One line on why `run` has no score run upstream, hence no sample weights."""
    if run.variant == "none":
        return (f"{run.stage} run {run.id} is variant none: it trains on real videos only, "
                "so it uses no synthetic data and no weights.")
    if run.stage in ("world", "generate", "pretrain"):
        return f"{run.stage} run {run.id} comes before scoring: sample weights come from a score run."
    return f"{run.stage} run {run.id} depends on no score run, so it uses no sample weights."


def _num(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


class WeightsScreen(SynvitaScreen):
    """Histogram table per group plus the highlighted group's histogram."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", tooltip="Back"),
        Binding("g", "cycle_grouping", "Group by", tooltip="Group by misalignment type, generator or ground-truth faithful"),
        Binding("h", "toggle_histogram", "Δ/ω", tooltip="Plot Δ (the paper figure) or ω = max(0, Δ)"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        """The run `w` was pressed on."""
        self.run: Any = None
        """That run as read from the store."""
        self.source: Any = None
        """The score run whose weights are shown (the run itself, or the one its lineage leads to)."""
        self.summary: Any = None
        self.grouping = GROUPINGS[0]
        """Current grouping (one of GROUPINGS)."""
        self.groups: list[tuple[str, Any, float | None]] = []
        self.histogram = "diff"
        """Which histogram the plot shows: "diff" (Δ, as in the paper figure) or "omega"."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="weights-body"):
            yield Static(f"run {self.run_id}: loading ω…", id="weights-summary")
            yield DataTable(id="weights-table", cursor_type="row", zebra_stripes=True)
            yield PlotextPlot(id="weights-plot")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#weights-table", DataTable).focus()
        self._load_summary(self.run_id)

    @work(thread=True, exclusive=True, group="weights", exit_on_error=False)
    def _load_summary(self, run_id: str) -> None:
        api = self.app.api
        run = api.get_run(run_id)
        source = api.weights_source(run_id)
        summary = None if source is None else api.weights_summary(source.id)
        self.post_fresh(WeightsLoaded(run=run, source=source, summary=summary))

    @on(WeightsLoaded)
    def _show_summary(self, message: WeightsLoaded) -> None:
        self.run, self.source = message.run, message.source
        if message.source is None:
            self.query_one("#weights-summary", Static).update(why_no_weights(message.run))
            self.query_one("#weights-table").add_class("-hidden")
            self.query_one("#weights-plot").add_class("-hidden")
            return
        self.summary = message.summary
        self._fill_table()

    def action_cycle_grouping(self) -> None:
        self.grouping = GROUPINGS[(GROUPINGS.index(self.grouping) + 1) % len(GROUPINGS)]
        if self.summary is not None:
            self._fill_table()

    def action_toggle_histogram(self) -> None:
        self.histogram = "omega" if self.histogram == "diff" else "diff"
        self._draw(self.query_one("#weights-table", DataTable).cursor_row)

    def _fill_table(self) -> None:
        summary = self.summary
        self.groups = summary_groups(summary, self.grouping)
        source = self.source
        named = f"score run {source.id}"
        if source.id != self.run.id:
            named += f" (used by {self.run.stage} run {self.run.id})"
        if summary.count == 0:
            headline = (f"{named} recorded no sample weights" if source.status == "succeeded"
                        else f"{named} is {source.status}: its weights appear when it has finished")
        elif not self.groups:
            headline = f"{named}: no ground-truth `faithful` flags (only the embedded world has them) · g: next grouping"
        else:
            headline = (f"{named} · {summary.count} synthetic videos · by {self.grouping} (g) · "
                        f"Δ = f̄(V,tˢ) − f̄(V,tʳ), ω = max(0, Δ) · h: Δ/ω histogram")
        self.query_one("#weights-summary", Static).update(headline)
        table = self.query_one("#weights-table", DataTable)
        table.clear(columns=True)
        columns = ["group", "n", "Δ mean", "Δ std", "ω mean", "ω=0", "q10", "q50", "q90", "Δ hist"]
        if self.grouping == "faithful":
            columns.insert(-1, "AUROC")
        used = [i for i, count in enumerate(summary.overall.diff_hist.counts) if count] or [0]
        span = slice(used[0], used[-1] + 1)  # sparklines cover the bins the run uses, like the plot's x range
        rows = []
        for label, stats, auroc in self.groups:
            q = stats.quantiles
            negative = stats.diff_mean is not None and stats.diff_mean < 0
            rows.append([
                Text(label, style="bold" if label == "all" else ""),
                str(stats.count),
                Text(_num(stats.diff_mean, "+.2f"), style="red" if negative else "", justify="right"),
                _num(stats.diff_std, ".2f"),
                _num(stats.mean, ".2f"),
                _num(stats.frac_zero, ".0%"),
                _num(q.get("q10"), ".2f"),
                _num(q.get("q50"), ".2f"),
                _num(q.get("q90"), ".2f"),
                *([_num(auroc, ".2f")] if self.grouping == "faithful" else []),
                sparkline(stats.diff_hist.counts[span]),
            ])
        for i, name in enumerate(columns):  # explicit widths: the same layout however fast rows arrive
            table.add_column(name, width=max([len(name)] + [len(Text(row[i]).plain if isinstance(row[i], str)
                                                               else row[i].plain) for row in rows]))
        for row in rows:
            table.add_row(*row)
        self._draw(0)

    @on(DataTable.RowHighlighted, "#weights-table")
    def _highlight(self, event: DataTable.RowHighlighted) -> None:
        self._draw(event.cursor_row)

    def _x_range(self, edges: list[float], diff: bool) -> tuple[float, float]:
        """The span of the non-empty bins of the whole run (one bin of margin), the same for every group."""
        overall = self.summary.overall.diff_hist if diff else self.summary.overall.omega_hist
        used = [i for i, count in enumerate(overall.counts) if count]
        if not used:
            return edges[0], edges[-1]
        return edges[max(0, used[0] - 1)], edges[min(len(edges) - 1, used[-1] + 2)]

    def _draw(self, index: int) -> None:
        plot = self.query_one("#weights-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        if 0 <= index < len(self.groups):
            label, stats, _ = self.groups[index]
            diff = self.histogram == "diff"
            hist = stats.diff_hist if diff else stats.omega_hist
            center, spread = (stats.diff_mean, stats.diff_std) if diff else (stats.mean, stats.std)
            edges, counts = list(hist.edges), list(hist.counts)
            if counts and stats.count:
                width = edges[1] - edges[0]
                plt.bar([a + width / 2 for a in edges[:-1]], counts, width=0.9)
                if center is not None:  # the paper figure's red line at the mean, drawn over the bars
                    plt.plot([center, center], [0, max(counts)], color="red", marker="│")
                lo, hi = self._x_range(hist.edges, diff)
                step = 0.25 if hi - lo > 0.6 else 0.1
                ticks = [k * step for k in range(int(lo // step), int(hi // step) + 2) if lo <= k * step <= hi]
                plt.xticks(ticks, [f"{t:+.2f}" if diff else f"{t:.2f}" for t in ticks])
                plt.xlim(lo, hi)
            plt.title(f"{label}   mean {_num(center, '+.2f')}   std {_num(spread, '.2f')}   n {stats.count}")
            plt.xlabel("Δ = f̄(V,tˢ) − f̄(V,tʳ)" if diff else "ω = max(0, Δ)")
        plot.refresh()
