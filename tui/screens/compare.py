"""The paper-style benchmark table: variants × six benchmarks and their mean, mean ± std over seeds, ↑/↓
deltas against a chosen baseline (green/red), the best value per column in bold; export to md/latex/csv/json.

The variant and the mean come first and stay fixed; the benchmark columns scroll sideways (←/→) with a line
saying how many are out of view, so the answer is on screen at 80 columns too.

The table itself (grouping, means, deltas, best) is computed by `api.table`; files are written from
`api.format_table`, the same text `synvita table --format …` prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static

from tui.messages import ActionFailed, TableLoaded
from tui.screens.base import SynvitaScreen
from tui.widgets.compare_grid import CompareGrid

EXPORT_FORMATS = (("Markdown", "md"), ("LaTeX", "latex"), ("CSV", "csv"), ("JSON", "json"))
EXPORT_SUFFIX = {"md": ".md", "latex": ".tex", "csv": ".csv", "json": ".json"}
SIGNIFICANT = "†"
"""The mark of a difference whose paired 95% interval excludes 0 (the one `synvita table` prints)."""

LABEL_WIDTH = 24
"""Widest row label; longer ones (`experiment · variant · generator`) wrap at their ` · ` separators."""


def parse_source(text: str) -> tuple[list[str], list[str]]:
    """Split the compare source box into (run ids, experiment names); words starting with `r-` are run ids."""
    words = text.replace(",", " ").split()
    return [w for w in words if w.startswith("r-")], [w for w in words if not w.startswith("r-")]


def cell_text(cell: Any, digits: int = 2) -> Text:
    """Two lines: `77.33 ↑0.17` (mean, delta vs the baseline; best in bold; `†` where the delta's 95% interval,
    paired by seed, excludes 0) over `±0.12` (std over seeds), as `synvita table` marks it.

    The arrows and the mark carry the meaning, so the table reads the same without colour (NO_COLOR)."""
    if cell is None or cell.mean is None:
        return Text("—", justify="right")
    text = Text(f"{cell.mean:.{digits}f}", style="bold" if cell.best else "")
    if cell.delta is not None:
        if cell.delta > 0:
            text.append(f" ↑{cell.delta:.{digits}f}", style="green")
        elif cell.delta < 0:
            text.append(f" ↓{-cell.delta:.{digits}f}", style="red")
        else:
            text.append(" =", style="dim")
        if cell.significant:
            text.append(SIGNIFICANT, style="bold")
    if cell.n and cell.n > 1 and cell.std is not None:
        text.append(f"\n±{cell.std:.{digits}f}", style="dim")
    text.justify = "right"
    return text


def row_label(label: str, n: int, baseline: bool, width: int = LABEL_WIDTH) -> Text:
    """The row's name wrapped at ` · ` to `width` (the baseline underlined), then `n=` seeds, dim."""
    lines: list[str] = []
    for part in label.split(" · "):
        if lines and len(lines[-1]) + 3 + len(part) <= width:
            lines[-1] += " · " + part
        else:
            if lines:
                lines[-1] += " ·"
            lines.append(part)
    text = Text(style="bold underline" if baseline else "")
    text.append("\n".join(line[:width] for line in lines))
    count = f"n={n}"
    text.append(f" {count}" if len(lines[-1]) + 1 + len(count) <= width else f"\n{count}", style="dim")
    return text


def column_header(label: str) -> Text:
    """Benchmark names on two lines (`retrieval` / `temporal`) to keep the paper's seven columns narrow."""
    head, sep, tail = label.partition("-")
    return Text(f"{head}\n{tail}" if sep else label, justify="right")


def _widest(texts: list[Text]) -> int:
    return max(len(line) for text in texts for line in text.plain.split("\n"))


