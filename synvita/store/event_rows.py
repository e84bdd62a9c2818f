"""Typed event rows: what `Store.ingest_events` receives, one per line of a run's events.jsonl.

The store never reads a run directory. `synvita.runs.ingest` reads events.jsonl (and the weights file a
`weights` event names), turns each line into one of these rows and hands them to the store, which records them.
A line that cannot be understood arrives as a plain `StageEvent` of kind `log` with level `error`, so one bad
line never stalls ingestion. Torch-free; the line format itself is described in `synvita.events`. The rows are
plain slotted dataclasses (not frozen): ingestion builds one per line, and a frozen one costs twice as much to make.
The most common line of all, a metric point exactly as `EventWriter` writes it, travels as a bare tuple
(`MetricPoint`) instead: a long training run writes millions of them, and a tuple costs a fraction of an object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(kw_only=True, slots=True)
class StageEvent:
    """An event the store only logs (a `log` line, or a kind this synvita does not know); the base of the rest."""

    seq: int
    """The 0-based line number in events.jsonl: ingestion is idempotent by it."""
    ts: float
    """Unix seconds, as the stage wrote it."""
    kind: str
    data: Mapping[str, Any]
    """The line's fields other than seq, ts and kind, exactly as written: `run_events` keeps them as they are."""


@dataclass(kw_only=True, slots=True)
class ProgressEvent(StageEvent):
    """Sets the run's progress bar."""

    kind: str = field(default="progress", init=False)
    fraction: float | None
    """done / total, at most 1; None when the total is unknown."""
    msg: str


@dataclass(kw_only=True, slots=True)
class MetricEvent(StageEvent):
    """One point of a metric series (`metrics`, and `latest_metrics` when its step is the newest)."""

    kind: str = field(default="metric", init=False)
    name: str
    step: int
    value: float


MetricPoint = tuple[int, float, str, int, float]
"""(seq, ts, name, step, value) of a metric line whose fields are exactly `name` (a str), `value` (a finite float)
and `step` (an int) besides seq, ts (a finite float) and kind: the line as `EventWriter.metric` writes it. Stored
like the `MetricEvent` it stands for, whose `data` would be {"name": name, "value": value, "step": step}."""


@dataclass(kw_only=True, slots=True)
class ResultEvent(StageEvent):
    """A benchmark result (`results`); the headline ones (no subset, no control) make the run's key metric."""

    kind: str = field(default="result", init=False)
    benchmark: str
    metric: str
    value: float
    subset: str | None = None
    control: str | None = None


@dataclass(slots=True)
class SampleWeightLine:
    """One line of a per-sample weights file (see `synvita.events`)."""

    sample_id: str
    generator: str
    misalignment: str
    f_target: float
    f_other: float
    weight: float
    faithful: bool | None = None


@dataclass(kw_only=True, slots=True)
class WeightsEvent(StageEvent):
    """The per-sample weights of a run, read from the file the event names (`sample_weights`)."""

    kind: str = field(default="weights", init=False)
    weights: tuple[SampleWeightLine, ...]


@dataclass(kw_only=True, slots=True)
class ArtifactEvent(StageEvent):
    """A file the run produced, by name (`artifacts`)."""

    kind: str = field(default="artifact", init=False)
    name: str
    path: str


@dataclass(frozen=True)
class EventsPosition:
    """Where reading a run's events.jsonl resumes: byte `offset` is the start of line `seq` (0, 0: the top)."""

    offset: int = 0
    seq: int = 0
