"""The runs table of the home screen: one row per run, cells refreshed in place as workers report.

A poll rewrites only the cells whose text changed and repaints only those cells, so that a ticking duration over
a slow SSH link (or in tmux) sends a few bytes a second rather than the whole table. Rows are keyed by position,
not by run id: when a new run pushes the page down, the rows are rewritten in place instead of rebuilt.
"""

from __future__ import annotations

import time
from typing import Callable

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from synvita.api import sanitize_terminal_text
from synvita.entities import Run
from tui.formatting import STATUS_STYLES, format_duration, format_number, progress_bar

COLUMNS = (
    ("id", "id", 9),
    ("experiment", "experiment", 13),
    ("stage", "stage", 9),
    ("variant", "variant", 10),
    ("seed", "seed", 5),
    ("status", "status", 10),
    ("progress", "progress", 9),
    ("time", "duration", 7),
    ("metric", "metric", 7),
    ("generator", "generator", 14),
)
"""(label, key, width incl. one space of gap); the generator comes last so that the rest fits 80 columns."""


def run_cells(run: Run, now: float) -> list[Text]:
    """The row for one run; `now` is passed in so that snapshots can freeze the clock."""
    duration = None
    if run.started_at is not None:
        duration = (run.finished_at or now) - run.started_at
    progress = run.progress
    if progress is None and run.status == "succeeded":
        progress = 1.0
    cells = [
        Text(sanitize_terminal_text(run.id), style="bold"),
        run.experiment,
        run.stage,
        run.variant or "",
        "" if run.seed is None else str(run.seed),
        Text(run.status, style=STATUS_STYLES.get(run.status, "")),
        progress_bar(progress, width=3) if run.status in ("running", "succeeded") or progress else "",
        format_duration(duration),
        format_number(run.key_metric),
        run.generator or "",
    ]
    return [_fit(cell, width - 1) for cell, (_, _, width) in zip(cells, COLUMNS)]


def _fit(cell: str | Text, width: int) -> Text:
    """Crop to the column (leaving its one-space gap), with an ellipsis when something was cut. Plain text (run
    names, variants, generators) is stripped of escape sequences and control characters first."""
    text = cell if isinstance(cell, Text) else Text(sanitize_terminal_text(cell))
    text.truncate(width, overflow="ellipsis")
    return text


def _same(a: Text, b: Text) -> bool:
    """Whether two cells look the same (rich's `Text.__eq__` ignores the base style, e.g. a status colour)."""
    return a.plain == b.plain and a.style == b.style and a.spans == b.spans


class RunsTable(DataTable):
    """DataTable of runs, one row per position on the page; `show_runs` repaints changed cells only, so the
    cursor never jumps and a poll redraws no more than what changed."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open", tooltip="Open the run under the cursor", show=True),
    ]

    def __init__(self, *, clock: Callable[[], float] = time.time, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, cell_padding=0, **kwargs)
        self.clock = clock
        self._row_ids: list[str] = []
        """Run id shown in each row, top to bottom."""
        self._row_cells: list[list[Text]] = []
        """The cells last written to each row, to find what a poll changed."""

    def on_mount(self) -> None:
        for label, key, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def show_runs(self, runs: list[Run]) -> None:
        now = self.clock()
        selected = self.selected_run_id
        rows = [run_cells(run, now) for run in runs]
        for index, cells in enumerate(rows[: len(self._row_cells)]):
            for column, (new, old) in enumerate(zip(cells, self._row_cells[index])):
                if not _same(new, old):
                    self._replace_cell(index, column, new)
        for index in range(len(self._row_cells), len(rows)):
            self.add_row(*rows[index], key=str(index))
        for index in range(len(rows), len(self._row_cells)):
            self.remove_row(str(index))
        self._row_cells = rows
        self._row_ids = [run.id for run in runs]
        if selected in self._row_ids and self._row_ids.index(selected) != self.cursor_row:
            self.move_cursor(row=self._row_ids.index(selected))

    def _replace_cell(self, row: int, column: int, value: Text) -> None:
        """What `DataTable.update_cell` does, but repainting only this cell: `update_cell` repaints the whole table.
        (`_data` holds the cells and `_update_count` invalidates the rendered-row cache.)"""
        self._data[self.ordered_rows[row].key][self.ordered_columns[column].key] = value
        self._update_count += 1
        self.refresh_coordinate(Coordinate(row, column))

    def run_id_at(self, row: int) -> str | None:
        """The run shown in row `row` (as in `DataTable.RowSelected.cursor_row`), or None past the last row."""
        return self._row_ids[row] if 0 <= row < len(self._row_ids) else None

    @property
    def selected_run_id(self) -> str | None:
        return self.run_id_at(self.cursor_row)
