"""Attempts: every execution of a run, recorded by the worker that follows it.

A run's first start, each time Slurm requeues its job (preemption, the time-limit warning) and each retry is one
attempt: number, executor, job id, node, when it was submitted, started and ended, why it ended, and the resources
it was submitted with. `synvita runs show` and the TUI's run detail list them.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from synvita.entities import Attempt
from synvita.store import run_queries
from synvita.store.models import ATTEMPTS, RUNS, dump_json
from synvita.store.runs import RunRecords


class RunAttempts(RunRecords):
    def start_attempt(self, run_id: str, executor: str, job_id: str | None = None, *,
                      resources: dict[str, Any] | None = None, node: str | None = None,
                      started: bool = False, token: str | None = None) -> int | None:
        """Record a new attempt of `run_id` (submitted now; started now too with `started`); returns its number.
        With `token`, only while that attempt token still owns the run: None (nothing recorded) when the run was
        re-queued or taken over meanwhile, so a worker that stalled while starting a job records no attempt."""
        now = time.time()
        with self._write() as conn:
            self._status_of(conn, run_id)
            if token is not None and conn.execute(
                    select(RUNS.c.attempt_token).where(RUNS.c.id == run_id)).scalar() != token:
                return None
            number = 1 + (conn.execute(select(func.max(ATTEMPTS.c.number)).where(ATTEMPTS.c.run_id == run_id)).scalar() or 0)
            conn.execute(ATTEMPTS.insert().values(
                run_id=run_id, number=number, executor=executor, job_id=job_id, node=node, submitted_at=now,
                started_at=now if started else None, resources_json=dump_json(resources or {}),
            ))
            return number

    def update_attempt(self, run_id: str, number: int, **values: Any) -> None:
        """Set `job_id`, `node`, `started_at`, `ended_at` or `end_reason` of one attempt (None values are skipped)."""
        allowed = {"job_id", "node", "started_at", "ended_at", "end_reason"}
        values = {k: v for k, v in values.items() if k in allowed and v is not None}
        if not values:
            return
        with self._write() as conn:
            conn.execute(ATTEMPTS.update().where(ATTEMPTS.c.run_id == run_id, ATTEMPTS.c.number == number).values(**values))

    def end_attempt(self, run_id: str, number: int, reason: str) -> None:
        """The attempt ended now for `reason`, unless it has already ended."""
        with self._write() as conn:
            conn.execute(ATTEMPTS.update()
                         .where(ATTEMPTS.c.run_id == run_id, ATTEMPTS.c.number == number, ATTEMPTS.c.ended_at.is_(None))
                         .values(ended_at=time.time(), end_reason=reason))

    def attempts(self, run_id: str) -> list[Attempt]:
        """A run's attempts, first first."""
        with self._read() as conn:
            self._status_of(conn, run_id)
            return run_queries.attempts(self._execute(conn), run_id)
