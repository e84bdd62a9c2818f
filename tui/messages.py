"""Messages that thread workers post to their screen; the screen's `@on` handlers own every state change.

Workers call `synvita.api.Api` and report what they found; they never touch widgets. Messages that arrive at
poll frequency define `can_replace`, so a backlog collapses to the newest one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from synvita.entities import Artifact, Attempt, BenchmarkResult, Run, RunEvent


@dataclass
class RunsLoaded(Message):
    """One page of the runs list (and the total behind the current filter) was read from the store."""

    runs: list[Run]
    total: int
    offset: int
    status_counts: dict[str, int] = field(default_factory=dict)
    progress: str = ""
    """Where the newest unfinished submission stands ("s-… 7/10 runs done, ETA 3m07s"); empty when it is done."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunsLoaded)


@dataclass
class RunLoaded(Message):
    """The run shown on the detail screen was (re)read: fields, artifacts, benchmark results and attempts."""

    run: Run
    artifacts: list[Artifact]
    results: list[BenchmarkResult]
    attempts: list[Attempt] = field(default_factory=list)

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunLoaded)


@dataclass
class LogTailed(Message):
    """Events after `since_seq` were read for the run's live log tail."""

    events: list[RunEvent]


@dataclass
class MetricsLoaded(Message):
    """Metric curves of a run: name → (steps, values)."""

    curves: dict[str, tuple[list[int], list[float]]]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, MetricsLoaded)


@dataclass
class WeightsLoaded(Message):
    """The run `w` was pressed on, the score run whose weights it uses (`api.weights_source`; None when it uses
    none) and that score run's ω summary (`api.weights_summary`; None without a score run)."""

    run: Any
    source: Any
    summary: Any


@dataclass
class TableLoaded(Message):
    """A paper-style benchmark table (`api.table`) for the runs picked on the compare screen."""

    table: Any


@dataclass
class RunChanged(Message):
    """A run was cancelled or re-queued from the UI."""

    run: Run
    action: str


@dataclass
class ActionFailed(Message):
    """An API call made on the user's behalf raised; `text` is the one-line message to show."""

    text: str
