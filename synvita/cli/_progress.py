"""Progress of a foreground worker on stderr: a Rich display on a terminal, throttled plain lines otherwise.

The worker calls `on_event(run, event)` for every stage event and for its own status changes; this module turns
those into a live view (TTY) or into log-friendly lines (pipes, CI, Slurm logs): one line per status change and at
most one progress line per run every `every_s` seconds.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from synvita.cli._utils import describe_run, duration, use_color

FINAL = ("succeeded", "failed", "cancelled", "lost", "preempted")


class PlainReporter:
    """Throttled plain lines on stderr, for logs and pipes."""

    def __init__(self, total: int | None = None, every_s: float = 10.0, stream: Any = None, quiet_s: float = 60.0) -> None:
        self.total = total
        self.every_s = every_s
        self.quiet_s = quiet_s
        """After this long without any line, say which runs are still running (stages that report no progress)."""
        self.stream = stream or sys.stderr
        self.done = 0
        self._last_progress: dict[str, float] = {}
        self._started: dict[str, tuple[Any, float]] = {}
        self._last_line = time.time()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "PlainReporter":
        self._thread = threading.Thread(target=self._still_running, name="synvita-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()

    def _still_running(self) -> None:
        while not self._stop.wait(min(self.quiet_s, 5.0)):
            if time.time() - self._last_line < self.quiet_s:
                continue
            with self._lock:
                running = list(self._started.values())
            for run, since in running:
                self._line(f"{run.id} {describe_run(run)}: still running after {duration(time.time() - since)}")
            if not running:
                self._last_line = time.time()

    def _line(self, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        count = f"[{self.done}/{self.total}] " if self.total else ""
        with self._lock:
            print(f"{stamp} {count}{text}", file=self.stream, flush=True)
            self._last_line = time.time()

    def on_event(self, run: Any, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "status":
            status = event.get("status")
            if status == "running":
                self._started[run.id] = (run, time.time())
                self._line(f"{run.id} {describe_run(run)}: started")
            elif status in FINAL:
                self.done += 1
                took = duration(time.time() - self._started.pop(run.id, (run, time.time()))[1])
                error = f": {event.get('error')}" if event.get("error") else ""
                self._line(f"{run.id} {describe_run(run)}: {status} after {took}{error}")
        elif kind == "progress":
            now = time.time()
            if now - self._last_progress.get(run.id, 0.0) < self.every_s:
                return
            self._last_progress[run.id] = now
            done, total = event.get("done", 0), event.get("total", 0) or 1
            msg = f" {event.get('msg')}" if event.get("msg") else ""
            self._line(f"{run.id} {describe_run(run)}: {100 * done / total:.0f}%{msg}")
        elif kind == "log" and event.get("level") in ("warning", "error"):
            self._line(f"{run.id} {event.get('level')}: {event.get('msg')}")


class RichReporter:
    """A live Rich display on stderr: one bar for the whole submission, one per running run."""

    def __init__(self, total: int | None = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True, no_color=not use_color(sys.stderr))
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.overall = self.progress.add_task("runs", total=total)
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> "RichReporter":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def on_event(self, run: Any, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "status":
            status = event.get("status")
            if status == "running" and run.id not in self.tasks:
                self.tasks[run.id] = self.progress.add_task(f"  {run.id} {describe_run(run)}", total=None)
            elif status in FINAL:
                self.progress.advance(self.overall)
                task = self.tasks.pop(run.id, None)
                if task is not None:
                    self.progress.remove_task(task)
                style = {"succeeded": "green", "failed": "red"}.get(status, "yellow")
                error = f": {event.get('error')}" if event.get("error") else ""
                self.console.print(f"[{style}]{status}[/] {run.id} {describe_run(run)}{error}", highlight=False)
        elif kind == "progress" and run.id in self.tasks:
            msg = f" · {event.get('msg')}" if event.get("msg") else ""
            self.progress.update(
                self.tasks[run.id],
                completed=event.get("done", 0),
                total=event.get("total") or None,
                description=f"  {run.id} {describe_run(run)}{msg}"[:70],
            )


def make_reporter(total: int | None = None) -> PlainReporter | RichReporter:
    """Rich on a terminal, plain throttled lines otherwise."""
    if sys.stderr.isatty():
        return RichReporter(total)
    return PlainReporter(total)
