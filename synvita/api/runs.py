"""Runs and the queue: listing and reading runs, cancelling and retrying them, a submission's progress, marking a
dead worker's runs lost, and what a run recorded (log events, metrics, results, artifacts)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from synvita.api.database import Database
from synvita.entities import (
    TERMINAL_STATUSES,
    Artifact,
    Attempt,
    BenchmarkResult,
    MetricPoint,
    Run,
    RunEvent,
    RunSummaries,
)
from synvita.errors import NotFoundError, StoreError, UserInputError


@dataclass
class SubmissionProgress:
    """Where a submission stands: counts per status and the runs executing now."""

    submission: str
    total: int
    counts: dict[str, int]
    running: list[Run]
    failed: list[Run]
    """Runs that failed or were lost (not those cancelled because a dependency failed)."""
    runs: list[Run] = field(default_factory=list)
    """Every run of the submission, oldest first."""

    @property
    def done(self) -> int:
        return sum(n for s, n in self.counts.items() if s in TERMINAL_STATUSES)

    @property
    def finished(self) -> bool:
        return self.counts.get("queued", 0) == 0 and self.counts.get("running", 0) == 0

    def eta_s(self, now: float | None = None) -> float | None:
        """Seconds left, from the recorded time of its succeeded runs (`synvita.progress.remaining_seconds`); None
        before any run has finished."""
        from collections import Counter

        from synvita.progress import remaining_seconds

        now = time.time() if now is None else now
        costs: dict[str, list[float]] = {}
        for run in self.runs:
            if run.status == "succeeded" and run.started_at is not None and run.finished_at is not None:
                costs.setdefault(run.stage, []).append(run.finished_at - run.started_at)
        waiting = Counter(run.stage for run in self.runs if run.status == "queued")
        running = [(run.stage, now - (now if run.started_at is None else run.started_at)) for run in self.running]
        return remaining_seconds(costs, waiting, running, len(running))


class RunsApi(Database):
    #### runs and the queue ####

    def list_runs(self, **filters: Any) -> list[Run]:
        """Runs matching the store's filters (status, experiment, stage, generator, submission, variant, text,
        order_by, descending, limit, offset); an empty list when there is no database yet."""
        _check_page(filters)
        if not self._exists():
            return []
        return self.reader.list_runs(**filters)

    def run_summaries(self, **filters: Any) -> RunSummaries:
        """The runs of `list_runs(**filters)` as a listing prints them: a row per run of its `Run.to_dict()` values
        but the config, straight from the database's rows (no config is read, no entity or dict built)."""
        _check_page(filters)
        if not self._exists():
            return RunSummaries([])
        return self.reader.run_summaries(**filters)

    def count_runs(self, **filters: Any) -> int:
        if not self._exists():
            return 0
        return self.reader.count_runs(**filters)

    def get_run(self, run_id: str) -> Run:
        if not self._exists():
            raise NotFoundError(f"no run '{run_id}': there is no database at {self.db_path} yet", hint="see `synvita doctor`")
        return self.reader.get_run(run_id)

    def dependants(self, run_id: str) -> list[str]:
        """Ids of the runs that depend directly on `run_id`; NotFoundError for an unknown run."""
        return self.reader.dependants(self.get_run(run_id).id)

    def reap_lost(self) -> list[Run]:
        """Mark running runs whose heartbeat is older than `lost_after_s` as `lost` (their worker died), so that
        `synvita runs ls`, `runs show` and the TUI show it without a worker running. Returns the runs marked.

        Best effort and only where it may write: nothing happens (an empty list) when reaping is off
        (`lost_after_s` ≤ 0), there is no database yet, it is open read-only, or another writer holds it past
        the busy timeout. A read finds candidates first, so the usual case (nothing stale) takes no write lock."""
        if self.lost_after_s <= 0 or not self._exists() or self.read_only or self.reader.read_only:
            return []
        if not self.reader.has_silent_runs(time.time() - self.lost_after_s):
            return []
        try:
            return self.store.reap_lost(self.lost_after_s)
        except StoreError:  # locked by a busy writer (a worker will reap), or the file turned read-only
            return []

    def cancel(self, run_id: str) -> Run:
        return self.store.cancel(run_id)

    def retry(self, run_id: str) -> Run:
        return self.store.retry(run_id)

    def rerun(self, run_id: str, overrides: list[str] | None = None) -> Run:
        """Enqueue a new run from a run's recorded config: same experiment, stage, variant, generator and seed,
        depending on the same input runs, in a submission of its own; `overrides` (`--set KEY=VALUE`) change its
        config. The new run's config names the original as `rerun_of`."""
        import copy

        from synvita.specs.overrides import apply_overrides
        from synvita.store import NewRun, new_submission_id

        run = self.get_run(run_id)
        config = copy.deepcopy(run.config)
        apply_overrides(config, list(overrides or []))
        config["rerun_of"] = run.id
        [new] = self.store.create_runs([NewRun(
            experiment=run.experiment, submission=new_submission_id(), stage=run.stage, variant=run.variant,
            generator=run.generator, seed=run.seed, depends_on=list(run.depends_on), config=config,
        )])
        return new

    def environment(self, run_id: str) -> dict[str, Any] | None:
        """What the run's `env.json` recorded (host, git commit, packages, GPUs, ...); None before it ran."""
        import json
        from pathlib import Path

        path = Path(self.get_run(run_id).run_dir) / "env.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def attempts(self, run_id: str) -> list[Attempt]:
        """Every execution of a run, first first: number, executor, job id, node, submitted / started / ended,
        why it ended (requeued by Slurm, succeeded, failed, ...) and the resources it was submitted with."""
        return self.reader.attempts(self.get_run(run_id).id)

    def progress(self, submission: str) -> SubmissionProgress:
        runs = self.list_runs(submission=submission, order_by="created_at", descending=False)
        counts: dict[str, int] = {}
        for run in runs:
            counts[run.status] = counts.get(run.status, 0) + 1
        blocked = [r for r in runs if r.status == "cancelled" and (r.error or "").startswith("dependency ")]
        failed = [r for r in runs if r.status in ("failed", "lost") or (r.status == "cancelled" and r not in blocked)]
        return SubmissionProgress(submission, len(runs), counts, [r for r in runs if r.status == "running"], failed,
                                  runs)

    def latest_submission(self, experiment: str | None = None) -> str | None:
        runs = self.list_runs(experiment=experiment, limit=1)
        return runs[0].submission if runs else None

    #### what a run recorded ####

    def logs(self, run_id: str, since_seq: int = 0, tail: int | None = None, kinds: list[str] | None = None) -> list[RunEvent]:
        return self.reader.events(run_id, kinds=kinds, since_seq=since_seq, tail=tail)

    def follow_logs(
        self, run_id: str, *, since_seq: int = 0, tail: int | None = None, kinds: list[str] | None = None, poll_s: float = 0.5
    ) -> Iterator[RunEvent]:
        """Events as they are ingested, until the run has stopped and no more events arrive."""
        events = self.logs(run_id, since_seq=since_seq, tail=tail, kinds=kinds)
        while True:
            for event in events:
                since_seq = event.seq + 1
                yield event
            run = self.get_run(run_id)
            stopped = run.status not in ("queued", "running")
            events = self.reader.events(run_id, kinds=kinds, since_seq=since_seq)
            if stopped and not events:
                return
            if not events:
                time.sleep(poll_s)

    def metrics(
        self, run_id: str, name: str | None = None, *, after_step: int | None = None, max_points: int | None = None
    ) -> list[MetricPoint]:
        """Metric points by (name, step): only those past `after_step` (what a chart that drew up to it still
        needs); `max_points`: each series thinned in SQL to about that many, evenly spaced in step."""
        return self.store.metrics(run_id, name, after_step=after_step, max_points=max_points)

    def metric_names(self, run_id: str) -> list[str]:
        return self.store.metric_names(run_id)

    def latest_metrics(self, run_id: str) -> dict[str, MetricPoint]:
        """The latest point of each metric a run logged, by metric name."""
        return self.reader.latest_metrics(run_id).get(run_id, {})

    def results(self, run_id: str | list[str]) -> list[BenchmarkResult]:
        return self.reader.results(run_id)

    def artifacts(self, run_id: str) -> list[Artifact]:
        """Files a run recorded (`artifact` events: name and path, one per name, by name); NotFoundError for an
        unknown run."""
        return self.reader.artifacts(self.get_run(run_id).id)


def _check_page(filters: dict[str, Any]) -> None:
    """A listing's `limit` and `offset` are counts: ≥ 0 (None: no limit)."""
    for key, flag in (("limit", "--limit"), ("offset", "--offset")):
        value = filters.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise UserInputError(f"{flag} {value}: must be a whole number ≥ 0", hint=f"{flag} 0 shows all runs"
                                 if key == "limit" else None)
