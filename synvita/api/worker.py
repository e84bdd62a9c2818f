"""Executing queued runs in this process: `Api.run_worker` runs a worker to the end and says what it did.

The worker itself (`synvita.runs.worker.Worker`) stays behind the API: a front end passes a callback for the
worker's events and, to stop it from another thread, a `threading.Event`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from synvita.api.database import Database
from synvita.entities import Run
from synvita.errors import UserInputError

EXECUTORS = ("local", "slurm")

OnEvent = Callable[[Run, dict[str, Any]], None]
"""Called with the run and each event: the stage's events as read from its events.jsonl, plus the worker's own
`{"kind": "status", "status": ..., "error": ...}` when a run starts and ends. Exceptions in it are ignored."""


@dataclass(frozen=True)
class WorkerSummary:
    """What one `Api.run_worker` call did."""

    worker_id: str
    runs: list[str]
    """Ids of the runs this worker started, in order."""
    statuses: dict[str, int] = field(default_factory=dict)
    """How those runs stand now, counted per status (succeeded, failed, cancelled, ...)."""


def default_local_parallel() -> int:
    """Runs a foreground `synvita run` executes at once on this machine: one per core, at most 4."""
    from synvita.runs.executors import default_local_parallel as default

    return default()


class WorkerApi(Database):
    def run_worker(
        self,
        *,
        submission: str | None = None,
        executor: str = "local",
        parallel: int | None = None,
        until_idle: bool = False,
        max_runs: int | None = None,
        worker_id: str | None = None,
        lost_after_s: float | None = None,
        on_event: OnEvent | None = None,
        on_start: Callable[[str], None] | None = None,
        stop: threading.Event | None = None,
        slurm: list[str] | tuple[str, ...] = (),
    ) -> WorkerSummary:
        """Claim and execute queued runs here (of `submission`, else of every submission, oldest first) until
        `stop` is set, or with `until_idle` until nothing is running or claimable, or after `max_runs` runs.

        `parallel`: runs at once (default: the executor's, local 1, slurm 64); `lost_after_s`: heartbeat age after
        which this worker marks other workers' runs lost (default 30); `on_start` is called with the worker's id
        once the database is open and the executor ready, before the first run is claimed. `slurm`: `KEY=VALUE`
        resources over every run's [slurm] section and per-stage tables (slurm executor only). In the main thread, Ctrl-C and SIGTERM stop
        the running jobs, mark their runs cancelled and propagate, and `kill -USR1 <pid>` prints every thread's
        stack on stderr."""
        from synvita.runs.worker import Worker, dump_stacks_on_sigusr1

        if executor not in EXECUTORS:
            raise UserInputError(f"unknown executor '{executor}'", hint=f"executors: {', '.join(EXECUTORS)}")
        if parallel is not None and (isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1):
            raise UserInputError(f"--parallel {parallel}: runs at once must be an integer ≥ 1",
                                 hint="leave it out for the executor's default")
        self.store  # fail early (one clear line) if the database cannot be opened for writing
        from synvita.resources import parse_slurm_overrides

        options: dict[str, Any] = {}
        executor_options: dict[str, Any] = {"max_parallel": parallel} if parallel is not None else {}
        if slurm:
            if executor != "slurm":
                raise UserInputError("--slurm sets resources of Slurm jobs", hint="add --executor slurm")
            executor_options.update(parse_slurm_overrides(slurm))
        if executor_options:
            options["executor_options"] = executor_options
        if lost_after_s is not None:
            options["lost_after_s"] = lost_after_s
        dump_stacks_on_sigusr1()
        worker = Worker(
            self.db_path, worker_id=worker_id, executor=executor, submission=submission, on_event=on_event, stop=stop,
            **options,
        )
        try:
            if on_start is not None:
                on_start(worker.worker_id)
            started = worker.run(until_idle=until_idle, max_runs=max_runs)
        finally:
            worker.close()
        statuses: dict[str, int] = {}
        for run in self.store.get_runs(started) if started else []:
            statuses[run.status] = statuses.get(run.status, 0) + 1
        return WorkerSummary(worker.worker_id, started, statuses)
