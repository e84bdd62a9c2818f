"""SQLModel table classes. They never leave `synvita.store`: every public Store method returns `synvita.entities`.

The schema itself is created by the explicit migrations in `migrations.py`; these classes describe the same
tables for querying (a test checks that both agree column by column). Each `to_entity` reads attributes only,
so the store also calls it unbound on Core result rows of the same table (`RunRow.to_entity(row)`), which
skips building an ORM object per row on hot listing paths.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from synvita.entities import RUN_STATUSES, Artifact, Attempt, BenchmarkResult, MetricPoint, Run, RunEvent, SampleWeight

_STATUS_CHECK = "status IN (" + ", ".join(f"'{s}'" for s in RUN_STATUSES) + ")"


class RunRow(SQLModel, table=True):
    __tablename__ = "runs"
    __table_args__ = (CheckConstraint(_STATUS_CHECK, name="ck_runs_status"),)

    id: str = Field(primary_key=True)
    experiment: str
    submission: str
    stage: str
    status: str = "queued"
    variant: Optional[str] = None
    generator: Optional[str] = None
    seed: Optional[int] = None
    config_json: str = "{}"
    run_dir: str = ""
    progress: Optional[float] = None
    progress_msg: str = ""
    error: Optional[str] = None
    blocked_by: Optional[str] = None
    """Root failed/cancelled run that made this one `cancelled`; `retry` of that run re-queues this one."""
    worker: Optional[str] = None
    executor: Optional[str] = None
    job_id: Optional[str] = None
    """Executor's handle: a pid for `local`, a Slurm job id for `slurm`."""
    attempt: int = 1
    created_at: float
    started_at: Optional[float] = None
    finished_at: Optional[float] = None
    heartbeat_at: Optional[float] = None
    key_metric: Optional[float] = None
    events_cursor: int = 0
    """Next events.jsonl line (seq) to ingest; makes ingestion idempotent."""
    events_offset: int = 0
    """Byte of events.jsonl where the next read starts (the start of line `events_offset_seq`)."""
    events_offset_seq: int = 0
    attempt_token: Optional[str] = None
    """The token of the execution that owns the run (set by claim and adopt, cleared by a re-queue); writes that
    carry another token are refused (see `synvita.store.queue`)."""

    def to_entity(self, depends_on: list[str] | None = None) -> Run:
        return Run(
            id=self.id,
            experiment=self.experiment,
            submission=self.submission,
            stage=self.stage,
            status=self.status,
            variant=self.variant,
            generator=self.generator,
            seed=self.seed,
            depends_on=list(depends_on or []),
            config=json.loads(self.config_json or "{}"),
            run_dir=self.run_dir,
            progress=self.progress,
            progress_msg=self.progress_msg or "",
            error=self.error,
            worker=self.worker,
            attempt=self.attempt,
            created_at=self.created_at,
            started_at=self.started_at,
            finished_at=self.finished_at,
            heartbeat_at=self.heartbeat_at,
            key_metric=self.key_metric,
        )


class RunDepRow(SQLModel, table=True):
    __tablename__ = "run_deps"

    run_id: str = Field(primary_key=True, foreign_key="runs.id")
    depends_on: str = Field(primary_key=True, foreign_key="runs.id")


class RunEventRow(SQLModel, table=True):
    __tablename__ = "run_events"

    run_id: str = Field(primary_key=True, foreign_key="runs.id")
    seq: int = Field(primary_key=True)
    ts: float
    kind: str
    data_json: str

    def to_entity(self) -> RunEvent:
        return RunEvent(run_id=self.run_id, seq=self.seq, ts=self.ts, kind=self.kind, data=json.loads(self.data_json))


class MetricRow(SQLModel, table=True):
    __tablename__ = "metrics"

    run_id: str = Field(primary_key=True, foreign_key="runs.id")
    name: str = Field(primary_key=True)
    step: int = Field(primary_key=True)
    value: float
    ts: float
    seq: Optional[int] = None
    """The metric line's number in events.jsonl (its place in `Store.events`); NULL for points recorded before
    m004, whose event is in `run_events`."""
    data_json: Optional[str] = None
    """The line's fields when they are not exactly {name, step, value}; NULL otherwise."""

    def to_entity(self) -> MetricPoint:
        return MetricPoint(run_id=self.run_id, name=self.name, step=self.step, value=self.value)


