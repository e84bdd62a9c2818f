"""The runs table of the home screen: one row per run, cells refreshed in place as workers report."""

from __future__ import annotations

import time
from typing import Callable

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

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
        Text(run.id, style="bold"),
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
    """Crop to the column (leaving its one-space gap), with an ellipsis when something was cut."""
    text = cell if isinstance(cell, Text) else Text(cell)
    text.truncate(width, overflow="ellipsis")
    return text


class RunsTable(DataTable):
    """DataTable of runs keyed by run id; `show_runs` updates changed cells only so the cursor never jumps."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open", tooltip="Open the run under the cursor", show=True),
    ]

    def __init__(self, *, clock: Callable[[], float] = time.time, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, cell_padding=0, **kwargs)
        self.clock = clock
        self._row_ids: list[str] = []

    def on_mount(self) -> None:
        for label, key, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def show_runs(self, runs: list[Run]) -> None:
        now = self.clock()
        ids = [r.id for r in runs]
        if ids == self._row_ids:
            for run in runs:
                for (_, key, _), value in zip(COLUMNS, run_cells(run, now)):
                    self.update_cell(run.id, key, value)
            return
        selected = self.selected_run_id
        self.clear()
        for run in runs:
            self.add_row(*run_cells(run, now), key=run.id)
        self._row_ids = ids
        if selected in ids:
            self.move_cursor(row=ids.index(selected))

    @property
    def selected_run_id(self) -> str | None:
        if not self._row_ids or self.cursor_row < 0 or self.cursor_row >= len(self._row_ids):
            return None
        return self._row_ids[self.cursor_row]
