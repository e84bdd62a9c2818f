"""Progress of a foreground worker on stderr: a Rich display on a terminal, throttled plain lines otherwise.

The worker calls `on_event(run, event)` for every stage event and for its own status changes; this module turns
those into one progress for the whole submission (runs done / total and an ETA from the measured cost of finished
runs, never going backwards when a run starts a new phase) shown as a live bar with the running runs below it (TTY)
or as log-friendly lines without control codes (pipes, CI, Slurm logs): one line per status change, prefixed with
runs done / total and the ETA, and at most one progress line per run every `every_s` seconds.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from typing import Any

from synvita.api import remaining_seconds
from synvita.cli._utils import describe_run, duration, use_color

FINAL = ("succeeded", "failed", "cancelled", "lost", "preempted")


class ExperimentProgress:
    """Where a submission stands: runs done of total, a fraction that never decreases, and an ETA.

    The ETA comes from the measured cost of finished runs: each unfinished run is expected to take as long as the
    finished runs of its stage took on average (or all finished runs, for a stage none has finished yet), less the
    time a running one has already spent; that remaining work is shared by the runs executing at once.
    """

    def __init__(self, total: int | None = None, stages: list[str] | None = None) -> None:
        self.total = total if total is not None else (len(stages) if stages is not None else None)
        self.stage_counts = Counter(stages or [])
        self.done = 0
        self.done_by_stage: Counter[str] = Counter()
        self.costs: dict[str, list[float]] = {}
        self.running: dict[str, dict[str, Any]] = {}
        """run id → {run, since, fraction (of its current phase), peak (highest fraction seen), msg}."""
        self.lanes = 1
        self._shown = 0.0

    def on_event(self, run: Any, event: dict[str, Any], now: float | None = None) -> None:
        now = time.time() if now is None else now
        kind = event.get("kind")
        if kind == "status":
            status = event.get("status")
            if status == "running" and run.id not in self.running:
                self.running[run.id] = {"run": run, "since": now, "fraction": 0.0, "peak": 0.0, "msg": ""}
                self.lanes = max(self.lanes, len(self.running))
            elif status in FINAL:
                self.done += 1
                self.done_by_stage[run.stage] += 1
                state = self.running.pop(run.id, None)
                if state is not None and status == "succeeded":
                    self.costs.setdefault(run.stage, []).append(now - state["since"])
        elif kind == "progress" and run.id in self.running:
            state = self.running[run.id]
            done, total = event.get("done", 0), event.get("total") or 0
            if total:
                state["fraction"] = min(1.0, done / total)
                state["peak"] = max(state["peak"], state["fraction"])
            state["msg"] = str(event.get("msg") or "")

    def completed(self) -> float:
        """Runs done plus the highest fraction seen of each running run; never less than a previous answer."""
        partial = sum(min(0.99, s["peak"]) for s in list(self.running.values()))
        self._shown = max(self._shown, self.done + partial)
        if self.total:
            self._shown = min(self._shown, float(self.total))
        return self._shown

    def eta_s(self, now: float | None = None) -> float | None:
        """Seconds left for the whole submission (`synvita.progress.remaining_seconds`); None before any run has
        finished or without its stages."""
        if not self.stage_counts:
            return None
        now = time.time() if now is None else now
        running = list(self.running.values())
        running_by_stage = Counter(s["run"].stage for s in running)
        waiting = {stage: n - self.done_by_stage[stage] - running_by_stage[stage] for stage, n in self.stage_counts.items()}
        return remaining_seconds(self.costs, waiting, [(s["run"].stage, now - s["since"]) for s in running], self.lanes)

    def running_lines(self, now: float | None = None) -> list[str]:
        """One line per running run: what it is, its current phase's progress and message, time so far."""
        now = time.time() if now is None else now
        lines = []
        for run_id, state in list(self.running.items()):
            pct = f" {100 * state['fraction']:.0f}%" if state["fraction"] else ""
            msg = f" · {state['msg']}" if state["msg"] else ""
            lines.append(f"{run_id} {describe_run(state['run'])}{pct}{msg} ({duration(now - state['since'])})")
        return lines


class PlainReporter:
    """Throttled plain lines on stderr, for logs and pipes."""

    def __init__(
        self, total: int | None = None, every_s: float = 10.0, stream: Any = None, quiet_s: float = 60.0,
        stages: list[str] | None = None,
    ) -> None:
        self.state = ExperimentProgress(total, stages)
        self.every_s = every_s
        self.quiet_s = quiet_s
        """After this long without any line, say which runs are still running (stages that report no progress)."""
        self.stream = stream or sys.stderr
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
        eta = self.state.eta_s()
        count = f"[{self.state.done}/{self.state.total}{f', ETA {duration(eta)}' if eta is not None else ''}] " if self.state.total else ""
        with self._lock:
            print(f"{stamp} {count}{text}", file=self.stream, flush=True)
            self._last_line = time.time()

    def on_event(self, run: Any, event: dict[str, Any]) -> None:
        self.state.on_event(run, event)
        kind = event.get("kind")
        if kind == "status":
            status = event.get("status")
            if status == "running":
                self._started[run.id] = (run, time.time())
                self._line(f"{run.id} {describe_run(run)}: started")
            elif status in FINAL:
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
    """A live Rich display on stderr: one bar for the whole submission (runs done / total, ETA), and below it the
    current stage and progress of each running run; finished runs are printed above it as they end."""

    def __init__(self, total: int | None = None, stages: list[str] | None = None) -> None:
        from rich.console import Console, Group
        from rich.progress import (
            BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn,
        )
        from rich.text import Text

        self.state = ExperimentProgress(total, stages)
        state = self.state

        class ExperimentBar(Progress):
            def get_renderables(self):  # the bar, then one line per running run
                lines = (Text(f"  {line}", overflow="ellipsis", no_wrap=True) for line in state.running_lines())
                yield Group(self.make_tasks_table(self.tasks), *lines)

        self.console = Console(stderr=True, no_color=not use_color(sys.stderr))
        self.progress = ExperimentBar(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[eta]}"),
            console=self.console,
            transient=False,
            refresh_per_second=4,
        )
        self.overall = self.progress.add_task("runs", total=self.state.total, eta="")

    def __enter__(self) -> "RichReporter":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._update()
        self.progress.stop()

    def _update(self) -> None:
        eta = self.state.eta_s()
        self.progress.update(
            self.overall, completed=self.state.completed(), eta=f"ETA {duration(eta)}" if eta is not None else ""
        )

    def on_event(self, run: Any, event: dict[str, Any]) -> None:
        self.state.on_event(run, event)
        if event.get("kind") == "status" and event.get("status") in FINAL:
            status = event["status"]
            style = {"succeeded": "green", "failed": "red"}.get(status, "yellow")
            error = f": {event.get('error')}" if event.get("error") else ""
            self.console.print(f"[{style}]{status}[/] {run.id} {describe_run(run)}{error}", highlight=False)
        self._update()


def make_reporter(total: int | None = None, stages: list[str] | None = None) -> PlainReporter | RichReporter:
    """Rich on a terminal, plain throttled lines otherwise; `stages` (one per run of the submission) enable the ETA."""
    if sys.stderr.isatty():
        return RichReporter(total, stages)
    return PlainReporter(total, stages=stages)
