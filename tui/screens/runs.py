"""The home screen: a live, filterable, paginated table of runs.

Only the visible page is read (`api.list_runs(limit, offset)` plus `api.count_runs`), so the screen costs the
same with ten runs or ten thousand. A poll timer re-reads the page; the cursor stays on the same run.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import DataTable, Footer, Header, Input, Static

from synvita.entities import RUN_STATUSES
from tui.formatting import FilterSyntaxError, format_duration, format_filter, parse_filter
from tui.messages import RunChanged, RunsLoaded
from tui.screens.base import SynvitaScreen
from tui.widgets.runs_table import RunsTable

SORT_KEYS = ("created_at", "status", "experiment", "stage", "key_metric", "finished_at")
"""Columns the store can order by; `s` cycles through them, clicking a header picks one."""
HEADER_SORT = {"id": "created_at", "experiment": "experiment", "stage": "stage", "status": "status",
               "metric": "key_metric", "duration": "finished_at"}

EMPTY_TEXT = """\
[b]No runs yet.[/b]

Press [b]n[/b] to queue the embedded [i]quickstart[/i] experiment (about 10 minutes on 2 CPU cores),
then [b]W[/b] to start a local worker here, or run [b]synvita worker[/b] in another shell.

From a shell:  [b]synvita run quickstart[/b]  ·  [b]synvita doctor[/b] checks the installation.
Press [b]?[/b] for help."""


class RunsScreen(SynvitaScreen):
    """Runs list with filter, sort, pages, and the actions that apply to one run."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", tooltip="Filter by experiment:, status:, stage:, variant:, generator: or search by name"),
        Binding("n", "queue", "Queue run", tooltip="Open the form that queues an experiment"),
        Binding("c", "cancel_run", "Cancel", tooltip="Cancel the selected run (asks first)"),
        Binding("r", "retry_run", "Retry", tooltip="Re-queue a failed, lost or cancelled run (asks first)"),
        Binding("w", "weights", "Weights", tooltip="ω histograms of the selected scoring run"),
        Binding("m", "compare", "Compare", tooltip="Benchmark table of the selected run's experiment"),
        Binding("s", "cycle_sort", "Sort", tooltip="Sort by the next column (created, status, experiment, stage, metric, finished)"),
        Binding("right_square_bracket", "page(1)", "Next page", show=False, tooltip="Next page of runs"),
        Binding("left_square_bracket", "page(-1)", "Prev page", show=False, tooltip="Previous page of runs"),
        Binding("escape", "clear_filter", "Clear filter", show=False, tooltip="Remove the filter"),
    ]

    filters: reactive[dict[str, str]] = reactive(dict, init=False)
    """Store filters from the `/` filter bar (status, experiment, generator, stage, variant, text)."""
    sort_key: reactive[str] = reactive("created_at", init=False)
    """Column the store orders by; newest first for dates."""
    offset: reactive[int] = reactive(0, init=False)
    """Index of the first run on the visible page."""
    total: int = 0
    """Number of runs matching the filter (from the last poll)."""
    progress: str = ""
    """The newest unfinished submission's runs done of all and ETA (empty when none runs)."""
    page_size: int = 20
    """Rows read per poll: the table's visible height, never the whole database."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="runs-body"):
            yield Input(placeholder="exp:NAME stat:running stag:train var:none words…  enter: apply · esc: clear",
                        id="runs-filter", classes="-hidden", compact=True)
            yield Static("", id="runs-summary")
            yield RunsTable(id="runs-table", clock=self.app.clock)
            yield Static(EMPTY_TEXT, id="runs-empty", classes="-hidden")
        yield Footer()

    def on_mount(self) -> None:
        self.page_size = max(10, self.app.size.height - 6)
        self.query_one(RunsTable).focus()
        self.refresh_runs()
        self.set_interval(self.app.poll_interval_s, self._tick, name="runs-poll")

    def _tick(self) -> None:
        if not self.busy("runs-poll"):
            self.refresh_runs()

    def on_resize(self) -> None:
        self.page_size = max(10, self.app.size.height - 6)

    def on_screen_resume(self) -> None:
        self.refresh_runs()

    # ---- loading -------------------------------------------------------------------------------------------

    def refresh_runs(self) -> None:
        if not self.is_current:
            return  # covered by another screen; on_screen_resume reloads
        self._load_runs(dict(self.filters), self.sort_key, self.offset, self.page_size)

    @work(thread=True, exclusive=True, group="runs-poll", exit_on_error=False)
    def _load_runs(self, filters: dict[str, str], sort_key: str, offset: int, limit: int) -> None:
        api = self.app.api
        if not self.app.read_only:
            api.reap_lost()  # runs of a dead worker become `lost` (only where the database is writable)
        total = api.count_runs(**filters)
        if offset >= total and total:
            offset = max(0, (total - 1) // limit * limit)
        runs = api.list_runs(**filters, order_by=sort_key, descending=sort_key in ("created_at", "finished_at", "key_metric"), limit=limit, offset=offset)
        self.post_fresh(RunsLoaded(runs=runs, total=total, offset=offset, progress=self._submission_progress()))

    def _submission_progress(self) -> str:
        """The newest submission's progress while it runs, as the CLI's bar shows it: runs done of all and the ETA
        from the measured cost of its finished runs."""
        api = self.app.api
        submission = api.latest_submission()
        if submission is None or not api.count_runs(submission=submission, status=["queued", "running"]):
            return ""  # nothing left to run: a count in SQL instead of reading every run of the submission
        progress = api.progress(submission)
        if progress.finished:
            return ""
        eta = progress.eta_s(self.app.clock())
        return f"{submission} {progress.done}/{progress.total} runs done" + (f", ETA {format_duration(eta)}" if eta is not None else "")

    @on(RunsLoaded)
    def _show_runs(self, message: RunsLoaded) -> None:
        self.total = message.total
        self.progress = message.progress
        if message.offset != self.offset:
            self.set_reactive(RunsScreen.offset, message.offset)
        table = self.query_one(RunsTable)
        table.show_runs(message.runs)
        empty = message.total == 0 and not self.filters
        if empty and self.app.read_only:
            self.query_one("#runs-empty", Static).update(
                f"[b]No runs in {getattr(self.app.api, 'db_path', 'this database')}.[/b]\n\n"
                "Started with --read-only, so nothing can be queued here: run `synvita run quickstart` in a shell, "
                "or open another database with `synvita --db PATH tui`.")
        self.query_one("#runs-empty").set_class(not empty, "-hidden")
        table.set_class(empty, "-hidden")
        self._update_summary()

    def _update_summary(self) -> None:
        pages = max(1, -(-self.total // self.page_size))
        page = self.offset // self.page_size + 1
        parts = [f"{self.total} run{'s' if self.total != 1 else ''}"]
        if self.progress:
            parts.append(self.progress)
        if self.filters:
            parts.append(f"filter: {format_filter(self.filters)}")
        parts.append(f"sort: {self.sort_key.replace('_at', '')}")
        parts.append(f"page {page}/{pages}")
        if self.app.local_worker is not None:
            parts.append("local worker: on")
        if self.app.read_only:
            parts.append("read-only")
        self.query_one("#runs-summary", Static).update(" · ".join(parts))

    def watch_filters(self) -> None:
        self.offset = 0
        self.refresh_runs()

    def watch_sort_key(self) -> None:
        self.refresh_runs()

    def watch_offset(self) -> None:
        self.refresh_runs()

    # ---- filter, sort, pages ------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#runs-filter", Input)
        box.remove_class("-hidden")
        box.value = format_filter(self.filters)
        box.focus()

    @on(Input.Submitted, "#runs-filter")
    def _apply_filter(self, event: Input.Submitted) -> None:
        try:
            self.filters = parse_filter(event.value)
        except FilterSyntaxError as err:
            self.notify(str(err), severity="error", title="Filter")
            return
        self.query_one(RunsTable).focus()
        if not self.filters:
            event.input.add_class("-hidden")

    def action_clear_filter(self) -> None:
        box = self.query_one("#runs-filter", Input)
        box.value = ""
        box.add_class("-hidden")
        self.query_one(RunsTable).focus()
        if self.filters:
            self.filters = {}

    def key_escape(self) -> None:
        self.action_clear_filter()

    def action_cycle_sort(self) -> None:
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]

    @on(DataTable.HeaderSelected)
    def _sort_by_header(self, event: DataTable.HeaderSelected) -> None:
        key = HEADER_SORT.get(str(event.column_key.value))
        if key is not None:
            self.sort_key = key

    def action_page(self, step: int) -> None:
        new_offset = self.offset + step * self.page_size
        if 0 <= new_offset < max(self.total, 1):
            self.offset = new_offset

    # ---- one run -------------------------------------------------------------------------------------------

    @property
    def selected_run_id(self) -> str | None:
        return self.query_one(RunsTable).selected_run_id

    @on(DataTable.RowSelected, "#runs-table")
    def _open_run(self, event: DataTable.RowSelected) -> None:
        run_id = self.query_one(RunsTable).run_id_at(event.cursor_row)
        if run_id is not None:
            self.app.open_run(run_id)

    def action_queue(self) -> None:
        self.app.action_queue_run()

    def action_weights(self) -> None:
        if self.selected_run_id:
            self.app.open_weights(self.selected_run_id)

    def action_compare(self) -> None:
        run_id = self.selected_run_id
        self.app.open_compare(run_id=run_id)

    def action_cancel_run(self) -> None:
        self.confirm_run_change(self.selected_run_id, "cancel")

    def action_retry_run(self) -> None:
        self.confirm_run_change(self.selected_run_id, "retry")

    @on(RunChanged)
    def _run_changed(self, message: RunChanged) -> None:
        self.notify(f"{message.run.id}: {message.run.status}", title=message.action)
        self.refresh_runs()


__all__ = ["RunsScreen", "RUN_STATUSES"]
