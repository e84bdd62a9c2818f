"""One run: its fields and resolved config, a live log tail, metric curves, artifacts and benchmark results.

While the run is not finished the screen polls: the run row, new events since the last seen seq (the log
tail), and the points of each metric curve past the last one drawn (a new curve arrives thinned in SQL).
Consecutive progress events collapse into one line, as a terminal would show a progress bar redrawn with carriage
returns. The curves panel shares its height with the end of the log, so a training run can be watched on one screen
at 80×24.
"""

from __future__ import annotations

import json

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Log, OptionList, Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot

from synvita.api import LOG_KINDS, sanitize_terminal_text
from synvita.entities import TERMINAL_STATUSES, Attempt, Run
from tui.formatting import STATUS_STYLES, format_duration, format_number, format_timestamp, merge_collapsed, progress_bar
from tui.messages import LogTailed, MetricsLoaded, RunChanged, RunLoaded
from tui.screens.base import SynvitaScreen

LOG_TAIL_LINES = 500
"""Lines kept in the log panel; older lines scroll away (the full log stays in the run directory)."""

CURVE_POINTS = 500
"""Points a curve is drawn with: a long series is thinned by the store, and again here as new points arrive."""


def thin_curve(steps: list[int], values: list[float]) -> tuple[list[int], list[float]]:
    """The curve as it is, or every other point (the last kept) once it holds more than 2 × CURVE_POINTS."""
    if len(steps) <= 2 * CURVE_POINTS:
        return steps, values
    keep = list(range(0, len(steps) - 1, 2)) + [len(steps) - 1]
    return [steps[i] for i in keep], [values[i] for i in keep]


def attempt_text(attempt: Attempt) -> str:
    """One execution of the run: `#2 slurm job 1234 on node7, 12:00:01 → 12:30:44, requeued by Slurm`."""
    where = f" on {attempt.node}" if attempt.node else ""
    job = f" job {attempt.job_id}" if attempt.job_id else ""
    ended = format_timestamp(attempt.ended_at) if attempt.ended_at else "…"
    return (f"#{attempt.number} {attempt.executor}{job}{where}, "
            f"{format_timestamp(attempt.started_at or attempt.submitted_at)} → {ended}, {attempt.end_reason or 'running'}")


