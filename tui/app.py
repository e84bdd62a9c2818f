"""The synvita Textual app: one factory (`make_app`) for the CLI and the tests, and `run` for `synvita tui`.

The app holds no engine logic: every screen calls `synvita.api.Api` from thread workers and shows what comes
back. Screens own their state; the app owns navigation, the optional in-process worker, and error reporting.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.messages import ActionFailed


class SynvitaApp(App):
    """Experiment manager: runs, queue form, run detail, weights and compare screens."""

    CSS_PATH = "app.tcss"
    TITLE = "synvita"
    BINDINGS = [
        Binding("q", "quit", "Quit", tooltip="Leave the app (a local worker started here stops too)"),
        Binding("question_mark", "help", "Help", tooltip="Keys and what each screen shows"),
        Binding("W", "toggle_worker", "Worker", tooltip="Start or stop a local worker in this process"),
    ]

    def __init__(
        self,
        api: Any,
        *,
        read_only: bool = False,
        poll_interval_s: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.api = api
        self.read_only = read_only
        self.poll_interval_s = poll_interval_s
        """Seconds between re-reads of what the visible screen shows."""
        self.clock = clock
        """Source of "now" for live durations; tests freeze it for deterministic snapshots."""
        self.local_worker: threading.Event | None = None
        """While this app runs a worker in-process (`api.run_worker`): the event that stops it; else None."""
        self._local_worker_done = threading.Event()

    def on_mount(self) -> None:
        self.sub_title = str(getattr(self.api, "db_path", "")) + ("  [read-only]" if self.read_only else "")
        from tui.screens.runs import RunsScreen

        self.push_screen(RunsScreen())

    # ---- navigation ----------------------------------------------------------------------------------------

    def open_run(self, run_id: str) -> None:
        from tui.screens.run_detail import RunDetailScreen

        self.push_screen(RunDetailScreen(run_id))

    def open_weights(self, run_id: str) -> None:
        from tui.screens.weights import WeightsScreen

        self.push_screen(WeightsScreen(run_id))

    def open_compare(self, run_id: str | None = None, experiments: list[str] | None = None) -> None:
        from tui.screens.compare import CompareScreen

        self.push_screen(CompareScreen(run_id=run_id, experiments=experiments))

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_queue_run(self) -> None:
        if self.read_only:
            self.notify("read-only: started with --read-only", severity="warning")
            return
        from tui.screens.queue_form import QueueRunModal

        def queued(submission: Any) -> None:
            if submission is not None:
                n = len(submission.runs)
                self.notify(f"submission {submission.id}: {n} run{'s' if n != 1 else ''} queued", title="Queued")
                if self.local_worker is None:
                    self.notify("press W to start a local worker, or run `synvita worker`", timeout=6)

        self.push_screen(QueueRunModal(), queued)

    def action_toggle_worker(self) -> None:
        if self.read_only:
            self.notify("read-only: started with --read-only", severity="warning")
            return
        if self.local_worker is None:
            self.local_worker = threading.Event()
            self._local_worker_done.clear()
            self._run_local_worker(self.local_worker)
            self.notify("local worker started: it runs queued runs until you press W again or quit")
        else:
            self._stop_local_worker()
            self.notify("local worker stopped: runs it was executing are marked cancelled (retry re-queues them)")

    @work(thread=True, exclusive=True, group="local-worker", exit_on_error=False)
    def _run_local_worker(self, stop: threading.Event) -> None:
        """Executes queued runs in this process until `stop` is set; an error (e.g. a database it may not write)
        propagates to `report_worker_error`, which shows it."""
        try:
            self.api.run_worker(stop=stop)
        finally:
            self._local_worker_done.set()

    def _stop_local_worker(self, wait_s: float = 0.0) -> None:
        handle, self.local_worker = self.local_worker, None
        if handle is None:
            return
        handle.set()
        if wait_s:
            self._local_worker_done.wait(wait_s)

    async def action_quit(self) -> None:
        self._stop_local_worker(wait_s=10.0)
        self.exit()

    def on_unmount(self) -> None:
        """Any way out of the app (quit, ctrl+c, an exception, a test's teardown) stops the local worker: its thread
        loops until stopped, and shutdown waits for worker threads, so a forgotten worker would hang the exit."""
        self._stop_local_worker(wait_s=10.0)

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        yield SystemCommand("Runs", "Back to the runs list", self._go_home)
        if not self.read_only:
            yield SystemCommand("Queue a run", "Open the form that queues an experiment", self.action_queue_run)
            yield SystemCommand("Start/stop local worker", "Run queued runs in this process", self.action_toggle_worker)
        yield SystemCommand("Compare experiments", "Paper-style benchmark table", self.open_compare)
        yield SystemCommand("Help", "Keys and screens", self.action_help)

    def _go_home(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    # ---- errors ------------------------------------------------------------------------------------------

    @on(ActionFailed)
    def _show_failure(self, message: ActionFailed) -> None:
        self.notify(message.text, severity="error", title="synvita", timeout=8)

    @on(Worker.StateChanged)
    def report_worker_error(self, event: Worker.StateChanged) -> None:
        """Every worker error ends here (screens forward theirs): a SynvitaError shows its one line, anything
        else its type and text. A local worker that ended on its own is forgotten, so `W` starts a new one."""
        if event.worker.group == "local-worker" and event.state in (WorkerState.ERROR, WorkerState.SUCCESS):
            self.local_worker = None
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        text = error.one_line() if hasattr(error, "one_line") else f"{type(error).__name__}: {error}"
        self.notify(text, severity="error", title="synvita", timeout=8)


def make_app(api: Any, *, read_only: bool = False, poll_interval_s: float = 1.0,
             clock: Callable[[], float] = time.time) -> SynvitaApp:
    """Build the app around an engine API object (`synvita.api.Api`); the CLI and the tests both call this."""
    return SynvitaApp(api, read_only=read_only, poll_interval_s=poll_interval_s, clock=clock)


def run(db: str | Path | None = None, read_only: bool = False) -> None:
    """Entry point of `synvita tui`: open the database (the usual --db/SYNVITA_DB/SYNVITA_HOME lookup) and run. A
    database the app cannot use raises its SynvitaError before the app starts."""
    from synvita.api import Api

    api = Api(db=db, read_only=read_only)
    api.check_readable()
    make_app(api, read_only=read_only).run()
