"""Plain entities that leave the store (no ORM rows ever do). Torch-free, textual-free.

The store (`synvita.store`) converts its SQLModel table rows into these with `to_entity()`; the API, CLI and TUI
only ever see these.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled", "lost", "preempted")
TERMINAL_STATUSES = ("succeeded", "failed", "cancelled")
"""Never overwritten once reached. `lost` and `preempted` are not terminal: `retry` (or a retry budget) re-queues."""


@dataclass
class Run:
    id: str
    """Short stable id, e.g. "r-7f3a2c"."""
    experiment: str
    """Experiment name (the spec's `name`)."""
    submission: str
    """Id of the `synvita run` submission that created it (groups the runs of one experiment invocation)."""
    stage: str
    """world | generate | pretrain | score | train | evaluate | debug.*"""
    status: str
    variant: str | None = None
    generator: str | None = None
    seed: int | None = None
    depends_on: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    run_dir: str = ""
    progress: float | None = None
    """0..1 from the latest progress event."""
    progress_msg: str = ""
    error: str | None = None
    worker: str | None = None
    attempt: int = 0
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    heartbeat_at: float | None = None
    key_metric: float | None = None
    """A headline number for listings: mean of the six benchmarks for evaluate runs, last loss for train runs."""

    @property
    def duration(self) -> float | None:
        if self.started_at is None:
            return None
        import time

        return (self.finished_at or time.time()) - self.started_at

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["duration"] = self.duration
        return d


RUN_SUMMARY_KEYS = tuple(f.name for f in fields(Run) if f.name != "config") + ("duration",)
"""A run's keys in a listing: those of `Run.to_dict()` but "config", in the same order."""


@dataclass
class RunSummaries:
    """Runs as a listing shows them, in one table: a row per run holds its `Run.to_dict()` values but the config,
    in the order of `keys`. No entity or dict is built per run, so that listing many runs costs about what reading
    their rows does; `dicts()` gives a dict per run."""

    rows: list[list[Any]]
    keys: tuple[str, ...] = RUN_SUMMARY_KEYS

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.keys, row)) for row in self.rows]


@dataclass
class RunEvent:
    run_id: str
    seq: int
    ts: float
    kind: str
    data: dict[str, Any]


@dataclass
class MetricPoint:
    run_id: str
    name: str
    step: int
    value: float


@dataclass
class BenchmarkResult:
    run_id: str
    benchmark: str
    metric: str
    value: float
    subset: str | None = None
    control: str | None = None


@dataclass
class SampleWeight:
    run_id: str
    sample_id: str
    generator: str
    misalignment: str
    f_target: float
    """f̄(V^s, t^s)."""
    f_other: float
    """f̄(V^s, t^r)."""
    weight: float
    """ω = max(0, f_target − f_other) (or the ablation's rule)."""
    faithful: bool | None = None


@dataclass
class Attempt:
    """One execution of a run: its first start, each Slurm requeue (preemption, time limit) and each retry."""

    run_id: str
    number: int
    """1, 2, ... in the order the run was executed."""
    executor: str
    job_id: str | None = None
    """A pid (local) or Slurm job id (an array job's id for a sharded generate run)."""
    node: str | None = None
    """Where it ran (Slurm's node list; the worker's host locally)."""
    submitted_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None
    end_reason: str | None = None
    """succeeded | failed | cancelled | lost | requeued (preempted or warned before the time limit) | ..."""
    resources: dict[str, Any] = field(default_factory=dict)
    """The resources the job was submitted with (the resolved [slurm] options, processes, shards)."""


@dataclass
class Artifact:
    run_id: str
    name: str
    path: str