def overview_table(run: Run, now: float, attempts: list[Attempt] | None = None) -> Table:
    """The run's fields as a two-column grid (with its attempts and the resources of the latest, when recorded)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    duration = None if run.started_at is None else (run.finished_at or now) - run.started_at
    rows = [
        ("run", run.id),
        ("status", Text(run.status, style=STATUS_STYLES.get(run.status, ""))),
        ("experiment", run.experiment),
        ("submission", run.submission),
        ("stage", run.stage),
        ("variant", run.variant or "—"),
        ("generator", run.generator or "—"),
        ("seed", "—" if run.seed is None else str(run.seed)),
        ("progress", (progress_bar(run.progress, 12) + "  " + run.progress_msg).strip() or "—"),
        ("depends on", ", ".join(run.depends_on) or "—"),
        ("created", format_timestamp(run.created_at)),
        ("started", format_timestamp(run.started_at)),
        ("finished", format_timestamp(run.finished_at)),
        ("duration", format_duration(duration)),
        ("attempt", str(run.attempt)),
        ("worker", run.worker or "—"),
        ("key metric", format_number(run.key_metric)),
        ("run dir", run.run_dir or "—"),
    ]
    if run.error:
        rows.append(("error", Text(sanitize_terminal_text(run.error), style="bold red")))
    if attempts:
        if attempts[-1].resources:
            rows.append(("resources", " ".join(f"{k}={v}" for k, v in attempts[-1].resources.items())))
        rows.append(("attempts", "\n".join(attempt_text(a) for a in attempts)))
    for name, value in rows:  # names, errors and paths a user chose: no escape sequences reach the terminal
        grid.add_row(name, value if isinstance(value, Text) else sanitize_terminal_text(value, multiline=True))
    return grid


class RunDetailScreen(SynvitaScreen):
    """Tabs: overview (fields + resolved config), log, curves, artifacts, results."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the runs list"),
        Binding("c", "cancel_run", "Cancel", tooltip="Cancel this run (asks first)"),
        Binding("r", "retry_run", "Retry", tooltip="Re-queue this run (asks first)"),
        Binding("w", "weights", "Weights", tooltip="ω histograms (scoring runs)"),
        Binding("m", "compare", "Compare", tooltip="Benchmark table of this run's experiment"),
        Binding("1", "show_tab('tab-overview')", "Overview", show=False, tooltip="Fields and resolved config"),
        Binding("2", "show_tab('tab-log')", "Log", show=False, tooltip="Live log tail"),
        Binding("3", "show_tab('tab-curves')", "Curves", show=False, tooltip="Loss and metric curves"),
        Binding("4", "show_tab('tab-artifacts')", "Artifacts", show=False, tooltip="Files the run wrote"),
        Binding("5", "show_tab('tab-results')", "Results", show=False, tooltip="Benchmark results"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.run: Run | None = None
        """The run as last read from the store."""
        self.log_lines: list[str] = []
        self.log_ends_in_progress = False
        self.last_seq = -1
        """Highest event seq already in the log panel; the next tail reads after it."""
        self.curves: dict[str, tuple[list[int], list[float]]] = {}
        self.selected_curve: str | None = None
        self._shown: dict[str, object] = {}
        """What each rarely changing part (config, artifacts, results, curves) shows now; see `_changed`."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="detail-summary")
        with TabbedContent(id="detail-tabs"):
            with TabPane("1 Overview", id="tab-overview"):
                with VerticalScroll():
                    yield Static("", id="detail-fields")
                    yield Static("\n[b]resolved config[/b] (what the stage received)", id="detail-config-title")
                    yield Static("", id="detail-config")
            with TabPane("2 Log", id="tab-log"):
                yield Log(id="detail-log", max_lines=LOG_TAIL_LINES, auto_scroll=True)
            with TabPane("3 Curves", id="tab-curves"), Vertical():
                with Horizontal(id="curves-pane"):
                    yield OptionList(id="curves-names")
                    yield PlotextPlot(id="curves-plot")
                yield Log(id="curves-log", max_lines=LOG_TAIL_LINES, auto_scroll=True)
            with TabPane("4 Artifacts", id="tab-artifacts"):
                yield DataTable(id="detail-artifacts", cursor_type="row")
            with TabPane("5 Results", id="tab-results"):
                yield DataTable(id="detail-results", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail-artifacts", DataTable).add_columns("name", "path")
        self.query_one("#detail-results", DataTable).add_columns("benchmark", "metric", "subset", "control", "value")
        self.refresh_all()
        self.set_interval(self.app.poll_interval_s, self._poll, name="detail-poll")

    def _poll(self) -> None:
        if self.is_current and (self.run is None or self.run.status not in TERMINAL_STATUSES):
            if not any(self.busy(group) for group in ("detail-run", "detail-log", "detail-metrics")):
                self.refresh_all()

    def refresh_all(self) -> None:
        self._load_run(self.run_id)
        self._tail_log(self.run_id, self.last_seq + 1)
        self._load_metrics(self.run_id)

    # ---- workers -------------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="detail-run", exit_on_error=False)
    def _load_run(self, run_id: str) -> None:
        api = self.app.api
        if not self.app.read_only:
            api.reap_lost()  # a dead worker's run shows `lost` here even when no worker runs
        run = api.get_run(run_id)
        self.post_fresh(RunLoaded(run=run, artifacts=api.artifacts(run_id), results=api.results(run_id),
                                  attempts=api.attempts(run_id)))

    @work(thread=True, exclusive=True, group="detail-log", exit_on_error=False)
    def _tail_log(self, run_id: str, since_seq: int) -> None:
        events = self.app.api.logs(run_id, since_seq=since_seq, tail=None if since_seq else LOG_TAIL_LINES,
                                   kinds=list(LOG_KINDS))
        self.post_fresh(LogTailed(events=events))

    @work(thread=True, exclusive=True, group="detail-metrics", exit_on_error=False)
    def _load_metrics(self, run_id: str) -> None:
        """The curves drawn so far, extended by the points past each one's last step: a curve seen for the first
        time comes thinned to CURVE_POINTS by the store, a known one only reads what is new, an unchanged one
        nothing (the latest value of each metric says which)."""
        api = self.app.api
        drawn = self.curves
        curves: dict[str, tuple[list[int], list[float]]] = {}
        for name, latest in api.latest_metrics(run_id).items():
            steps, values = drawn.get(name, ([], []))
            if steps and latest.step <= steps[-1]:
                curves[name] = (steps, values)
                continue
            points = api.metrics(run_id, name, after_step=steps[-1]) if steps else api.metrics(
                run_id, name, max_points=CURVE_POINTS)
            curves[name] = thin_curve(steps + [p.step for p in points], values + [p.value for p in points])
        self.post_fresh(MetricsLoaded(curves=dict(sorted(curves.items()))))

    # ---- handlers ------------------------------------------------------------------------------------------

    @on(RunLoaded)
    def _show_run(self, message: RunLoaded) -> None:
        run = self.run = message.run
        self.query_one("#detail-summary", Static).update(
            Text.assemble((sanitize_terminal_text(run.id), "bold"), "  ", (run.status, STATUS_STYLES.get(run.status, "")),
                          "  ", sanitize_terminal_text(f"{run.experiment} · {run.stage}"
                                                       + (f" · {run.variant}" if run.variant else "")))
        )
        self.query_one("#detail-fields", Static).update(overview_table(run, self.app.clock(), message.attempts))
        from rich.syntax import Syntax

        # a poll of a running run repaints only what changed: the config, files and results rarely do
        config_text = json.dumps(run.config, indent=2, sort_keys=True, default=str)
        if self._changed("config", config_text):
            self.query_one("#detail-config", Static).update(Syntax(config_text, "json", theme="ansi_dark", word_wrap=True))
        artifact_rows = [(artifact.name, artifact.path) for artifact in message.artifacts]
        if self._changed("artifacts", artifact_rows):
            artifacts = self.query_one("#detail-artifacts", DataTable)
            artifacts.clear()
            artifacts.add_rows(artifact_rows)
        result_rows = [(r.benchmark, r.metric, r.subset or "", r.control or "", f"{r.value:.2f}") for r in message.results]
        if self._changed("results", result_rows):
            results = self.query_one("#detail-results", DataTable)
            results.clear()
            for *names, value in result_rows:
                results.add_row(*names, Text(value, justify="right"))

    def _changed(self, part: str, value: object) -> bool:
        """Whether `value` differs from what `part` last showed (and remember it)."""
        if self._shown.get(part) == value:
            return False
        self._shown[part] = value
        return True

    @on(LogTailed)
    def _append_log(self, message: LogTailed) -> None:
        events = [e for e in message.events if e.seq > self.last_seq]
        if not events:
            return
        self.last_seq = events[-1].seq
        before = len(self.log_lines)
        replaced_last = self.log_ends_in_progress and events[0].kind == "progress"  # (the tail holds no metrics)
        self.log_lines, self.log_ends_in_progress = merge_collapsed(self.log_lines, self.log_ends_in_progress, events)
        self.log_lines = self.log_lines[-LOG_TAIL_LINES:]
        for log in self.query(Log):  # the log panel, and the log under the curves
            if replaced_last or len(self.log_lines) < before:
                log.clear()
                log.write_lines(self.log_lines)
            else:
                log.write_lines(self.log_lines[before:])

    @on(MetricsLoaded)
    def _show_curves(self, message: MetricsLoaded) -> None:
        if message.curves.keys() == self.curves.keys() and all(
            message.curves[name] is self.curves[name] for name in self.curves
        ):
            return  # no new points
        names = self.query_one("#curves-names", OptionList)
        if list(message.curves) != list(self.curves):
            names.clear_options()
            names.add_options(list(message.curves))
            if message.curves and self.selected_curve not in message.curves:
                self.selected_curve = next(iter(message.curves))
                names.highlighted = 0
        if not self._changed("curves", message.curves):
            return  # nothing new since the last poll: no replot
        self.curves = message.curves
        self._draw_curve()

    @on(OptionList.OptionHighlighted, "#curves-names")
    def _pick_curve(self, event: OptionList.OptionHighlighted) -> None:
        self.selected_curve = str(event.option.prompt)
        self._draw_curve()

    def _draw_curve(self) -> None:
        plot = self.query_one("#curves-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        if self.selected_curve in self.curves:
            steps, values = self.curves[self.selected_curve]
            plt.plot(steps, values, marker="braille")
            plt.title(f"{self.selected_curve}  (last {values[-1]:.4g} at step {steps[-1]})")
            plt.xlabel("step")
        else:
            plt.title("no metrics reported yet")
        plot.refresh()

    # ---- actions -------------------------------------------------------------------------------------------

    def action_show_tab(self, tab_id: str) -> None:
        self.query_one("#detail-tabs", TabbedContent).active = tab_id

    def action_weights(self) -> None:
        self.app.open_weights(self.run_id)

    def action_compare(self) -> None:
        self.app.open_compare(run_id=self.run_id)

    def action_cancel_run(self) -> None:
        self.confirm_run_change(self.run_id, "cancel")

    def action_retry_run(self) -> None:
        self.confirm_run_change(self.run_id, "retry")

    @on(RunChanged)
    def _run_changed(self, message: RunChanged) -> None:
        self.notify(f"{message.run.id}: {message.run.status}", title=message.action)
        self.refresh_all()