class ExportModal(ModalScreen[tuple[str, str] | None]):
    """Asks for a format and a file name; dismisses with (fmt, path) or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without writing")]
    DEFAULT_CSS = """
    ExportModal { align: center middle; }
    ExportModal > Vertical { width: 64; max-width: 100%; height: auto; border: thick $accent; padding: 1 2;
                             background: $surface; }
    ExportModal Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    ExportModal Button { margin-left: 1; }
    """

    def __init__(self, default_stem: str) -> None:
        super().__init__()
        self.default_stem = default_stem

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export the table (the file's suffix picks the format: .md .tex .csv .json)")
            yield Select(EXPORT_FORMATS, value="md", allow_blank=False, id="export-format")
            yield Input(value=self.default_stem + ".md", id="export-path")
            with Horizontal():
                yield Button("Cancel", id="export-cancel")
                yield Button("Write", id="export-write", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Select.Changed, "#export-format")
    def _suffix(self, event: Select.Changed) -> None:
        path = self.query_one("#export-path", Input)
        path.value = str(Path(path.value).with_suffix(EXPORT_SUFFIX[str(event.value)]))

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-write")
    def _write(self) -> None:
        """The file's suffix wins over the selected format (typing table.csv writes CSV)."""
        path = self.query_one("#export-path", Input).value.strip()
        by_suffix = {suffix: fmt for fmt, suffix in EXPORT_SUFFIX.items()}
        fmt = by_suffix.get(Path(path).suffix.lower(), str(self.query_one("#export-format", Select).value))
        self.dismiss((fmt, path))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class CompareScreen(SynvitaScreen):
    """Pick experiments or run ids, read the table, change the baseline, export."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", tooltip="Back"),
        Binding("p", "pick", "Pick", tooltip="Type experiment names or run ids to compare"),
        Binding("b", "next_baseline", "Baseline", tooltip="Compare against the next variant"),
        Binding("x", "toggle_controls", "Controls", tooltip="Show or hide the shuffled / single-frame controls"),
        Binding("e", "export", "Export", tooltip="Write the table as Markdown, LaTeX, CSV or JSON"),
    ]

    def __init__(self, run_id: str | None = None, experiments: list[str] | None = None) -> None:
        super().__init__()
        self.initial_run_id = run_id
        self.source = " ".join(experiments or [])
        """What the table is built from: experiment names and/or run ids, as typed in the source box."""
        self.baseline = "none"
        """Variant the deltas are computed against (the paper's `None*` row by default)."""
        self.include_controls = False
        self.table: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="compare-body"):
            yield Input(value=self.source, placeholder="experiment names or run ids (p to edit, enter to load)",
                        id="compare-source", compact=True)
            yield Static("", id="compare-summary")
            yield CompareGrid(id="compare-table", cursor_type="row", header_height=2)
            yield Static("", id="compare-cue")
        yield Footer()

    def on_mount(self) -> None:
        grid = self.query_one(CompareGrid)
        grid.focus()
        cue_line = self.query_one("#compare-cue", Static)
        self.watch(grid, "cue", lambda cue: cue_line.update(cue))
        if self.source:
            self.reload()
        elif self.initial_run_id:
            self._source_from_run(self.initial_run_id)
        else:
            self._source_from_latest()

    @work(thread=True, exclusive=True, group="compare-source", exit_on_error=False)
    def _source_from_run(self, run_id: str) -> None:
        experiment = self.app.api.get_run(run_id).experiment
        self.app.call_from_thread(self._set_source, experiment)

    @work(thread=True, exclusive=True, group="compare-source", exit_on_error=False)
    def _source_from_latest(self) -> None:
        runs = self.app.api.list_runs(stage="evaluate", limit=1)
        self.app.call_from_thread(self._set_source, runs[0].experiment if runs else "")

    def _set_source(self, source: str) -> None:
        self.query_one("#compare-source", Input).value = source
        self.source = source
        if source:
            self.reload()
        else:
            self.query_one("#compare-summary", Static).update(
                "No evaluate runs yet: results appear once an experiment's evaluate stage has finished."
            )

    def action_pick(self) -> None:
        self.query_one("#compare-source", Input).focus()

    @on(Input.Submitted, "#compare-source")
    def _source_submitted(self, event: Input.Submitted) -> None:
        self.source = event.value
        self.query_one("#compare-table", DataTable).focus()
        self.reload()

    def reload(self) -> None:
        run_ids, experiments = parse_source(self.source)
        self.query_one("#compare-summary", Static).update("loading…")
        self._load_table(run_ids, experiments, self.baseline, self.include_controls)

    @work(thread=True, exclusive=True, group="compare-table", exit_on_error=False)
    def _load_table(self, run_ids: list[str], experiments: list[str], baseline: str, include_controls: bool) -> None:
        from synvita.errors import SynvitaError

        api = self.app.api
        try:
            table = api.table(run_ids=run_ids or None, experiments=experiments or None,
                              baseline=baseline, include_controls=include_controls)
        except SynvitaError as err:
            self.post_message(ActionFailed(err.one_line()))
            self.app.call_from_thread(self.query_one("#compare-summary", Static).update, err.one_line())
            return
        self.post_fresh(TableLoaded(table=table))

    @on(TableLoaded)
    def _show_table(self, message: TableLoaded) -> None:
        table = self.table = message.table
        grid = self.query_one(CompareGrid)
        grid.clear(columns=True)
        labels = [row_label(row.label, row.n, row.label == table.baseline) for row in table.rows]
        columns = sorted(table.columns, key=lambda c: c.key != "mean")  # the mean next to the variant, fixed
        cells = [[cell_text(row.cells.get(c.key)) for c in columns] for row in table.rows]
        # explicit widths (longest line of header or cell): the table looks the same however fast rows arrive
        grid.add_column("variant", key="variant", width=_widest([Text("variant"), *labels]))
        for i, column in enumerate(columns):
            header = column_header(column.label or column.key)
            grid.add_column(header, key=column.key, width=_widest([header, *(row[i] for row in cells)]))
        for row, label, row_cells in zip(table.rows, labels, cells):
            height = max((len(c.plain.split("\n")) for c in [label, *row_cells]), default=1)
            grid.add_row(label, *row_cells, key=row.label, height=height)
        grid.refit()
        n_runs = sum(len(r.runs) for r in table.rows)
        if not table.rows:
            text = "no benchmark results for this selection yet (they come from finished evaluate runs)"
        else:
            # † marks a difference whose 95% interval, paired by seed, excludes 0 (one seed: nothing is tested)
            tested = ", one seed: not tested" if table.one_seed else f", {SIGNIFICANT} significant"
            versus = (f"Δ vs [b]{table.baseline}[/b] (b){tested}" if table.baseline
                      else f"no baseline row '{table.requested_baseline}' (b)")
            text = (f"{len(table.rows)} rows · {n_runs} runs · mean ± std · {versus} · "
                    f"controls {'shown' if self.include_controls else 'hidden'} (x) · best in bold")
            if table.oracle:  # evaluate runs that recorded the benchmarks' reference numbers
                text += " · chance/oracle: " + ", ".join(
                    f"{b} {table.chance[b]:.0f}/{o:.0f}" if b in table.chance else f"{b} —/{o:.0f}"
                    for b, o in table.oracle.items())
            if table.at_chance:
                text += f" · at chance, not in mean: {', '.join(table.at_chance)}"
        self.query_one("#compare-summary", Static).update(text)

    def action_next_baseline(self) -> None:
        if self.table is None or not self.table.rows:
            return
        variants = [row.label for row in self.table.rows]
        current = variants.index(self.table.baseline) if self.table.baseline in variants else -1
        self.baseline = variants[(current + 1) % len(variants)]
        self.reload()

    def action_toggle_controls(self) -> None:
        self.include_controls = not self.include_controls
        self.reload()

    def action_export(self) -> None:
        if self.table is None:
            self.notify("nothing to export yet", severity="warning")
            return
        stem = "-".join(parse_source(self.source)[1]) or "synvita-table"

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer:
                self._export(self.table, *answer)

        self.app.push_screen(ExportModal(stem), chosen)

    @work(thread=True, exclusive=True, group="compare-export", exit_on_error=False)
    def _export(self, table: Any, fmt: str, path: str) -> None:
        text = self.app.api.format_table(table, fmt=fmt)
        target = Path(path).expanduser().resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        self.app.call_from_thread(self.notify, f"wrote {target}", title="Export")