class LatestMetricRow(SQLModel, table=True):
    __tablename__ = "latest_metrics"

    run_id: str = Field(primary_key=True, foreign_key="runs.id")
    name: str = Field(primary_key=True)
    step: int
    value: float

    def to_entity(self) -> MetricPoint:
        return MetricPoint(run_id=self.run_id, name=self.name, step=self.step, value=self.value)


class ResultRow(SQLModel, table=True):
    __tablename__ = "results"

    run_id: str = Field(primary_key=True, foreign_key="runs.id")
    benchmark: str = Field(primary_key=True)
    metric: str = Field(primary_key=True)
    subset: str = Field(default="", primary_key=True)
    """'' stands for None (SQLite treats NULLs as distinct in keys)."""
    control: str = Field(default="", primary_key=True)
    value: float
    seq: int

    def to_entity(self) -> BenchmarkResult:
        return BenchmarkResult(
            run_id=self.run_id,
            benchmark=self.benchmark,
            metric=self.metric,
            value=self.value,
            subset=self.subset or None,
            control=self.control or None,
        )


class SampleWeightRow(SQLModel, table=True):
    __tablename__ = "sample_weights"

    run_id: str = Field(primary_key=True, foreign_key="runs.id")
    sample_id: str = Field(primary_key=True)
    generator: str
    misalignment: str
    f_target: float
    f_other: float
    weight: float
    faithful: Optional[bool] = None

    def to_entity(self) -> SampleWeight:
        return SampleWeight(
            run_id=self.run_id,
            sample_id=self.sample_id,
            generator=self.generator,
            misalignment=self.misalignment,
            f_target=self.f_target,
            f_other=self.f_other,
            weight=self.weight,
            faithful=None if self.faithful is None else bool(self.faithful),
        )


class ArtifactRow(SQLModel, table=True):
    __tablename__ = "artifacts"

    run_id: str = Field(primary_key=True, foreign_key="runs.id")
    name: str = Field(primary_key=True)
    path: str

    def to_entity(self) -> Artifact:
        return Artifact(run_id=self.run_id, name=self.name, path=self.path)


class RunAttemptRow(SQLModel, table=True):
    __tablename__ = "run_attempts"

    run_id: str = Field(primary_key=True, foreign_key="runs.id")
    number: int = Field(primary_key=True)
    executor: str
    job_id: Optional[str] = None
    node: Optional[str] = None
    submitted_at: float
    started_at: Optional[float] = None
    ended_at: Optional[float] = None
    end_reason: Optional[str] = None
    resources_json: str = "{}"

    def to_entity(self) -> Attempt:
        return Attempt(run_id=self.run_id, number=self.number, executor=self.executor, job_id=self.job_id,
                       node=self.node, submitted_at=self.submitted_at, started_at=self.started_at,
                       ended_at=self.ended_at, end_reason=self.end_reason, resources=json.loads(self.resources_json or "{}"))


class SchemaMigrationRow(SQLModel, table=True):
    __tablename__ = "schema_migrations"

    version: int = Field(primary_key=True)
    name: str
    applied_at: float


class RunStatusCountRow(SQLModel, table=True):
    """Maintained by triggers (m003); never written by the store's code."""

    __tablename__ = "run_status_counts"

    status: str = Field(primary_key=True)
    n: int


# Core table handles: the store queries with SQLAlchemy Core and builds entities from plain result rows.
RUNS = RunRow.__table__
DEPS = RunDepRow.__table__
EVENTS = RunEventRow.__table__
METRICS = MetricRow.__table__
LATEST = LatestMetricRow.__table__
RESULTS = ResultRow.__table__
WEIGHTS = SampleWeightRow.__table__
ARTIFACTS = ArtifactRow.__table__
STATUS_COUNTS = RunStatusCountRow.__table__
ATTEMPTS = RunAttemptRow.__table__


def dump_json(data: Any) -> str:
    """The text of a JSON column (`runs.config_json`, `run_events.data_json`): sorted keys, NaN kept."""
    return json.dumps(data, sort_keys=True, allow_nan=True, default=str)
